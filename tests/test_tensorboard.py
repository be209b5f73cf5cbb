"""TensorBoard events: the losses every step, each grid, the options; a resume continues the stream."""
import glob
import os
import signal

from gan import GAN, backend, cli, hooks, io
from gan.grids import GRID_GAP, GRID_MARGIN
from gan.loop import Hook
from test_resume import STEPS, TINY, train

TAGS = io.HISTORY_FIELDS[1:]


def raw_events(run_dir):
    """Every event of every file in <run>/events, files in name order (TensorBoard's order)."""
    import tensorflow as tf
    events = []
    for path in sorted(glob.glob(os.path.join(run_dir, 'events', '*tfevents*'))):
        events += list(tf.compat.v1.train.summary_iterator(path))
    return events


def values(events, kind):
    """(step, tag, value) of every summary value of one kind ('simple_value', 'image', 'tensor')."""
    return [(e.step, v.tag, v) for e in events for v in e.summary.value if v.WhichOneof('value') == kind]


def starts(events):
    return [e.step for e in events if e.HasField('session_log') and e.session_log.status == 1]


def shown(run_dir):
    """What TensorBoard shows: its own accumulator, which purges steps orphaned by a restart."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    acc = EventAccumulator(os.path.join(run_dir, 'events'),
                           size_guidance={'scalars': 0, 'images': 0, 'tensors': 0})
    return acc.Reload()


class GraphSize(Hook):
    def __init__(self):
        self.sizes = []

    def on_step_end(self, step, logs):
        self.sizes.append(backend.graph_size())


def test_scalars_every_step_and_the_grids_png_without_growing_the_graph(fresh_session, tiny_config,
                                                                          images, tmp_path):
    run = str(tmp_path)
    os.makedirs(os.path.join(run, 'image'))
    gan = GAN(tiny_config._replace(sample_interval=2))
    grids = hooks.SampleGrid(gan, run, 2, gan.latents(4, seed=0))
    board = hooks.TensorBoard(os.path.join(run, 'events'), grids=grids, text='{"a": 1}')
    size = GraphSize()
    gan.train(images, steps=5, hooks=[grids, board, size])
    assert size.sizes[1:] == [size.sizes[1]] * 4, size.sizes          # summaries are not graph ops

    events = raw_events(run)
    assert events[0].file_version == 'brain.Event:2' and starts(events) == [1]
    scalars = values(events, 'simple_value')
    assert [(s, t) for s, t, _ in scalars] == [(s, t) for s in range(1, 6) for t in TAGS]
    assert all(0.0 <= v.simple_value <= 1.0 for _, t, v in scalars if '_acc_' in t)
    grid_events = values(events, 'image')
    assert [(s, t) for s, t, _ in grid_events] == [(2, 'grid'), (4, 'grid'), (5, 'grid')]  # + the last
    image = grid_events[0][2].image
    png = open(os.path.join(run, 'image', 'Faces_2.png'), 'rb').read()
    assert image.encoded_image_string == png                           # the grid on disk, as it is
    side = 2 * GRID_MARGIN + 2 * 64 + GRID_GAP
    assert (image.height, image.width, image.colorspace) == (side, side, 3)
    [(step, tag, text)] = values(events, 'tensor')
    assert (step, tag) == (1, 'config') and text.tensor.string_val == [b'    {"a": 1}']
    assert text.metadata.plugin_data.plugin_name == 'text'


def test_a_killed_run_keeps_its_events_and_the_resume_continues_them(tmp_path):
    out = str(tmp_path)
    # SIGKILL inside the step-4 checkpoint (as in test_resume): events up to step 4 are on disk,
    # the last complete checkpoint is step 2, so the resume redoes steps 3 and 4.
    r = train(TINY + ['--steps', str(STEPS), '--out', out], CRASH_AT_WRITE=11)
    assert r.returncode == -signal.SIGKILL
    run_dir = os.path.join(out, '1')
    killed = raw_events(run_dir)
    assert sorted({s for s, _, _ in values(killed, 'simple_value')}) == [1, 2, 3, 4]
    r = train(['--resume', run_dir])
    assert r.returncode == 0, r.stderr[-3000:]
    assert len(glob.glob(os.path.join(run_dir, 'events', '*tfevents*'))) == 2    # one file per start

    events = raw_events(run_dir)
    assert starts(events) == [1, 3]             # the resume's START is at its first step
    # The raw files keep the killed process's steps 3 and 4 before the START...
    g_raw = [(s, v.simple_value) for s, t, v in values(events, 'simple_value') if t == 'g_loss']
    assert [s for s, _ in g_raw] == [1, 2, 3, 4, 3, 4, 5, 6]
    # ...TensorBoard drops them: each step once, the resumed values, as history.csv has them
    acc = shown(run_dir)
    for tag in TAGS:
        assert [e.step for e in acc.Scalars(tag)] == list(range(1, STEPS + 1)), tag
    assert [(e.step, e.value) for e in acc.Scalars('g_loss')] == g_raw[:2] + g_raw[4:]
    assert [e.step for e in acc.Images('grid')] == [2, 4, 6]
    assert [e.step for e in acc.Tensors('config')] == [1, 3]
    assert b'"resumed_from": 2' in acc.Tensors('config')[1].tensor_proto.string_val[0]


def test_no_tensorboard_writes_no_events_and_a_resume_may_turn_them_on(tmp_path):
    args = [a for a in TINY if a != '--deterministic'] + ['--out', str(tmp_path)]
    assert cli.train_main(args + ['--steps', '1', '--no-tensorboard']) == 0
    run_dir = os.path.join(str(tmp_path), '1')
    assert not os.path.exists(os.path.join(run_dir, 'events'))
    assert cli.train_main(['--resume', run_dir, '--steps', '2', '--tensorboard']) == 0
    assert io.read_run_config(run_dir).tensorboard is True
    assert sorted({s for s, _, _ in values(raw_events(run_dir), 'simple_value')}) == [2]
