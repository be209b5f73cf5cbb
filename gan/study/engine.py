"""The queue's engine: each (preset, seed) run is one Dask task that trains it with train.py in a
child process on a worker. The client (`study.py run`) submits the tasks, collects their segments
as they end and alone writes queue.json. Dask distributed is optional (Python >= 3.7)."""
import ctypes
import fcntl
import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid

from .. import io
from ..config import UserError
from . import queue as Q

try:
    import dask
    import distributed
    import yaml                 # PyYAML, a dependency of dask
except ImportError:             # Python 3.6: the queue trains in its own process
    distributed = None

POLL = 1.0                      # seconds between a task's looks at its queue's stop event
CONNECT_TIMEOUT = '20s'
PR_SET_PDEATHSIG = 1            # linux/prctl.h
_BUILDS = {}                    # describe_build per interpreter, once per worker process
WATCH = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'watch.py')
# Dask settings for our long tasks (quieter housekeeping); DASK_CONFIG=<this folder> for workers
# started by hand
DASK_CONFIG = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'dask-config')


def available():
    return distributed is not None


def engine_config():
    """DASK_CONFIG's settings as dotted keys: {'distributed.admin.tick.interval': '1s', ...}."""
    def flat(d, prefix=''):
        for k, v in d.items():
            if isinstance(v, dict):
                yield from flat(v, prefix + k + '.')
            else:
                yield prefix + k, v
    with open(os.path.join(DASK_CONFIG, 'engine.yaml')) as f:
        return dict(flat(yaml.safe_load(f)))


# -- on a worker ----------------------------------------------------------------------------------

def _die_with_parent():
    """preexec_fn: the child (watch.py) gets SIGTERM when the thread that started it ends, i.e.
    when its worker dies (the task's thread waits for the child meanwhile)."""
    prctl = ctypes.CDLL(None, use_errno=True).prctl      # looked up before the fork
    parent, sig = os.getpid(), int(signal.SIGTERM)

    def preexec():
        prctl(PR_SET_PDEATHSIG, sig)
        if os.getppid() != parent:       # the worker died before prctl took effect
            os.kill(os.getpid(), sig)
    return preexec


def _lock(path, stop):
    """An exclusive flock on `path` (created), taken when free; None when `stop()` comes first.
    train.py inherits the descriptor, so a run stays locked until its child is gone too."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            if stop():
                os.close(fd)
                return None
            time.sleep(POLL)


def _exit_code(status):
    return -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)


def _build(python):
    if python not in _BUILDS:
        _BUILDS[python] = Q.describe_build(python)
    return _BUILDS[python]


def train_task(job, stop_name, threads=None):
    """Train one run (a job of queue.run_queue) for one segment, on a worker: lock the run folder,
    start or resume it with train.py, and SIGTERM the child when the queue's stop event is set.
    Returns {'run', 'segments': the segments to record, 'code', 'stopped', 'skipped'}. A segment
    whose worker died (its attempt file is left) is returned as lost, with the step it reached."""
    event = distributed.Event(stop_name)
    worker = distributed.get_worker().address
    result = {'run': job['run'], 'segments': [], 'code': None, 'stopped': False, 'skipped': False}
    lock = _lock(job['run_dir'] + '.lock', event.is_set)
    if lock is None:
        return dict(result, skipped=True)
    try:
        attempt = job['run_dir'] + '.attempt.json'
        reached = io.latest_step(job['run_dir']) if os.path.isdir(job['run_dir']) else None
        if os.path.exists(attempt):
            with open(attempt) as f:
                lost = json.load(f)
            lost.update(end=None, exit=None, to_step=reached, lost='its worker died')
            result['segments'].append(lost)
            os.remove(attempt)
        if reached is not None and reached >= job['steps']:
            return dict(result, code=0)
        if event.is_set():
            return dict(result, skipped=True)
        cmd = Q.train_command(job['python'], Q.job_args(job))
        watched = [sys.executable, WATCH, str(os.getpid()), str(lock)] + cmd
        segment = Q.open_segment(cmd, _build(job['python']), job['run_dir'])
        segment['worker'] = worker
        io.write_json(attempt, segment)
        env = dict(os.environ)
        if threads:
            env.setdefault('OMP_NUM_THREADS', str(threads))
            env.setdefault('GAN_TF_THREADS', str(threads))
        t0 = time.time()
        with open(job['log'], 'a') as f:
            f.write('\n$ %s\n' % ' '.join(cmd))
            f.flush()
            # a session of its own: a Ctrl-C at the terminal reaches it only through the event
            child = subprocess.Popen(watched, stdout=f, stderr=subprocess.STDOUT, env=env,
                                     pass_fds=(lock,), start_new_session=True,
                                     preexec_fn=_die_with_parent())
            while True:
                pid, status, usage = os.wait4(child.pid, os.WNOHANG)   # its own CPU time
                if pid:
                    child.returncode = code = _exit_code(status)
                    break
                if not result['stopped'] and event.is_set():
                    child.send_signal(signal.SIGTERM)
                    result['stopped'] = True
                time.sleep(POLL)
        Q.close_segment(segment, code, t0, usage.ru_utime + usage.ru_stime, job['run_dir'])
        result['segments'].append(segment)
        os.remove(attempt)
        return dict(result, code=code)
    finally:
        os.close(lock)


# -- the client -----------------------------------------------------------------------------------

class Cluster(object):
    """A client of the Dask cluster at `scheduler` (unreachable: UserError), or of a new local
    cluster of `workers` single-threaded worker processes (default: one per core), each of whose
    children gets the cores shared among them (OMP_NUM_THREADS and GAN_TF_THREADS, unless set)."""

    def __init__(self, scheduler=None, workers=None, log=print):
        self.log, self.local, self.threads = log, None, None
        if scheduler:
            try:
                self.client = distributed.Client(scheduler, timeout=CONNECT_TIMEOUT)
            except Exception as e:             # OSError or a timeout, by version
                raise UserError('cannot reach the Dask scheduler at %s (%s)' % (scheduler, e))
            n = len(self.client.scheduler_info().get('workers', {}))
            log('engine: the Dask cluster at %s, %d workers%s'
                % (scheduler, n, '' if n else ' (the runs wait for workers to join)'))
            return
        cores = os.cpu_count() or 1
        n = workers or cores
        dask.config.set(engine_config())       # for this process and the workers it spawns
        # memory_limit=0: no nanny polling its worker's memory ten times a second (a worker
        # holds no data; its train.py is a process of its own, outside any limit). ':0': the
        # scheduler's HTTP server on a free port, not 8787, which a second queue may hold.
        self.local = distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                              memory_limit=0, dashboard_address=':0',
                                              silence_logs=logging.ERROR,
                                              local_directory=tempfile.gettempdir())
        self.client = distributed.Client(self.local)
        self.threads = max(1, cores // n)
        log('engine: %d local Dask workers, one run each at a time' % n)

    def run(self, queue, jobs, build=None, log=None):
        """Train `jobs` (queue.run_queue's) as tasks, record each one's segments and state in
        `queue` as it ends. A signal sets the stop event: running children checkpoint and stop,
        the runs not started stay waiting, and the exit status is 128 + the signal."""
        with _Signals() as signals:
            return _collect(queue, jobs, self.client, self.threads, signals, log or self.log)

    def close(self):
        self.client.close()
        if self.local is not None:
            self.local.close()


def run_queue(presets, data, out, budget, scheduler=None, workers=None, dry_run=False, log=print,
              **options):
    """queue.run_queue with its runs on the cluster at `scheduler` (reached first: an address
    that does not answer is a UserError before anything is counted), or on a local cluster of
    `workers` started once there are runs to train; without Dask (Python 3.6) one after another
    in this process."""
    if not available():
        if scheduler:
            raise UserError('--scheduler needs the engine: Python >= 3.7 with requirements.txt '
                            'installed (dask and distributed)')
        log('Dask distributed is not installed (Python 3.6): the runs go one after another in '
            'this process')
        return Q.run_queue(presets, data, out, budget, dry_run=dry_run, log=log, **options)
    cluster = Cluster(scheduler, log=log) if scheduler and not dry_run else None

    def runner(queue, jobs, build, log):
        if cluster is not None:
            return cluster.run(queue, jobs)
        local = Cluster(workers=workers, log=log)
        try:
            return local.run(queue, jobs)
        finally:
            local.close()
    try:
        return Q.run_queue(presets, data, out, budget, dry_run=dry_run, log=log, runner=runner,
                           **options)
    finally:
        if cluster is not None:
            cluster.close()


class _Signals(object):
    """SIGINT / SIGTERM noted (not raised) while the client waits for its tasks."""

    def __init__(self):
        self.received, self._old = [], {}

    def __enter__(self):
        for sig in (signal.SIGINT, signal.SIGTERM):
            self._old[sig] = signal.signal(sig, lambda signum, frame: self.received.append(signum))
        return self

    def __exit__(self, *exc):
        for sig, handler in self._old.items():
            signal.signal(sig, handler)


def _mark_started(queue, jobs):
    """Runs a worker has started (its OUT/<run>.attempt.json exists) are 'running' in queue.json,
    with that worker's name, while the client waits for them."""
    changed = False
    for job in jobs:
        entry = queue.doc['runs'][job['run']]
        attempt = job['run_dir'] + '.attempt.json'
        if entry['state'] == 'running' or not os.path.exists(attempt):
            continue
        try:
            with open(attempt) as f:
                worker = json.load(f).get('worker')
        except ValueError:                     # being written: the next poll reads it
            continue
        entry.update(state='running', worker=worker)
        changed = True
    if changed:
        queue.save()


def _collect(queue, jobs, client, threads, signals, log):
    stop_name = 'gan-study-stop-' + uuid.uuid4().hex
    stop = distributed.Event(stop_name, client=client)
    futures = {}
    for i, job in enumerate(jobs):
        key = 'train-%s-%s' % (job['run'], uuid.uuid4().hex[:8])
        futures[client.submit(train_task, job, stop_name, threads, key=key, pure=False,
                              priority=len(jobs) - i)] = job     # in the queue's order
    log('submitted %d runs: %s' % (len(jobs), ', '.join(j['run'] for j in jobs)))
    pending, status, lost, stopping = set(futures), None, [], False
    while pending:
        if signals.received and status is None:
            status = 128 + signals.received[0]
        if status is not None and not stopping:
            stop.set()
            stopping = True
            log('stopping: the running runs checkpoint, the others stay waiting')
        if len(signals.received) > 1:
            log('a second signal: leaving without waiting for the runs')
            break
        _mark_started(queue, [futures[f] for f in pending])
        done = [f for f in pending if f.done()]
        if not done:
            time.sleep(0.5)
            continue
        for f in done:
            pending.discard(f)
            job = futures[f]
            entry = queue.doc['runs'][job['run']]
            if f.status != 'finished':          # an error, or cancelled by the scheduler
                why = f.exception() if f.status == 'error' else f.status
                entry['error'] = 'the engine lost it: %r' % (why,)
                entry['state'] = 'stopped'
                entry.pop('worker', None)
                lost.append(job['run'])
                queue.save()
                log('%s: %s' % (job['run'], entry['error']))
                continue
            r = f.result()
            entry['segments'].extend(r['segments'])
            if r['skipped']:
                queue.save()
                continue
            received = (signals.received or [signal.SIGTERM])[0] if r['stopped'] else None
            state = Q.record(queue, job, r['code'], received, log)
            seg = r['segments'][-1] if r['segments'] else {}
            log('%s: %s at step %s (%s, %s s)' % (job['run'], state, io.latest_step(job['run_dir']),
                                                seg.get('worker', '?'), seg.get('wall_seconds', '?')))
            if state == 'stopped' and status is None:     # a signal from elsewhere ended it
                status = Q.stop_status(r['code'], None)
    if status is not None:
        log('queue stopped; run the same command to continue')
        return status
    if lost:
        log('not finished: %s; run the same command to continue' % ', '.join(lost))
        return 1
    return 0
