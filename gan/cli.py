"""Command lines: `python train.py` (training) and `python sample.py` (images from a checkpoint)."""
import argparse
import os
import re
import sys

from .config import PRESETS, Config, UserError, resolve

BOOL_FLAGS = ('restore_optimizer', 'deterministic')


def _field_help():
    """The one-line comment beside each Config field, so flags and config share one text."""
    src = open(os.path.join(os.path.dirname(__file__), 'config.py')).read()
    return dict(re.findall(r'^    (\w+): [^=]+= [^#\n]+#\s*(.+)$', src, re.M))


def train_parser():
    p = argparse.ArgumentParser(
        prog='train.py', description='Train the GAN_animation recipe (or another preset). '
        'Outputs go to a new numbered folder under --out.')
    helps = _field_help()
    defaults = Config()
    p.add_argument('--preset', default='gan_animation', help='recipe to start from (see --list-presets)')
    p.add_argument('--list-presets', action='store_true', help='print the presets and exit')
    p.add_argument('--dry-run', action='store_true', help='print the resolved options and exit')
    for name in Config._fields:
        if name in ('preset',):
            continue
        flag = '--' + name.replace('_', '-')
        text = '%s (default: %s)' % (helps.get(name, ''), getattr(defaults, name))
        names = [flag, '--epochs'] if name == 'steps' else [flag]
        if name == 'steps':
            text += '; --epochs is an alias'
        if name in BOOL_FLAGS:
            p.add_argument(*names, dest=name, action='store_true', default=None, help=text)
        else:
            kind = type(getattr(defaults, name)) if getattr(defaults, name) is not None else int
            p.add_argument(*names, dest=name, type=kind, default=None, metavar=name.upper(), help=text)
    return p


def parse_config(argv):
    args = train_parser().parse_args(argv)
    overrides = {k: getattr(args, k) for k in Config._fields if k != 'preset'}
    return args, resolve(args.preset, **overrides)


def train_main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    try:
        args, cfg = parse_config(argv)
        if args.list_presets:
            for name in sorted(PRESETS):
                print(name)
            return 0
        if cfg.seed is None:
            cfg = cfg._replace(seed=int.from_bytes(os.urandom(4), 'little') % (2 ** 31))
        if args.dry_run:
            print(cfg.to_json())
            return 0
        return run_training(cfg, argv)
    except UserError as e:
        sys.stderr.write('Error: %s\n' % e)
        return 1


def run_training(cfg, argv=()):
    import numpy as np
    from . import backend, hooks, io
    from .data import load_images
    from .gan import GAN, describe_session
    images = load_images(cfg.data, cache_dir=os.path.join(cfg.out, '.cache'))
    print('loaded %d images from %s' % (len(images), cfg.data))
    info = backend.setup(cfg.seed, cfg.deterministic)
    gan = GAN(cfg)
    run_dir = io.new_run_dir(cfg.out)
    io.write_run_config(run_dir, cfg, {'versions': describe_session(), 'argv': list(argv),
                                       'images': len(images), 'determinism': info})
    grid_latents = np.random.RandomState([cfg.seed, 1]).normal(
        0.0, 1.0, (cfg.grid_size ** 2, cfg.latent_dim)).astype(np.float32)
    np.save(os.path.join(run_dir, 'grid_latents.npy'), grid_latents)
    print('run folder: %s' % run_dir)
    loop_hooks = [hooks.Progress(cfg.steps), hooks.History(run_dir, cfg.history_interval),
                  hooks.SampleGrid(gan, run_dir, cfg.sample_interval, grid_latents),
                  hooks.Checkpoint(gan, run_dir, cfg.checkpoint_interval)]
    try:
        gan.train(images, hooks=loop_hooks)
    except KeyboardInterrupt:
        sys.stderr.write('\ninterrupted; the last complete checkpoint is in %s\n'
                         % os.path.join(run_dir, 'weight'))
        return 130
    print('done: %s' % run_dir)
    return 0


def sample_parser():
    p = argparse.ArgumentParser(prog='sample.py', description='Generate images from a checkpoint.')
    p.add_argument('checkpoint', help='run folder (latest checkpoint), weight folder or generator_epoch_<step>.h5 '
                   '(this package\'s or the original GAN_animation\'s)')
    p.add_argument('--step', type=int, default=None, help='checkpoint step in a run folder (default: latest)')
    p.add_argument('--n', type=int, default=None,
                   help='write N separate PNGs into --out (a folder) instead of one grid')
    p.add_argument('--grid-size', type=int, default=10, help='grid is G x G tiles (default: 10)')
    p.add_argument('--seed', type=int, default=0, help='latent seed (default: 0)')
    p.add_argument('--out', required=True, help='grid PNG path, or a folder with --n')
    return p


def sample_main(argv=None):
    args = sample_parser().parse_args(sys.argv[1:] if argv is None else argv)
    try:
        return run_sampling(args)
    except UserError as e:
        sys.stderr.write('Error: %s\n' % e)
        return 1


def run_sampling(args):
    import cv2
    from . import backend, io
    from .gan import GAN
    if args.n is not None and args.n < 1 or args.grid_size < 1:
        raise UserError('--n and --grid-size must be at least 1')
    backend.setup(args.seed)
    gan = GAN.load_model(args.checkpoint, step=args.step)
    if args.n is None:
        if os.path.exists(args.out):
            raise UserError('%s exists; choose a new --out path (nothing is overwritten)' % args.out)
        g = args.grid_size
        io.save_grid(args.out, gan.generate(n=g * g, seed=args.seed), g, g)
        print('wrote %s (step %d)' % (args.out, gan.step))
        return 0
    os.makedirs(args.out, exist_ok=True)
    images = gan.generate(n=args.n, seed=args.seed)
    written = 0
    for i, img in enumerate(images):
        path = os.path.join(args.out, 'sample_%05d.png' % i)
        if os.path.exists(path):
            raise UserError('%s exists; choose an empty --out folder (nothing is overwritten)' % path)
        cv2.imwrite(path, img[..., ::-1])
        written += 1
    print('wrote %d images to %s (step %d)' % (written, args.out, gan.step))
    return 0
