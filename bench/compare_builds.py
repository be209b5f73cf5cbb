"""How far two TensorFlow builds drift apart after N training steps from the same seed.

    .venv37/bin/python       bench/compare_builds.py train --out bench/results/weights_stock.npz
    .venv37-intel/bin/python bench/compare_builds.py train --out bench/results/weights_intel.npz
    .venv37/bin/python       bench/compare_builds.py diff bench/results/weights_stock.npz \\
                                                          bench/results/weights_intel.npz

`train` runs N steps (default 3) of a small config (batch 16, unroll 2) in deterministic mode
(backend.setup(seed, deterministic=True): single-threaded, so a build repeats itself bit for bit),
then stores the generator's and discriminator's weights and the generator's output (float, and
uint8 as saved) for fixed latents in an .npz. `diff` prints the max absolute and relative
differences between two such files, and writes them as JSON with --json. Not part of CI.
"""
import argparse
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import numpy as np  # noqa: E402

SHARED_DATA = os.path.join(ROOT, '..', 'shared', 'data', 'anime64')
DEMO_DATA = os.path.join(ROOT, 'data', 'demo')


def train(args):
    import tensorflow as tf
    from gan import Config, GAN, backend
    from gan.data import load_images
    from gan.gan import to_uint8
    data = args.data or (SHARED_DATA if os.path.isdir(SHARED_DATA) else DEMO_DATA)
    images = load_images(data, cache_dir=os.path.join(ROOT, 'bench', 'results', '.cache'))
    backend.setup(args.seed, deterministic=True)
    gan = GAN(Config(batch_size=args.batch_size, unroll_steps=args.unroll_steps, seed=args.seed,
                     deterministic=True))
    initial = gan.generator.get_weights()
    gan.train(images, steps=args.steps)
    latents = np.random.RandomState(12345).normal(0, 1, (args.n_images, gan.config.latent_dim)).astype(np.float32)
    out = gan.generator.predict(latents, batch_size=args.n_images)
    try:
        mkl = bool(tf.pywrap_tensorflow.IsMklEnabled())
    except AttributeError:
        mkl = None
    arrays = {'images_float': out, 'images_uint8': to_uint8(out)}
    arrays.update({'g_%03d' % i: w for i, w in enumerate(gan.generator.get_weights())})
    arrays.update({'g_initial_%03d' % i: w for i, w in enumerate(initial)})
    arrays.update({'d_%03d' % i: w for i, w in enumerate(gan.discriminator.get_weights())})
    meta = {'tensorflow': tf.__version__, 'onednn_mkl_build': mkl, 'steps': args.steps,
            'batch_size': args.batch_size, 'unroll_steps': args.unroll_steps, 'seed': args.seed,
            'data': os.path.realpath(data)}
    arrays['meta'] = np.array(json.dumps(meta))
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    np.savez(args.out, **arrays)
    print('wrote %s (%s)' % (args.out, meta))


def _diff(a, b):
    a = a.astype(np.float64)
    b = b.astype(np.float64)
    d = np.abs(a - b)
    scale = np.abs(a).max()
    return {'max_abs': float(d.max()), 'max_rel_to_max_abs': float(d.max() / scale) if scale else 0.0,
            'rel_l2': float(np.linalg.norm(a - b) / np.linalg.norm(a)) if np.linalg.norm(a) else 0.0,
            'share_differing': float(np.mean(a != b))}


def diff(args):
    fa, fb = np.load(args.a), np.load(args.b)
    meta_a, meta_b = json.loads(str(fa['meta'])), json.loads(str(fb['meta']))
    report = {'a': dict(meta_a, file=args.a), 'b': dict(meta_b, file=args.b)}
    for prefix, name in (('g_', 'generator'), ('d_', 'discriminator'), ('g_initial_', 'generator_initial')):
        keys = sorted(k for k in fa.files if k.startswith(prefix) and
                      (prefix == 'g_initial_' or not k.startswith('g_initial_')))
        per = {k: _diff(fa[k], fb[k]) for k in keys}
        flat_a = np.concatenate([fa[k].ravel() for k in keys])
        flat_b = np.concatenate([fb[k].ravel() for k in keys])
        total = _diff(flat_a, flat_b)
        total['max_rel_per_tensor'] = max(v['max_rel_to_max_abs'] for v in per.values())
        # elementwise relative difference, over weights not near zero
        big = np.abs(flat_a) > 1e-3
        total['max_elementwise_rel_where_abs_gt_1e-3'] = float(
            (np.abs(flat_a - flat_b)[big] / np.abs(flat_a)[big]).max()) if big.any() else 0.0
        report[name] = total
    report['images_float'] = _diff(fa['images_float'], fb['images_float'])
    ua, ub = fa['images_uint8'].astype(int), fb['images_uint8'].astype(int)
    report['images_uint8'] = {'max_abs_levels': int(np.abs(ua - ub).max()),
                              'mean_abs_levels': float(np.abs(ua - ub).mean()),
                              'share_pixels_differing': float(np.mean(ua != ub))}
    print('A: TF %s (oneDNN %s)   B: TF %s (oneDNN %s); %d steps, batch %d, unroll %d, seed %d'
          % (meta_a['tensorflow'], meta_a['onednn_mkl_build'], meta_b['tensorflow'],
             meta_b['onednn_mkl_build'], meta_a['steps'], meta_a['batch_size'], meta_a['unroll_steps'],
             meta_a['seed']))
    for name in ('generator_initial', 'generator', 'discriminator', 'images_float'):
        r = report[name]
        extra = ('; elementwise rel (|w|>1e-3) max %.3g' % r['max_elementwise_rel_where_abs_gt_1e-3']
                 if 'max_elementwise_rel_where_abs_gt_1e-3' in r else '')
        print('%-18s max abs %.3g, max abs / max |A| %.3g, rel L2 %.3g, %.1f%% of values differ%s'
              % (name, r['max_abs'], r['max_rel_to_max_abs'], r['rel_l2'], 100 * r['share_differing'], extra))
    u = report['images_uint8']
    print('%-18s max %d levels, mean %.4f levels, %.2f%% of values differ'
          % ('images_uint8', u['max_abs_levels'], u['mean_abs_levels'], 100 * u['share_pixels_differing']))
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(report, f, indent=2)
    return report


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest='cmd')
    t = sub.add_parser('train')
    t.add_argument('--out', required=True)
    t.add_argument('--steps', type=int, default=3)
    t.add_argument('--batch-size', type=int, default=16)
    t.add_argument('--unroll-steps', type=int, default=2)
    t.add_argument('--seed', type=int, default=0)
    t.add_argument('--n-images', type=int, default=16)
    t.add_argument('--data', default=None)
    d = sub.add_parser('diff')
    d.add_argument('a')
    d.add_argument('b')
    d.add_argument('--json', default=None)
    args = p.parse_args(argv)
    if args.cmd == 'train':
        train(args)
    elif args.cmd == 'diff':
        diff(args)
    else:
        p.error('choose train or diff')
    return 0


if __name__ == '__main__':
    from variants import run
    run(main)
