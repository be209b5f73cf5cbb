"""Where a training step's time goes: TensorFlow's own trace of one step, summed by op type.

    .venv37/bin/python bench/profile_step.py                      # the recipe (batch 256, unroll 10)
    .venv37/bin/python bench/profile_step.py --unroll-steps 2 --top 25

Builds the recipe (execution 'fused': the D rounds are one session call), runs --warmup steps,
then traces one step with RunOptions.FULL_TRACE on the fused D rounds and on the combined model's
G update, and prints the op time summed per op type with its share. Op times are CPU time per
op as TF's executor records it (ops on the two cores overlap, so the sum can exceed the wall
time). Not part of CI.
"""
import argparse
import collections
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
SHARED_DATA = os.path.join(ROOT, '..', 'shared', 'data', 'anime64')
DEMO_DATA = os.path.join(ROOT, 'data', 'demo')


def trace_into(function, run_options, run_metadata):
    """Make a Keras backend function record a trace on its next calls."""
    function.run_options = run_options
    function.run_metadata = run_metadata
    function._callable_fn = None          # the cached callable was made without the options


def op_times(run_metadata):
    """{op type: (seconds, count)} from a RunMetadata's step stats."""
    out = collections.defaultdict(lambda: [0.0, 0])
    for dev in run_metadata.step_stats.dev_stats:
        for node in dev.node_stats:
            label = node.timeline_label
            op = label.split(' = ')[1].split('(')[0] if ' = ' in label else node.node_name
            out[op][0] += (node.op_end_rel_micros - node.op_start_rel_micros) / 1e6
            out[op][1] += 1
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--batch-size', type=int, default=256)
    p.add_argument('--unroll-steps', type=int, default=10)
    p.add_argument('--warmup', type=int, default=1)
    p.add_argument('--top', type=int, default=20)
    p.add_argument('--intra-threads', type=int, default=0)
    p.add_argument('--inter-threads', type=int, default=0)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--kernels', default=None, help='convolution kernels (default: the package default)')
    args = p.parse_args(argv)
    import tensorflow as tf
    from gan import GAN, Config, backend
    from gan.data import load_images
    from gan.batches import to_float
    data = SHARED_DATA if os.path.isdir(SHARED_DATA) else DEMO_DATA
    images = load_images(data, cache_dir=os.path.join(ROOT, 'bench', 'results', '.cache'))
    backend.setup(args.seed, intra_threads=args.intra_threads, inter_threads=args.inter_threads)
    cfg = Config(seed=args.seed, batch_size=args.batch_size, unroll_steps=args.unroll_steps,
                 execution='fused')
    gan = GAN(cfg._replace(kernels=args.kernels or cfg.kernels))

    def sample(n, rng):
        return to_float(images[rng.randint(0, len(images), n)])
    for _ in range(args.warmup):
        gan.train_step(sample)
    options = tf.compat.v1.RunOptions(trace_level=tf.compat.v1.RunOptions.FULL_TRACE)
    parts = {'D rounds (fused)': gan.scheme.fused._fn, 'G update': gan.combined.train_function}
    metas = {name: tf.compat.v1.RunMetadata() for name in parts}
    for name, fn in parts.items():
        trace_into(fn, options, metas[name])
    t0 = time.perf_counter()
    gan.train_step(sample)
    wall = time.perf_counter() - t0
    print('traced step: %.2f s wall (batch %d, unroll %d, kernels %s, data %s)'
          % (wall, args.batch_size, args.unroll_steps, gan.config.kernels, data))
    everything = collections.defaultdict(lambda: [0.0, 0])
    for name in parts:
        times = op_times(metas[name])
        total = sum(t for t, _ in times.values())
        print('\n%s: %.2f s of op time' % (name, total))
        for op, (t, n) in sorted(times.items(), key=lambda kv: -kv[1][0])[:args.top]:
            print('  %-36s %8.2f s  %5.1f%%  (%d ops)' % (op, t, 100 * t / total, n))
        for op, (t, n) in times.items():
            everything[op][0] += t
            everything[op][1] += n
    total = sum(t for t, _ in everything.values())
    conv = sum(t for op, (t, _) in everything.items() if op.startswith('Conv2D'))
    print('\nwhole step: %.2f s of op time, %.1f%% in Conv2D* ops (forward and both gradients)'
          % (total, 100 * conv / total))
    return 0


if __name__ == '__main__':
    from variants import run
    run(main)
