"""Side-by-side step timings of execution variants, interleaved in one run (shared machines are noisy).

    .venv37/bin/python bench/ab_step.py                                  # keras vs fused, TF's threads
    .venv37/bin/python bench/ab_step.py --variants keras:0:0,fused:0:0,fused:2:1,fused:1:1
    .venv37/bin/python bench/ab_step.py --unroll-steps 10 --steps 3 --repeats 2 --json out.json
    .venv37/bin/python bench/ab_step.py --variants fused:0:0,fused:0:0:MALLOC_MMAP_THRESHOLD_=131072
    .venv37/bin/python bench/ab_step.py --variants fused:0:0,fused:0:0@.venv37-intel/bin/python
    .venv37-intel/bin/python bench/ab_step.py --preset dcgan-yernat --variants fused:0:0,fused:2:1,fused:1:2

A variant is EXECUTION:INTRA:INTER[:NAME=VALUE...][@PYTHON] (bench/variants.py): thread counts
(0 = TF's choice), then optional settings: a gan.Config option in lower case (`kernels=fast`) or
an environment variable of the worker (`MALLOC_MMAP_THRESHOLD_=131072`), then an optional
interpreter (another venv, e.g. the oneDNN build: `fused:0:0@.venv37-intel/bin/python`). TensorFlow fixes its thread
pools per process, so each measurement is a fresh worker process: it builds the GAN, runs --warmup
untimed steps (default 1), then times --steps steps. Variants run in turn (A B C A B C ...) --repeats times;
the summary gives each variant's median seconds per step and its ratio to the first variant.
Same seed, data and config in every worker. Not part of CI.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

from variants import ROOT, default_data, parse_variant, run


def worker(args):
    sys.path.insert(0, ROOT)
    from gan import GAN, Config, backend
    from gan.config import resolve
    from gan.data import load_images
    from gan.batches import to_float
    v = parse_variant(args.worker)
    images = load_images(args.data, cache_dir=os.path.join(ROOT, 'bench', 'results', '.cache'))
    backend.setup(args.seed, intra_threads=v.intra, inter_threads=v.inter)
    if args.preset:          # the preset's own batch, networks and scheme
        cfg = resolve(args.preset, seed=args.seed, execution=v.execution)._replace(**v.options)
    else:
        cfg = Config(seed=args.seed, batch_size=args.batch_size, unroll_steps=args.unroll_steps,
                     arch=args.arch, execution=v.execution)._replace(**v.options)
    t0 = time.perf_counter()
    gan = GAN(cfg)

    def sample(n, rng):
        return to_float(images[rng.randint(0, len(images), n)], cfg)
    for _ in range(args.warmup):
        gan.train_step(sample)
    warm = time.perf_counter() - t0
    from step_benchmark import rss_mb   # bench/ is on sys.path as the script's folder
    rss_first = rss_mb()
    times = []
    for _ in range(args.steps):
        t0 = time.perf_counter()
        gan.train_step(sample)
        times.append(time.perf_counter() - t0)
    import resource
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print('RESULT ' + json.dumps({'variant': args.worker, 'build_and_warmup': warm, 'seconds': times,
                                  'rss_mb_first_step': rss_first, 'rss_mb': rss_mb(), 'peak_rss_mb': peak,
                                  'tensorflow': __import__('tensorflow').__version__}))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--variants', default='keras:0:0,fused:0:0')
    p.add_argument('--batch-size', type=int, default=256)
    p.add_argument('--unroll-steps', type=int, default=10)
    p.add_argument('--arch', default='gan_animation')
    p.add_argument('--preset', default=None, help='time this preset (train.py --list-presets) '
                   'instead of --batch-size/--unroll-steps/--arch')
    p.add_argument('--warmup', type=int, default=1, help='untimed steps per worker, the first '
                   'one building the graph')
    p.add_argument('--steps', type=int, default=2, help='timed steps per worker')
    p.add_argument('--repeats', type=int, default=2, help='rounds of all variants')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--data', default=None)
    p.add_argument('--json', default=None)
    p.add_argument('--worker', default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    args.data = args.data or default_data()
    if args.worker:
        return worker(args)
    variants = args.variants.split(',')
    what = ('preset %s' % args.preset if args.preset else 'batch %d, unroll %d, arch %s'
            % (args.batch_size, args.unroll_steps, args.arch))
    print('%s | %s, %d timed steps x %d repeats | %s'
          % (time.strftime('%Y-%m-%d %H:%M:%S'), what, args.steps, args.repeats, args.data), flush=True)
    runs = {v: [] for v in variants}
    for r in range(args.repeats):
        for v in variants:
            parsed = parse_variant(v)
            env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2', **parsed.env)
            cmd = [parsed.python, os.path.abspath(__file__), '--worker', v] + [
                a for a in (argv if argv is not None else sys.argv[1:])]
            out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
                                 universal_newlines=True, check=True).stdout
            res = json.loads([l for l in out.splitlines() if l.startswith('RESULT ')][0][7:])
            res['loadavg_1min'] = os.getloadavg()[0]
            runs[v].append(res)
            print('repeat %d  %-12s  %s s/step  (TF %s, build + warm-up %.1f s, RSS %.0f -> %.0f MB, '
                  'peak %.0f MB, load %.2f)' % (r + 1, v, ' '.join('%.2f' % s for s in res['seconds']),
                                                res['tensorflow'], res['build_and_warmup'],
                                                res['rss_mb_first_step'], res['rss_mb'],
                                                res['peak_rss_mb'], res['loadavg_1min']), flush=True)
    base = statistics.median([s for res in runs[variants[0]] for s in res['seconds']])
    summary = {}
    print('\n%-40s %13s  %6s  %s' % ('variant', 'median s/step', 'ratio', 'RSS growth over the timed steps'))
    for v in variants:
        med = statistics.median([s for res in runs[v] for s in res['seconds']])
        growth = [res['rss_mb'] - res['rss_mb_first_step'] for res in runs[v]]
        summary[v] = {'median_seconds': med, 'ratio': med / base, 'rss_growth_mb': growth}
        print('%-40s %13.3f  %6.3f  %s MB' % (v, med, med / base, ' / '.join('%+.0f' % g for g in growth)))
    if args.json:
        with open(args.json, 'w') as f:
            json.dump({'args': vars(args), 'runs': runs, 'summary': summary}, f, indent=2)
    return 0


if __name__ == '__main__':
    run(main)
