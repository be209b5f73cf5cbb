"""The progress line: recent steps' median time and ETA; the first step (graph build) on its own."""
import io

from gan.hooks import Progress

LOSSES = dict(d_loss_real=0.5, d_acc_real=1.0, d_loss_fake=0.25, d_acc_fake=0.5, g_loss=2.0)


def run(progress, start, seconds):
    """Feed `progress` a start at `start` and steps taking `seconds` (fake logs, no clock)."""
    progress.on_train_begin(start)
    for step, sec in enumerate(seconds, start + 1):
        progress.on_step_end(step, dict(LOSSES, seconds=sec))


def test_the_build_is_printed_once_and_left_out_of_the_median_of_the_last_ten():
    out = io.StringIO()
    p = Progress(30000, stream=out)
    # a resume at step 100: a 129.43 s first step (graph build), ten 60 s steps, then six 30 s steps
    run(p, 100, [129.43] + [60.0] * 10 + [30.0] * 6)
    lines = out.getvalue().splitlines()
    assert lines[0] == ('first step after the start: 129.43 s, building the graph included '
                        '(left out of s/step)')
    assert lines[1] == 'step 101/30000  d_real 0.5000 (acc 1.00)  d_fake 0.2500 (acc 0.50)  g 2.0000'
    assert lines[2].endswith('g 2.0000  60.00 s/step  ETA 20d18h')        # 60 s x 29,898 steps
    # last ten: four of 60 s, six of 30 s; their median, not the mean (42 s) nor the build's
    assert lines[-1].startswith('step 117/30000') and lines[-1].endswith('30.00 s/step  ETA 10d09h')
    assert len(lines) == 18 and sum('first step' in l for l in lines) == 1


def test_each_start_reports_its_own_build():
    out = io.StringIO()
    p = Progress(4, stream=out)
    run(p, 0, [5.0, 1.0])
    run(p, 2, [7.0, 2.0])                          # the same hook after a restart: times reset
    lines = out.getvalue().splitlines()
    assert [l for l in lines if l.startswith('first step')] == [
        'first step after the start: 5.00 s, building the graph included (left out of s/step)',
        'first step after the start: 7.00 s, building the graph included (left out of s/step)']
    assert lines[2].endswith('1.00 s/step  ETA 0m02s') and lines[-1].endswith('2.00 s/step  ETA 0m00s')
