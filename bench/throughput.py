"""Training throughput of one machine: one single-threaded run per core, side by side, against one
run on every core. This is the choice `study.py run` makes with its default local cluster (one
Dask worker per core, each run's train.py with OMP_NUM_THREADS=GAN_TF_THREADS=1) against
`--workers 1` (one run, all cores).

    .venv37-intel/bin/python bench/throughput.py --presets dcgan-yernat,gan_animation
    .venv37-intel/bin/python bench/throughput.py --presets ganime --steps 20 --rounds 3

For each preset and round, in turn: "per core" starts one train.py per core at once (seeds 1, 2,
...) with one thread each; "one run" starts a single train.py with all cores. Each train.py runs
--warmup + --steps steps on the same faces; a step's time is taken when its log line arrives, and
a process's rate is its --steps timed steps over their wall time. The machine's rate is the sum of
its processes' rates. Prints steps per second (per process and summed) and the ratio per core /
one run. Needs a quiet machine. Not part of CI.
"""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

from variants import ROOT, default_data

STEP = re.compile(r'^step (\d+)/')


def launch(python, preset, seed, steps, data, threads, folder):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), GAN_TF_THREADS=str(threads))
    cmd = [python, os.path.join(ROOT, 'train.py'), '--preset', preset, '--seed', str(seed),
           '--steps', str(steps), '--data', data, '--run-dir', os.path.join(folder, 'seed%d' % seed)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                            universal_newlines=True)
    stamps, tail = {}, []

    def read():
        for line in proc.stdout:
            m = STEP.match(line)
            if m:
                stamps[int(m.group(1))] = time.monotonic()
            tail[:] = (tail + [line])[-20:]
    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    return proc, reader, stamps, tail


def measure(python, preset, runs, threads, warmup, steps, data):
    """Start `runs` train.py processes of `threads` threads at once; their rates in steps/s."""
    folder = tempfile.mkdtemp(prefix='throughput-')
    try:
        procs = [launch(python, preset, seed, warmup + steps, data, threads, folder)
                 for seed in range(1, runs + 1)]
        rates = []
        for proc, reader, stamps, tail in procs:
            if proc.wait() != 0:
                sys.exit('train.py failed (exit %d):\n%s' % (proc.returncode, ''.join(tail)))
            reader.join()
            first, last = warmup, warmup + steps
            rates.append(steps / (stamps[last] - stamps[first]))
        return rates
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--presets', default='dcgan-yernat', help='comma-separated presets')
    p.add_argument('--steps', type=int, default=40, help='timed steps per process (default: 40)')
    p.add_argument('--warmup', type=int, default=3, help='untimed steps first (default: 3)')
    p.add_argument('--rounds', type=int, default=2, help='rounds of both settings (default: 2)')
    p.add_argument('--cores', type=int, default=os.cpu_count(), help='default: this machine\'s')
    p.add_argument('--data', default=None, help='image folder (default: ../shared/data/anime64)')
    p.add_argument('--python', default=sys.executable, help='interpreter that trains')
    p.add_argument('--json', default=None, help='also write the figures here')
    a = p.parse_args()
    data = a.data or default_data()
    settings = [('per core', a.cores, 1), ('one run', 1, a.cores)]
    out = {'cores': a.cores, 'python': a.python, 'presets': {}}
    for preset in a.presets.split(','):
        totals = {name: [] for name, _, _ in settings}
        for r in range(a.rounds):
            for name, runs, threads in settings:
                rates = measure(a.python, preset, runs, threads, a.warmup, a.steps, data)
                totals[name].append(sum(rates))
                print('%-16s round %d  %-9s %d x %d thread(s): %s steps/s, together %.3f'
                      % (preset, r + 1, name, runs, threads,
                         ' '.join('%.3f' % x for x in rates), sum(rates)), flush=True)
        med = {name: statistics.median(v) for name, v in totals.items()}
        ratio = med['per core'] / med['one run']
        print('%-16s median steps/s: per core %.3f, one run %.3f; per core / one run = %.2f'
              % (preset, med['per core'], med['one run'], ratio), flush=True)
        out['presets'][preset] = dict(rounds=totals, median=med, ratio=ratio)
    if a.json:
        with open(a.json, 'w') as f:
            json.dump(out, f, indent=1)


if __name__ == '__main__':
    main()
