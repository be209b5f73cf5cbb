"""Soak test: run N training steps and print RSS and seconds per step over time, with slopes.

    python bench/soak.py --steps 1000 --batch-size 8 --unroll-steps 1 --every 50
    OMP_NUM_THREADS=1 python bench/soak.py --preset animefacesgan --data ~/faces \
        --steps 600 --generate-every 5 --intra 1 --inter 1

Besides RSS it prints glibc's own count (mallinfo2): the bytes the allocator holds from the
system and the bytes in use, so growth that is held-but-free memory can be told from objects.

A memory or time leak shows up as a positive slope (MB or ms per 1,000 steps). Writes the
samples and slopes as JSON (--json). Not part of CI.
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402
from step_benchmark import rss_mb  # noqa: E402  (bench/ is on sys.path as the script's folder)


def slope_per_1000(xs, ys):
    if len(xs) < 2:
        return float('nan')
    return float(np.polyfit(np.asarray(xs, float), np.asarray(ys, float), 1)[0] * 1000)


def main(argv=None):
    from gan import GAN, backend
    from gan import config as gan_config
    from gan.allocator import usage_mb
    from gan.data import load_images
    from gan.loop import Hook
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--preset', default='gan_animation')
    p.add_argument('--steps', type=int, default=1000)
    p.add_argument('--batch-size', type=int, default=None, help='default 8 for gan_animation, '
                   'else the preset\'s')
    p.add_argument('--unroll-steps', type=int, default=None, help='default 1 for gan_animation, '
                   'else the preset\'s')
    p.add_argument('--intra', type=int, default=0, help='TF intra-op threads (0 = TF default)')
    p.add_argument('--inter', type=int, default=0, help='TF inter-op threads (0 = TF default)')
    p.add_argument('--every', type=int, default=50, help='print a sample every N steps')
    p.add_argument('--generate-every', type=int, default=0,
                   help='generate 16 faces every N steps (default: at each sample)')
    p.add_argument('--data', default=os.path.join(os.path.dirname(__file__), '..', 'data', 'demo'))
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--json', default=None, help='write samples and slopes here')
    args = p.parse_args(argv)

    images = load_images(args.data)
    small = {'batch_size': 8, 'unroll_steps': 1} if args.preset == 'gan_animation' else {}
    cfg = gan_config.resolve(args.preset, seed=args.seed, **dict(
        small, **{k: getattr(args, k) for k in ('batch_size', 'unroll_steps')
                  if getattr(args, k) is not None}))
    cfg = gan_config.plan_epochs(cfg, len(images))
    backend.setup(args.seed, intra_threads=args.intra, inter_threads=args.inter)
    gan = GAN(cfg)
    generate_every = args.generate_every or args.every
    samples = []

    class Sampler(Hook):
        def __init__(self):
            self.window = []

        def on_step_end(self, step, logs):
            self.window.append(logs['seconds'])
            if step % generate_every == 0:
                gan.generate(n=16, seed=0)          # sampling is part of a real run too
            if step % args.every == 0:
                held, used = usage_mb()
                row = {'step': step, 'rss_mb': rss_mb(), 'malloc_held_mb': held,
                       'malloc_used_mb': used, 'sec_per_step': float(np.mean(self.window)),
                       'graph_ops': backend.graph_size()}
                self.window = []
                samples.append(row)
                print('step %6d  rss %8.1f MB  malloc held %8.1f used %8.1f MB  %.3f s/step  '
                      'graph %d ops' % (step, row['rss_mb'], held or float('nan'),
                                        used or float('nan'), row['sec_per_step'],
                                        row['graph_ops']), flush=True)

    t0 = time.time()
    gan.train(images, steps=args.steps, hooks=[Sampler()])
    warm = [s for s in samples if s['step'] > args.every]   # skip the first block (warm-up)
    result = {'config': vars(args), 'malloc_arena_max': os.environ.get('MALLOC_ARENA_MAX'),
              'samples': samples, 'wall_seconds': time.time() - t0,
              'rss_slope_mb_per_1000_steps': slope_per_1000([s['step'] for s in warm],
                                                            [s['rss_mb'] for s in warm]),
              'time_slope_ms_per_step_per_1000_steps': slope_per_1000(
                  [s['step'] for s in warm], [1000 * s['sec_per_step'] for s in warm]),
              'graph_ops_first_last': [samples[0]['graph_ops'], samples[-1]['graph_ops']] if samples else None}
    print('RSS slope %.2f MB per 1,000 steps; step-time slope %.2f ms/step per 1,000 steps; '
          'graph ops %s; %.0f s in all'
          % (result['rss_slope_mb_per_1000_steps'], result['time_slope_ms_per_step_per_1000_steps'],
             result['graph_ops_first_last'], result['wall_seconds']))
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(result, f, indent=2)
    return 0


if __name__ == '__main__':
    from variants import run
    run(main)
