"""CPU time Dask's own housekeeping takes from the study's runs: a local cluster like the one
`study.py run` starts (one single-threaded worker per core) holds one waiting task per worker (as a
task waits for its train.py), and the CPU seconds of the client process (client, scheduler and
nannies) and of each worker process are read from /proc over --seconds. Once with Dask's default
settings, once as the engine starts it (gan/study/engine.py's Cluster: the settings of
gan/study/dask-config/engine.yaml, no memory limit), each in a fresh process.

    .venv37/bin/python bench/engine_overhead.py
    .venv37/bin/python bench/engine_overhead.py --workers 4 --seconds 60

Prints CPU seconds per process and the total as a share of one core. Not part of CI.
"""
import argparse
import logging
import os
import subprocess
import sys
import tempfile
import time

from variants import ROOT


def waiting_task(seconds):
    """What an engine task does while its train.py runs: wake up once a second."""
    t0 = time.time()
    while time.time() - t0 < seconds:
        time.sleep(1.0)
    return os.getpid()


def cpu_seconds(pid):
    with open('/proc/%d/stat' % pid) as f:
        fields = f.read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')   # utime + stime


def measure(settings, workers, seconds, settle):
    sys.path.insert(0, ROOT)
    import distributed
    if settings == 'engine':             # the cluster study.py run starts
        from gan.study.engine import Cluster
        engine = Cluster(workers=workers, log=lambda *a: None)
        cluster, client = engine.local, engine.client
    else:                                # the same with Dask's defaults
        cluster = distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                           dashboard_address=None, silence_logs=logging.ERROR,
                                           local_directory=tempfile.gettempdir())
        client = distributed.Client(cluster)
    try:
        pids = list(client.run(os.getpid).values())
        tasks = [client.submit(waiting_task, settle + seconds + 5, pure=False)
                 for _ in range(workers)]
        time.sleep(settle)
        procs = [os.getpid()] + pids
        before = [cpu_seconds(p) for p in procs]
        time.sleep(seconds)
        used = [cpu_seconds(p) - b for p, b in zip(procs, before)]
        client.gather(tasks)
    finally:
        client.close()
        cluster.close()
    total = sum(used)
    print('%-8s client+scheduler+nannies %.2f s, workers %s s; together %.2f s in %d s = %.1f%% '
          'of a core' % (settings, used[0], ' '.join('%.2f' % u for u in used[1:]), total,
                         seconds, 100 * total / seconds), flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--workers', type=int, default=os.cpu_count())
    p.add_argument('--seconds', type=int, default=30, help='measured time (default: 30)')
    p.add_argument('--settle', type=int, default=8, help='untimed seconds first (default: 8)')
    p.add_argument('--settings', choices=['default', 'engine'], default=None,
                   help='measure one (default: both, each in a fresh process)')
    a = p.parse_args()
    if a.settings:
        measure(a.settings, a.workers, a.seconds, a.settle)
        return
    for settings in ('default', 'engine'):
        subprocess.run([sys.executable, os.path.abspath(__file__), '--settings', settings,
                        '--workers', str(a.workers), '--seconds', str(a.seconds),
                        '--settle', str(a.settle)], check=True)


if __name__ == '__main__':
    main()
