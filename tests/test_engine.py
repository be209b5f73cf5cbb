"""The study's engine on this machine: a scheduler and two workers stand for two machines; a
worker killed mid-run hands its run to the other, which resumes it to the same weights as an
uninterrupted run. Also: the default local cluster, an unreachable scheduler, an old queue.json."""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import warnings

import numpy as np
import pytest

from conftest import ROOT

pytest.importorskip('distributed', reason='the engine needs Dask distributed (Python >= 3.7, '
                    'requirements.txt)')

DEMO = os.path.join(ROOT, 'data', 'demo')
BIN = os.path.dirname(sys.executable)
PRESET = 'dcgan-yernat'
# tiny networks, bit-exact (--deterministic), a checkpoint every 2 steps, all kept
TINY = ['--arch', 'tiny', '--init', 'keras', '--batch-size', '8', '--deterministic',
        '--sample-interval', '1000', '--checkpoint-interval', '2', '--keep-checkpoints', '0',
        '--history-interval', '1', '--grid-size', '2', '--no-tensorboard']
PFLOP = 2.4e-6                   # a tiny dcgan-yernat step is ~67 MFLOP: 36 steps
ENV = dict(os.environ, PYTHONPATH=ROOT, TF_CPP_MIN_LOG_LEVEL='2')


def study(out, seeds, *more, pflop=PFLOP, wait=True):
    cmd = [sys.executable, os.path.join(ROOT, 'study.py'), 'run', '--presets', PRESET, '--data',
           DEMO, '--out', out, '--pflop', str(pflop), '--fractions', '2', '--seeds', seeds] + \
        list(more) + TINY
    if not wait:
        return subprocess.Popen(cmd, cwd=ROOT, env=ENV, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, universal_newlines=True)
    return subprocess.run(cmd, cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=900)


def read_queue(out):
    with open(os.path.join(out, 'queue.json')) as f:
        return json.load(f)


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def weights(run_dir, step):
    from gan import io
    out = {}
    for kind in ('generator', 'discriminator'):
        for i, (_, params) in enumerate(io.read_h5_weights(io.weight_path(run_dir, kind, step))):
            for name, arr in params.items():
                out['%s/%d/%s' % (kind, i, name)] = arr
    return out


def history_steps(run_dir):
    from gan import io
    return [int(r['step']) for r in io.read_history(os.path.join(run_dir, 'history.csv'))]


@pytest.fixture(scope='module')
def reference(tmp_path_factory):
    """Seed 1 trained uninterrupted on the default engine: a local cluster of one worker."""
    out = str(tmp_path_factory.mktemp('reference'))
    r = study(out, '1', '--workers', '1')
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert 'engine: 1 local Dask workers' in r.stdout
    return out


@pytest.fixture
def cluster(tmp_path):
    """A dask-scheduler and two dask-worker processes (one thread each, no nanny: killing one
    kills the worker itself), as two machines would run them (docs/study.md: DASK_CONFIG set)."""
    from gan.study import engine
    env = dict(ENV, DASK_CONFIG=engine.DASK_CONFIG)
    port = free_port()
    address = 'tcp://127.0.0.1:%d' % port
    logs = open(str(tmp_path / 'cluster.log'), 'w')
    procs = [subprocess.Popen([os.path.join(BIN, 'dask-scheduler'), '--host', '127.0.0.1',
                               '--port', str(port), '--no-dashboard'],
                              env=env, stdout=logs, stderr=subprocess.STDOUT)]
    workers = {}
    try:
        for _ in range(2):
            wport = free_port()
            p = subprocess.Popen([os.path.join(BIN, 'dask-worker'), address, '--nthreads', '1',
                                  '--no-nanny', '--host', '127.0.0.1', '--worker-port', str(wport),
                                  '--no-dashboard', '--local-directory', str(tmp_path)],
                                 env=env, cwd=ROOT, stdout=logs, stderr=subprocess.STDOUT)
            procs.append(p)
            workers['tcp://127.0.0.1:%d' % wport] = p
        yield address, workers
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.kill()
            p.wait()
        logs.close()


def test_a_killed_workers_run_resumes_on_another_to_the_uninterrupted_weights(cluster, reference,
                                                                              tmp_path):
    address, workers = cluster
    out = str(tmp_path / 'q')
    client = study(out, '1,2,3,4', '--scheduler', address, wait=False)
    run = '%s-seed1' % PRESET
    run_dir = os.path.join(out, run)
    deadline, victim = time.time() + 600, None
    from gan import io
    while victim is None and time.time() < deadline:     # seed 1, first in the queue, saved a step
        attempt = run_dir + '.attempt.json'
        if os.path.isdir(run_dir) and (io.latest_step(run_dir) or 0) >= 2 and os.path.exists(attempt):
            with open(attempt) as f:
                victim = json.load(f)['worker']
        assert client.poll() is None, client.communicate()
        time.sleep(0.2)
    assert victim in workers, (victim, list(workers))
    # queue.json shows who trains what while they train: seed 1 running on the victim, seed 4
    # (fourth of four runs on two workers) still waiting
    while time.time() < deadline and read_queue(out)['runs'][run]['state'] != 'running':
        time.sleep(0.2)
    doc = read_queue(out)
    assert doc['runs'][run]['state'] == 'running' and doc['runs'][run]['worker'] == victim
    assert doc['runs']['%s-seed4' % PRESET]['state'] == 'waiting'
    workers[victim].send_signal(signal.SIGKILL)
    stdout, stderr = client.communicate(timeout=900)
    assert client.returncode == 0, stdout[-3000:] + stderr[-3000:]

    doc = read_queue(out)
    runs = ['%s-seed%d' % (PRESET, s) for s in (1, 2, 3, 4)]
    assert sorted(doc['runs']) == runs and 'seed' not in doc
    steps = doc['runs'][run]['plan']['steps']
    for name in runs:
        entry = doc['runs'][name]
        assert entry['state'] == 'done' and entry['seed'] == int(name[-1]) and 'worker' not in entry
        ends = [s for s in entry['segments'] if s['to_step'] == steps]
        assert len(ends) == 1, entry['segments']           # trained to the end once
        h = history_steps(os.path.join(out, name))
        assert h == sorted(set(h)) and h[-1] == steps     # each step once
    # the killed worker's child checkpointed (SIGTERM on its worker's death) and stopped early;
    # the other worker resumed from there
    lost, resumed = doc['runs'][run]['segments']
    assert lost['worker'] == victim and lost['lost'] and 2 <= lost['to_step'] < steps
    assert resumed['worker'] != victim and resumed['from_step'] == lost['to_step']
    assert '--resume' in resumed['command'] and resumed['exit'] == 0
    log = open(run_dir + '.log').read()
    assert 'SIGTERM received' in log and 'aborted' not in log    # one SIGTERM: it checkpointed
    assert sorted(d for d in os.listdir(out) if os.path.isdir(os.path.join(out, d))
                  and not d.startswith('.')) == runs    # no folder doubled
    ours, theirs = weights(run_dir, steps), weights(os.path.join(reference, run), steps)
    assert sorted(ours) == sorted(theirs)
    for k in ours:
        assert np.array_equal(ours[k], theirs[k]), k


def test_an_unreachable_scheduler_is_an_error_naming_it(tmp_path):
    address = 'tcp://127.0.0.1:%d' % free_port()           # nothing listens there
    r = study(str(tmp_path / 'q'), '1', '--scheduler', address)
    assert r.returncode != 0 and 'Error: ' in r.stderr and address in r.stderr, r.stderr[-3000:]
    assert not os.path.exists(str(tmp_path / 'q' / 'queue.json'))


class _Real(object):
    """run_rows' real set, with every score already in the queue's cache."""
    n, seed = 8, 0

    def key(self):
        return 'test'


def test_a_queue_of_the_first_format_is_continued_and_scored(reference, tmp_path):
    from gan.study import scoreboard
    out = str(tmp_path / 'old')
    shutil.copytree(reference, out)
    doc = read_queue(out)
    (name, entry), = doc['runs'].items()
    steps = entry['plan']['steps']
    segments = entry['segments']
    for k in ('preset', 'seed'):
        del entry[k]
    old = dict(doc, seed=1, runs={PRESET: entry})            # as the queue wrote it before seeds
    with open(os.path.join(out, 'queue.json'), 'w') as f:
        json.dump(old, f)

    cache = {'test|%s|%d' % (name, s): {'n': 8} for s in entry['plan']['fraction_steps']}
    with open(os.path.join(out, scoreboard.SCORES_CACHE), 'w') as f:
        json.dump(cache, f)
    _, rows = scoreboard.run_rows(out, _Real())
    assert [(r['preset'], r['seed'], r['run']) for r in rows] == [(PRESET, 1, name)]

    r = study(out, '1', '--workers', '1', pflop=1.5 * PFLOP)   # a larger budget extends it
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    doc = read_queue(out)
    assert list(doc['runs']) == [name] and 'seed' not in doc
    entry = doc['runs'][name]
    assert entry['preset'] == PRESET and entry['seed'] == 1 and entry['state'] == 'done'
    assert entry['segments'][:len(segments)] == segments
    assert entry['segments'][-1]['from_step'] == steps < entry['plan']['steps']
    assert history_steps(os.path.join(out, name))[-1] == entry['plan']['steps']


def test_without_dask_the_queue_runs_in_this_process(reference, tmp_path):
    """Python 3.6's path, with `distributed` made unimportable: one line says so, and
    --scheduler is an error."""
    out = str(tmp_path / 'q')
    shutil.copytree(reference, out)
    code = ("import sys; sys.modules['distributed'] = None; sys.argv[0] = 'study.py'; "
            "from gan.study.cli import main; sys.exit(main())")
    cmd = [sys.executable, '-c', code, 'run', '--presets', PRESET, '--data', DEMO, '--out', out,
           '--pflop', str(PFLOP), '--fractions', '2', '--seeds', '1'] + TINY
    r = subprocess.run(cmd + ['--scheduler', 'tcp://127.0.0.1:1'], cwd=ROOT, env=ENV,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    assert r.returncode == 1 and 'Error: --scheduler needs the engine: Python >= 3.7' in r.stderr
    r = subprocess.run(cmd, cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True, timeout=300)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert 'not installed (Python 3.6): the runs go one after another' in r.stdout
    assert 'every run has its budget' in r.stdout           # the finished run is skipped


def _config(run, keys):
    """{key: value} of Dask's settings from run(fn, *args) (client.run and the like, which pickle
    fn by reference: it must be importable there, as dask.config.get is), per worker if it gives
    one per worker."""
    out = {}
    for k in keys:
        got = run(k)
        if isinstance(got, dict):
            for worker, v in got.items():
                out.setdefault(worker, {})[k] = v
        else:
            out[k] = got
    return out


def test_the_engine_quiets_dasks_housekeeping(tmp_path):
    """The engine's Dask settings (gan/study/dask-config) reach the local cluster study.py starts,
    scheduler and workers, and a worker started by hand with DASK_CONFIG set, as docs/study.md
    starts them; the local scheduler leaves Dask's default HTTP port to whoever holds it."""
    import copy
    import dask
    from gan.study import engine
    want = engine.engine_config()
    assert want and all(dask.config.get(k) != v for k, v in want.items())   # none is Dask's default
    saved = copy.deepcopy(dask.config.config)
    # Dask's default HTTP port held, as by a second queue on this machine: no warning about it
    held = socket.socket()
    try:
        held.bind(('', 8787))
        held.listen(1)
    except OSError:
        pass                        # something else holds it already
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        cluster, hand = engine.Cluster(workers=2, log=lambda *a: None), None
    held.close()
    try:
        assert not [w for w in caught if 'already in use' in str(w.message)]
        client = cluster.client
        got = _config(lambda k: client.run(dask.config.get, k), want)
        assert len(got) == 2 and all(g == want for g in got.values()), got
        # no memory limit: the nannies do not poll their workers' memory
        assert [w['memory_limit'] for w in client.scheduler_info()['workers'].values()] == [0, 0]
        assert _config(lambda k: client.run_on_scheduler(dask.config.get, k), want) == want
        hand = subprocess.Popen([os.path.join(BIN, 'dask-worker'), client.scheduler.address,
                                 '--nthreads', '1', '--no-nanny', '--no-dashboard',
                                 '--local-directory', str(tmp_path)],
                                env=dict(ENV, DASK_CONFIG=engine.DASK_CONFIG), cwd=str(tmp_path),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client.wait_for_workers(3, timeout=120)
        new = set(client.scheduler_info()['workers']) - set(got)
        assert len(new) == 1
        assert _config(lambda k: client.run(dask.config.get, k, workers=list(new)), want) == \
            {new.pop(): want}
    finally:
        if hand is not None:
            hand.kill()
            hand.wait()
        cluster.close()
        dask.config.config.clear()
        dask.config.config.update(saved)
