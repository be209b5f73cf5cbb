"""Long runs survive: exact resume after SIGKILL (even mid-write), SIGTERM, the NaN guard, start-up checks."""
import json
import os
import random
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from conftest import ROOT, assert_quiet_exit

DRIVER = os.path.join(ROOT, 'tests', 'train_driver.py')
DATA = os.path.join(ROOT, 'data', 'demo')
# stand-in networks, deterministic: a step takes a fraction of a second
TINY = ['--arch', 'tiny', '--batch-size', '8', '--unroll-steps', '1', '--seed', '5', '--deterministic',
        '--sample-interval', '2', '--checkpoint-interval', '2', '--history-interval', '3',
        '--grid-size', '2', '--keep-checkpoints', '0', '--data', DATA]
STEPS = 6


def env(**extra):
    e = dict(os.environ, PYTHONPATH=ROOT, TF_CPP_MIN_LOG_LEVEL='2')
    e.update({k: str(v) for k, v in extra.items()})
    return e


def train(args, **extra):
    return subprocess.run([sys.executable, DRIVER] + args, cwd=ROOT, env=env(**extra), timeout=900,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)


def final_state(run_dir, step=STEPS):
    """Everything a finished run leaves that must match: weights, optimizer/RNG state, history, grid."""
    from gan import io
    out = {}
    for kind in ('generator', 'discriminator'):
        for i, (prefix, params) in enumerate(io.read_h5_weights(io.weight_path(run_dir, kind, step))):
            for name, arr in params.items():
                out['%s/%d/%s' % (kind, i, name)] = arr
    with np.load(io.state_path(run_dir, step)) as z:
        for k in z.files:
            if k != 'meta':
                out['state/' + k] = z[k]
    out['history'] = open(os.path.join(run_dir, 'history.csv')).read()
    out['grid'] = open(os.path.join(run_dir, 'image', 'Faces_%d.png' % step), 'rb').read()
    return out


def assert_same(a, b):
    assert sorted(a) == sorted(b)
    for k in a:
        if isinstance(a[k], np.ndarray):
            assert np.array_equal(a[k], b[k]), k
        else:
            assert a[k] == b[k], k


@pytest.fixture(scope='module')
def baseline_run(tmp_path_factory):
    """The uninterrupted run: its final state and its wall time (process start to exit)."""
    out = str(tmp_path_factory.mktemp('baseline'))
    t0 = time.time()
    r = train(TINY + ['--steps', str(STEPS), '--out', out])
    seconds = time.time() - t0
    assert r.returncode == 0, r.stderr[-3000:]
    return final_state(os.path.join(out, '1')), seconds


@pytest.fixture(scope='module')
def baseline(baseline_run):
    return baseline_run[0]


def resume_until_done(run_dir, **extra):
    for _ in range(10):
        r = train(['--resume', run_dir], **extra)
        if r.returncode == 0:
            return r
    raise AssertionError('resume did not finish: %s' % r.stderr[-3000:])


def test_sigkill_mid_checkpoint_write_then_resume_is_exact(baseline, tmp_path):
    out = str(tmp_path)
    # atomic writes: config.json (1), grid_latents.npy (2), Faces_2 (3), checkpoint 2 = state, G,
    # D, gan, manifest (4..8), Faces_4 (9), then checkpoint 4: die inside its generator file (11)
    r = train(TINY + ['--steps', str(STEPS), '--out', out], CRASH_AT_WRITE=11)
    assert r.returncode == -signal.SIGKILL
    run_dir = os.path.join(out, '1')
    weight = os.path.join(run_dir, 'weight')
    assert json.load(open(os.path.join(weight, 'checkpoint.json')))['step'] == 2   # still the old one
    assert any(n.startswith('.') for n in os.listdir(weight))   # the torn temporary file...
    resume_until_done(run_dir)
    assert not any(n.startswith('.') for n in os.listdir(weight))  # ...is gone after the resume
    assert_same(final_state(run_dir), baseline)


def test_restart_every_reexecs_in_place_and_equals_an_uninterrupted_run(baseline, tmp_path):
    out = str(tmp_path)
    run_dir = os.path.join(out, '1')
    r = train(TINY + ['--steps', str(STEPS), '--out', out, '--restart-every', '2'], SHOW_PID=1)
    assert r.returncode == 0, r.stderr[-3000:]
    # a checkpoint and a fresh interpreter after steps 2 and 4 (not after the last step), each
    # resuming in the same process: the pid printed at each start is the one subprocess started
    assert [int(s) for s in re.findall(r'restarting the process at step (\d+)', r.stdout)] == [2, 4]
    assert re.findall(r'resuming .* from step (\d+)', r.stdout) == ['2', '4']
    pids = re.findall(r'driver pid (\d+)', r.stdout)
    assert len(pids) == 3 and len(set(pids)) == 1
    assert json.load(open(os.path.join(run_dir, 'config.json')))['options']['restart_every'] == 2
    assert_same(final_state(run_dir), baseline)


def test_sigkill_at_random_moments_then_resume_is_exact(baseline_run, tmp_path):
    baseline, seconds = baseline_run
    rng = random.Random(int(os.environ.get('KILL_TEST_SEED', '0')))
    out = str(tmp_path)
    run_dir = os.path.join(out, '1')
    args = TINY + ['--steps', str(STEPS), '--out', out]
    kills = 0
    for attempt in range(4):
        p = subprocess.Popen([sys.executable, DRIVER] + args, cwd=ROOT, env=env(),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # a kill at a random moment of the run's second half (scaled by how long the
        # uninterrupted run took here: start-up is most of it, the steps come last)
        time.sleep(rng.uniform(0.5, 0.9) * seconds * 0.7 ** attempt)
        if p.poll() is None:
            p.send_signal(signal.SIGKILL)
            kills += 1
        p.wait()
        if p.returncode == 0:
            if kills:
                break
            # it finished before the kill (the baseline ran on a busier machine): start again
            # in a new folder, killing earlier
            out = str(tmp_path / ('again%d' % attempt))
            run_dir = os.path.join(out, '1')
            args = TINY + ['--steps', str(STEPS), '--out', out]
        else:
            args = ['--resume', run_dir]
    assert kills >= 1
    if not os.path.exists(os.path.join(run_dir, 'config.json')):
        pytest.skip('every kill landed before the run folder existed (a very slow machine)')
    resume_until_done(run_dir)
    assert_same(final_state(run_dir), baseline)


def test_sigterm_checkpoints_and_says_how_to_resume(baseline, tmp_path):
    out = str(tmp_path)
    p = subprocess.Popen([sys.executable, DRIVER] + TINY + ['--steps', str(STEPS), '--out', out],
                         cwd=ROOT, env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         universal_newlines=True)
    for line in p.stdout:
        if line.startswith('step 3/'):
            p.send_signal(signal.SIGTERM)
            break
    _, err = p.communicate(timeout=300)
    assert p.returncode == 128 + signal.SIGTERM, err[-2000:]
    assert_quiet_exit(err)
    run_dir = os.path.join(out, '1')
    assert 'python train.py --resume %s' % run_dir in err
    stopped = json.load(open(os.path.join(run_dir, 'weight', 'checkpoint.json')))['step']
    assert 3 <= stopped < STEPS
    resume_until_done(run_dir)
    assert_same(final_state(run_dir), baseline)


def test_nan_guard_stops_keeps_last_good_checkpoint_and_writes_diagnostics(tmp_path):
    out = str(tmp_path)
    r = train(TINY + ['--steps', str(STEPS), '--out', out], NAN_AT_STEP=3)
    assert r.returncode == 1
    assert 'Error: training diverged at step 3: loss g_loss = nan' in r.stderr
    assert_quiet_exit(r.stderr)
    run_dir = os.path.join(out, '1')
    assert json.load(open(os.path.join(run_dir, 'weight', 'checkpoint.json')))['step'] == 2
    report = json.load(open(os.path.join(run_dir, 'nonfinite.json')))
    assert report['step'] == 3 and [s['step'] for s in report['recent_steps']] == [1, 2, 3]


def test_startup_checks_fail_before_training(tmp_path):
    out = str(tmp_path)
    r = train(TINY + ['--steps', '2', '--out', out], FREE_BYTES=10 << 20)
    assert r.returncode == 1 and 'MB free' in r.stderr and '--out' in r.stderr
    assert not os.path.exists(os.path.join(out, '1'))            # nothing written
    (tmp_path / 'file').write_text('x')
    r = train(TINY + ['--steps', '2', '--out', str(tmp_path / 'file')])
    assert r.returncode == 1 and 'Error: cannot create output folder' in r.stderr


def test_resume_refuses_to_change_the_recipe(baseline, tmp_path):
    out = str(tmp_path)
    r = train(TINY + ['--steps', '2', '--out', out])
    assert r.returncode == 0, r.stderr[-2000:]
    run_dir = os.path.join(out, '1')
    r = train(['--resume', run_dir, '--batch-size', '16', '--dry-run'])
    assert r.returncode == 1 and '--batch-size 8' in r.stderr and 'drop --batch-size' in r.stderr
    r = train(['--resume', '--out', out, '--steps', '3', '--dry-run'])      # latest run, longer
    assert r.returncode == 0 and json.loads(r.stdout)['steps'] == 3
    r = train(['--resume', str(tmp_path / 'nope')])
    assert r.returncode == 1 and 'Error: --resume' in r.stderr
