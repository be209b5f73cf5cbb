"""Recipes on equal compute: the budget's arithmetic, the FLOP count, and the queue's resume."""
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from conftest import ROOT, assert_quiet_exit

from gan.config import UserError, resolve
from gan.eval.pictures import write_png
from gan.eval.sets import generate_from_checkpoint
from gan.study import queue as Q

DEMO = os.path.join(ROOT, 'data', 'demo')        # 300 faces


# -- arithmetic ---------------------------------------------------------------------------------

def test_real_images_per_step_follow_each_scheme():
    assert Q.real_images_per_step(resolve('gan_animation')) == 128 * 11
    assert Q.real_images_per_step(resolve('ganime')) == 64            # halves of its batch of 128
    assert Q.real_images_per_step(resolve('animefaceswithgan-v4.3')) == 128
    assert Q.real_images_per_step(resolve('dcgan-yernat')) == 100


def test_full_passes_count_their_short_last_batch():
    cfg = resolve('animefaceswithgan-v1')             # batch 128: 300 images are 3 batches a pass
    assert [Q.images_seen(cfg, 300, s) for s in (0, 1, 2, 3, 4, 6)] == [0, 128, 256, 300, 428, 600]
    replacement = resolve('gan_animation')
    assert Q.images_seen(replacement, 300, 2) == 2 * 1408


@pytest.mark.parametrize('preset', ['gan_animation', 'animefaceswithgan-v4.3', 'dcgan-yernat'])
def test_step_for_images_is_the_first_step_that_reaches_the_count(preset):
    cfg = resolve(preset)
    for images in (1, 127, 128, 129, 300, 20673, 63565, 317825):
        s = Q.step_for_images(cfg, 20673, images)
        assert Q.images_seen(cfg, 20673, s) >= images
        assert s == 0 or Q.images_seen(cfg, 20673, s - 1) < images


def test_plan_buys_at_least_the_budget_and_checkpoints_at_its_tenths_and_the_sibling_epochs():
    cfg = resolve('animefaceswithgan-v4.3')
    p = Q.plan(cfg, 20673, 0.3305e12, 1e15)
    assert p.steps == 3026                         # 1e15 / 0.3305e12 = 3025.7, rounded up
    assert p.steps * p.flops_per_step >= 1e15 > (p.steps - 1) * p.flops_per_step
    assert len(p.fraction_steps) == 10 and p.fraction_steps[-1] == p.steps
    assert p.fraction_steps[0] == 303               # 0.1 PFLOP / 0.3305 TFLOP = 302.6
    assert list(p.fraction_steps) == sorted(p.fraction_steps)
    # epoch 1 of the siblings' set (63,565 images) is 3 passes of 20,673 (486 steps) and 13 more
    # batches; epochs 2-6 also fall inside the budget (their published grids: 1-10, 15, ...), 7 not
    assert Q.SIBLING_EPOCHS == tuple(range(1, 11)) + (15, 20, 25, 30, 40, 50)
    want = {e: Q.step_for_images(cfg, 20673, e * 63565) for e in range(1, 7)}
    assert want[1] == 499 and dict(p.image_steps) == want
    assert set(p.milestones) == set(p.fraction_steps) | set(want.values())
    assert p.images == Q.images_seen(cfg, 20673, 3026)


def test_plan_rejects_a_nonpositive_budget():
    with pytest.raises(UserError):
        Q.plan(resolve('gan_animation'), 100, 1e12, 0)


# -- the FLOP count -------------------------------------------------------------------------------

def test_a_traced_convolution_costs_what_tensorflow_registers_for_it(fresh_session):
    """One Conv2D run through the tracer: 2 x output elements x kernel size x input channels,
    with the batch taken from the run (the graph's batch dimension is unknown)."""
    import numpy as np
    import tensorflow as tf
    import keras.backend as K
    from gan.study.flops import Tracer
    x = tf.compat.v1.placeholder(tf.float32, (None, 16, 16, 3))
    w = tf.constant(np.ones((3, 3, 3, 5), np.float32))
    y = tf.nn.conv2d(x, w, strides=1, padding='SAME')
    tracer = Tracer(K.get_session())
    tracer.recording = True
    K.get_session().run(y, feed_dict={x: np.zeros((4, 16, 16, 3), np.float32)})
    assert tracer.flops()['Conv2D'] == 2 * 4 * 16 * 16 * 5 * 3 * 3 * 3


@pytest.mark.slow
def test_each_unrolled_round_adds_the_same_flops():
    """The alternating step is 1 + k D rounds and a G update: the count grows by one round's
    FLOPs per extra round, and a round costs more than nothing."""
    from gan import backend
    from gan.study.flops import count_step_flops
    counts = []
    for k in (0, 1, 2):
        cfg = resolve('gan_animation', arch='tiny', batch_size=8, unroll_steps=k)
        counts.append(count_step_flops(cfg, n_images=32)[0])
    backend.release()
    assert counts[1] - counts[0] == counts[2] - counts[1] > 0


# -- the queue ----------------------------------------------------------------------------------

TINY = ['--arch', 'tiny', '--init', 'keras', '--batch-size', '8', '--sample-interval', '50',
        '--checkpoint-interval', '50', '--no-tensorboard']


def queue(out, presets, pflop, *more, wait=True):
    cmd = [sys.executable, os.path.join(ROOT, 'study.py'), 'run', '--presets', ','.join(presets),
           '--data', DEMO, '--out', out, '--pflop', str(pflop), '--fractions', '2'] + list(more) + TINY
    env = dict(os.environ, PYTHONPATH=ROOT)
    if not wait:
        return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                universal_newlines=True)
    return subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=900)


def read_queue(out):
    with open(os.path.join(out, 'queue.json')) as f:
        return json.load(f)


def test_a_dry_run_prints_the_plan_and_writes_nothing(tmp_path, monkeypatch):
    """study.py run --dry-run: the plan on a new --out creates no folder, and on an existing
    queue leaves its queue.json as it was."""
    counted = []
    monkeypatch.setattr(Q, 'count_flops', lambda preset, changes=None, python=None:
                        counted.append(preset) or {'total': 8e8})
    monkeypatch.setattr(Q, 'describe_build', lambda python=None: 'a build')
    out, lines = str(tmp_path / 'q'), []
    assert Q.run_queue(['dcgan-yernat'], DEMO, out, 4e-5 * 1e15, dry_run=True,
                       log=lines.append) == 0
    assert counted == ['dcgan-yernat'] and not os.path.exists(out)
    steps = Q.plan(resolve('dcgan-yernat'), 300, 8e8, 4e-5 * 1e15, 10).steps
    assert any(line.split()[:3] == ['dcgan-yernat', '0.0008', str(steps)] for line in lines), lines
    os.makedirs(out)
    with open(os.path.join(out, 'queue.json'), 'w') as f:
        json.dump({'data': os.path.abspath(DEMO), 'runs': {}}, f)
    before = open(os.path.join(out, 'queue.json')).read()
    assert Q.run_queue(['dcgan-yernat'], DEMO, out, 4e-5 * 1e15, seeds=[1, 2], dry_run=True,
                       log=lines.append) == 0
    assert open(os.path.join(out, 'queue.json')).read() == before
    assert os.listdir(out) == ['queue.json']


@pytest.mark.slow
def test_the_queue_stops_on_sigterm_continues_where_it_stopped_and_is_scored(tmp_path):
    """One queue through its life: SIGTERM during the first run stops it after a checkpoint,
    the rerun resumes that run and trains the next to the budget, the scorer reads both, and a
    larger budget extends a finished run."""
    from gan import io
    from gan.study import scoreboard
    out = str(tmp_path / 'q')
    # tiny D and G: a dcgan-yernat step is ~0.8 GFLOP, so 4e-5 PFLOP buys some fifty steps;
    # one worker (the engine's, or this process on Python 3.6) trains one run at a time
    p = queue(out, ['dcgan-yernat', 'animefacesgan'], 4e-5, '--workers', '1', wait=False)
    log = os.path.join(out, 'dcgan-yernat-seed1.log')
    deadline = time.time() + 600
    while time.time() < deadline:                       # until the first run has trained a step
        if os.path.exists(log) and 'step 2/' in open(log).read():
            break
        time.sleep(0.5)
    p.send_signal(signal.SIGTERM)
    stdout, stderr = p.communicate(timeout=300)
    assert p.returncode == 128 + signal.SIGTERM, stdout + stderr
    assert 'TFLOP/step' in stdout
    doc = read_queue(out)
    assert doc['runs']['dcgan-yernat-seed1']['state'] == 'stopped'
    assert doc['runs']['animefacesgan-seed1']['state'] == 'waiting'   # the queue did not go on
    run_dir = os.path.join(out, 'dcgan-yernat-seed1')
    plan = doc['runs']['dcgan-yernat-seed1']['plan']
    stopped = io.latest_step(run_dir)
    assert 2 <= stopped < plan['steps']

    r = queue(out, ['dcgan-yernat', 'animefacesgan'], 4e-5)
    assert r.returncode == 0, r.stdout + r.stderr
    assert_quiet_exit(r.stderr)
    doc = read_queue(out)
    assert doc['runs']['dcgan-yernat-seed1']['segments'][-1]['from_step'] == stopped
    assert [doc['runs'][k]['state'] for k in ('dcgan-yernat-seed1', 'animefacesgan-seed1')] == ['done', 'done']
    assert io.latest_step(run_dir) == plan['steps']
    assert set(io.checkpoint_steps(os.path.join(run_dir, 'weight'))) >= set(plan['fraction_steps'])
    steps = [int(r['step']) for r in io.read_history(os.path.join(run_dir, 'history.csv'))]
    assert steps == sorted(set(steps)) and steps[-1] == plan['steps']  # one history, no step twice

    # the scorer: every kept checkpoint of the budget's tenths, scored once and then cached
    lines = []
    result = scoreboard.score(out, DEMO, str(tmp_path / 'score'), n=8, real_n=40, faces=4,
                              published=False, log=lines.append)
    runs = {r['preset']: r for r in result['runs']}
    assert sorted(runs) == ['animefacesgan', 'dcgan-yernat']
    yernat = runs['dcgan-yernat']
    assert [p['step'] for p in yernat['points']] == plan['fraction_steps']
    for point in yernat['points']:
        assert point['pflop'] == pytest.approx(point['step'] * yernat['flops_per_step'] / 1e15)
        assert point['n'] == 8 and point['swd']['mean'] > 0
        assert set(point['swd']) == {'64', '32', '16', 'mean'}
    assert yernat['cpu_hours'] > 0 and yernat['builds']
    for name in ('scores.json', 'table.md', 'swd_vs_compute.png', 'at_budget.jpg'):
        assert os.path.getsize(str(tmp_path / 'score' / name)) > 0
    table = open(str(tmp_path / 'score' / 'table.md')).read()
    # the rows name the recipe: the preset with the flags that changed its math (not the intervals)
    assert yernat['recipe'] == 'dcgan-yernat --arch tiny --batch-size 8'
    assert '`%s`' % yernat['recipe'] in table and 'real vs real (floor)' in table
    lines = []
    again = scoreboard.score(out, DEMO, str(tmp_path / 'score2'), n=8, real_n=40, faces=4,
                             published=False, log=lines.append)
    assert not any(l.startswith('scoring ') for l in lines)          # from the cache
    assert again['runs'][0]['points'] == result['runs'][0]['points']
    with pytest.raises(UserError):                              # never overwrites
        scoreboard.score(out, DEMO, str(tmp_path / 'score2'), n=8, real_n=40, published=False)

    # records: the runs' rows and faces kept apart, and a table made from them alone
    records = str(tmp_path / 'records')
    kept = scoreboard.score(out, DEMO, str(tmp_path / 'score3'), n=8, real_n=40, faces=4,
                            keep_faces=4, published=False, records=records, log=lines.append)
    assert sorted(os.listdir(records)) == sorted(
        '%s+arch=tiny+batch-size=8-seed1-step%d%s' % (r['preset'], r['points'][-1]['step'], ext)
        for r in kept['runs'] for ext in ('.png', scoreboard.RECORD_SUFFIX))
    assert all(r['record'].startswith(records) for r in kept['runs'])   # drawn from the records
    alone = scoreboard.score(None, DEMO, str(tmp_path / 'score4'), n=8, real_n=40, faces=4,
                             published=False, records=records, log=lines.append)
    assert [r['preset'] for r in alone['runs']] == sorted(runs)
    assert [r['points'] for r in alone['runs']] == [runs[k]['points'] for k in sorted(runs)]
    assert open(str(tmp_path / 'score4' / 'table.md')).read().count('`%s`' % yernat['recipe']) == 1
    faces, _ = generate_from_checkpoint(run_dir, n=4, seed=0, step=plan['steps'])
    assert np.array_equal(scoreboard.record_faces(alone['runs'][1]), faces)

    # a larger budget resumes the finished run from its last checkpoint to the new step count
    r = queue(out, ['dcgan-yernat'], 5e-5)
    assert r.returncode == 0, r.stdout + r.stderr
    doc = read_queue(out)
    seg = doc['runs']['dcgan-yernat-seed1']['segments'][-1]
    assert seg['from_step'] == plan['steps'] and '--resume' in seg['command']
    assert io.latest_step(run_dir) == doc['runs']['dcgan-yernat-seed1']['plan']['steps'] > plan['steps']
    assert len(doc['runs']['animefacesgan-seed1']['segments']) == 1          # not run again

    # another data folder is another queue
    r = subprocess.run([sys.executable, os.path.join(ROOT, 'study.py'), 'run', '--presets',
                        'dcgan-yernat', '--data', os.path.join(ROOT, 'data'), '--out', out] + TINY,
                       cwd=ROOT, env=dict(os.environ, PYTHONPATH=ROOT), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, universal_newlines=True, timeout=300)
    assert r.returncode == 1 and 'Error: the queue in' in r.stderr


def _record(folder, preset, step, identity, faces):
    from gan.study import scoreboard
    stem = os.path.join(folder, '%s-seed1-step%d' % (preset, step))
    write_png(stem + '.png', scoreboard._faces_grid(faces)[0])
    row = {'preset': preset, 'run': preset + '-seed1', 'points': [{'step': step}], 'real': identity,
           'faces': {'file': os.path.basename(stem) + '.png', 'n': len(faces), 'cols': 3, 'seed': 0}}
    with open(stem + scoreboard.RECORD_SUFFIX, 'w') as f:
        json.dump(row, f)


def test_records_of_the_same_real_set_give_each_preset_its_longest_run(tmp_path):
    from gan.study import scoreboard
    real = scoreboard.RealSet(DEMO, 8, real_n=40)
    rng = np.random.RandomState(0)
    faces = rng.randint(0, 256, (7, 64, 64, 3)).astype(np.uint8)   # 7 on a 3x3 grid
    folder = str(tmp_path)
    _record(folder, 'ganime', 100, real.identity(), faces)
    _record(folder, 'ganime', 300, real.identity(), faces[::-1])
    other = dict(real.identity(), pixels_sha256='0' * 64)
    _record(folder, 'dcgan-yernat', 500, other, faces)
    said = []
    rows = scoreboard.load_records(folder, real, log=said.append)
    assert [(r['preset'], r['points'][-1]['step']) for r in rows] == [('ganime', 300)]
    assert len(said) == 1 and 'dcgan-yernat-seed1-step500' in said[0] and 'another real set' in said[0]
    assert np.array_equal(scoreboard.record_faces(rows[0]), faces[::-1])
    # a queue's run wins unless a record has scored more steps (rows are per recipe and seed)
    queue_rows = [{'preset': 'ganime', 'seed': 1, 'points': [{'step': 200}]},
                  {'preset': 'animefacesgan', 'seed': 1, 'points': []}]
    merged = scoreboard.merge_rows(queue_rows, rows)
    assert [(r['preset'], 'record' in r) for r in merged] == [('ganime', True), ('animefacesgan', False)]
    assert scoreboard.merge_rows([{'preset': 'ganime', 'seed': 1, 'points': [{'step': 400}]}], rows)[0]['points'][0]['step'] == 400
    # the same pixels give the same identity; a broken record is named
    assert scoreboard.RealSet(DEMO, 8, real_n=40).identity() == real.identity()
    with open(os.path.join(folder, 'x' + scoreboard.RECORD_SUFFIX), 'w') as f:
        f.write('{"points": []}')
    with pytest.raises(UserError, match='x.record.json is not a record'):
        scoreboard.load_records(folder, real)


def test_a_real_sets_digest_is_its_pixels_as_records_carry_it():
    """The digest is computed in one place (gan.eval.scores.pixels_sha256): the value pinned here
    was made before it moved there, so records keep matching their real set."""
    from gan.eval.scores import pixels_sha256
    from gan.study import scoreboard
    real = scoreboard.RealSet(DEMO, 8, real_n=40)
    digest = real.identity()['pixels_sha256']
    assert digest == 'b2b5bf288eb868fdc3947cb93caf078c6040a31330e7edbb233edd95cb92ef3a'
    assert digest == pixels_sha256(real.rest, real.held) != pixels_sha256(real.held, real.rest)


def test_the_committed_records_match_their_real_set():
    """docs/results' records were scored against ../shared/data/anime64-full (100 generated,
    1000 real, seed 0): the same real set, drawn and digested now, takes every one of them."""
    from gan.study import scoreboard
    folder = os.path.join(os.path.dirname(ROOT), 'shared', 'data', 'anime64-full')
    if not os.path.isdir(folder):
        pytest.skip('../shared/data/anime64-full is absent')
    records = os.path.join(ROOT, 'docs', 'results')
    said = []
    rows = scoreboard.load_records(records, scoreboard.RealSet(folder, 100, 1000, 0),
                                   log=said.append)
    assert rows and not said, said               # a record of another real set is said


def test_a_recipe_is_named_by_its_preset_and_the_flags_that_change_its_math():
    assert Q.recipe_name('animefaceswithgan-v4.3') == 'animefaceswithgan-v4.3'
    changes = {'g_threshold': 0.0, 'g_extra_threshold': 4.0, 'sample_interval': 7,
               'kernels': 'stock', 'd_threshold': 0.2,          # d_threshold: the preset's own
               'restart_every': 2000}                           # a restart: not the math
    assert Q.recipe_name('animefaceswithgan-v4.3', changes) == \
        'animefaceswithgan-v4.3 --g-extra-threshold 4 --g-threshold 0'
    assert Q.recipe_slug('animefaceswithgan-v4.3', changes) == \
        'animefaceswithgan-v4.3+g-extra-threshold=4+g-threshold=0'
    from gan.study import scoreboard
    # rows of one preset as two recipes stay apart; a record made before recipes were kept is its preset's
    rows = [{'preset': 'ganime', 'recipe': 'ganime --g-lr 0.0001', 'seed': 1, 'points': [{'step': 9}]},
            {'preset': 'ganime', 'recipe': 'ganime', 'seed': 1, 'points': [{'step': 5}]}]
    merged = scoreboard.merge_rows(rows, [{'preset': 'ganime', 'run': 'ganime-seed1',
                                           'points': [{'step': 6}], 'record': 'r'}])
    assert [(scoreboard.recipe(r), r['points'][0]['step']) for r in merged] == [
        ('ganime --g-lr 0.0001', 9), ('ganime', 6)]


def test_a_signal_stops_the_queue_whatever_the_run_exits_with():
    assert Q.outcome(0) == 'done'
    assert Q.outcome(1) == 'failed'                       # the NaN guard, a bad option
    assert Q.outcome(143) == 'stopped'                    # train.py checkpointed on SIGTERM
    assert Q.outcome(-15) == 'stopped'                    # killed before its handler was set
    assert Q.outcome(1, received=signal.SIGTERM) == 'stopped'
    assert Q.outcome(0, received=signal.SIGINT) == 'stopped'


def test_queue_flags_that_it_sets_itself_are_refused(tmp_path):
    r = subprocess.run([sys.executable, os.path.join(ROOT, 'study.py'), 'run', '--presets', 'ganime',
                        '--data', DEMO, '--out', str(tmp_path), '--steps', '5'], cwd=ROOT,
                       env=dict(os.environ, PYTHONPATH=ROOT), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, universal_newlines=True, timeout=120)
    assert r.returncode == 1 and '--steps' in r.stderr and 'Error:' in r.stderr
    r = subprocess.run([sys.executable, os.path.join(ROOT, 'study.py'), 'run', '--presets', 'nope',
                        '--data', DEMO, '--out', str(tmp_path)], cwd=ROOT,
                       env=dict(os.environ, PYTHONPATH=ROOT), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, universal_newlines=True, timeout=120)
    assert r.returncode == 1 and 'unknown nope' in r.stderr


def test_a_run_is_shown_beside_the_october_grid_of_the_epoch_it_reached():
    from gan.study.scoreboard import matched_reference
    epoch = Q.SIBLING_EPOCH_IMAGES
    assert matched_reference('animefaceswithgan-v1', int(6.1 * epoch)).name == 'animefaceswithgan-v1:6'
    assert matched_reference('animefaceswithgan-v1', 1000).name == 'animefaceswithgan-v1:1'   # its first
    assert matched_reference('animefaceswithgan-v4.3', 12 * epoch).name == 'animefaceswithgan-v4.3:10'
    assert matched_reference('animefaceswithgan-v3', 45 * epoch).commit.startswith('1b49d6d')
    assert matched_reference('ganime', 1).name == 'ganime:final'
    assert matched_reference('animefacesgan', 1) is None                                   # none published


def test_a_queue_of_the_first_format_reads_as_runs_keyed_by_preset_and_seed():
    old = {'data': '/d', 'seed': 2, 'runs': {'ganime': {'run': 'ganime-seed2', 'state': 'done'},
                                              'dcgan-yernat': {'state': 'waiting'}}}
    doc = Q.upgrade(old)
    assert 'seed' not in doc and sorted(doc['runs']) == ['dcgan-yernat-seed2', 'ganime-seed2']
    assert doc['runs']['ganime-seed2'] == {'run': 'ganime-seed2', 'state': 'done',
                                           'preset': 'ganime', 'seed': 2}
    assert Q.upgrade(doc) == doc                        # the new format as it is


def test_a_started_run_joins_the_queue_as_the_run_of_its_seed(tmp_path):
    from gan import io
    source = str(tmp_path / 'run')
    os.makedirs(source)
    io.write_run_config(source, resolve('ganime', seed=3), {})
    assert Q._start_seed('ganime', source, [1, 3]) == 3
    with pytest.raises(UserError, match='has seed 3; give it in --seeds'):
        Q._start_seed('ganime', source, [1, 2])
    with pytest.raises(UserError, match='no run folder'):
        Q._start_seed('ganime', str(tmp_path / 'none'), [1])
