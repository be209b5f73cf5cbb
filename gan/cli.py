"""Command lines: `python train.py` (training) and `python sample.py` (images from a checkpoint)."""
import argparse
import os
import shutil
import sys
from typing import NamedTuple

from . import backend, hooks, io
from .config import (DEFAULT_PRESET, HELP, PRESET_NOTES, PRESETS, Config, UserError, check,
                     milestone_steps, plan_epochs, preset_id, resolve)
from .data import load_images
from .gan import GAN, describe_session

BOOL_FLAGS = ('restore_optimizer', 'deterministic', 'tensorboard')


def train_parser():
    p = argparse.ArgumentParser(
        prog='train.py', description='Train the GAN_animation recipe (or another preset). '
        'Outputs go to a new numbered folder under --out.')
    defaults = Config()
    p.add_argument('--preset', default=DEFAULT_PRESET, metavar='NAME|PATH.json',
                   help='%s (default: %s)' % (HELP['preset'], DEFAULT_PRESET))
    p.add_argument('--list-presets', action='store_true', help='print the presets and exit')
    p.add_argument('--dry-run', action='store_true', help='print the resolved options and exit')
    p.add_argument('--resume', nargs='?', const='latest', default=None, metavar='RUN',
                   help='continue a run from its last complete checkpoint: a run folder, or the '
                   'latest run under --out when RUN is omitted')
    p.add_argument('--run-dir', default=None, metavar='FOLDER',
                   help='write a new run into FOLDER (new or empty) instead of a numbered folder '
                   'under --out')
    for name in Config._fields:
        if name in ('preset',):
            continue
        flag = '--' + name.replace('_', '-')
        text = '%s (default: %s)' % (HELP[name], getattr(defaults, name))
        if name in BOOL_FLAGS:
            p.add_argument(flag, dest=name, action='store_true', default=None, help=text)
            if getattr(defaults, name):            # on by default: --no-<name> turns it off
                p.add_argument('--no-' + flag[2:], dest=name, action='store_false', default=None,
                               help='turn %s off' % flag)
        else:
            kind = type(getattr(defaults, name)) if getattr(defaults, name) is not None else int
            p.add_argument(flag, dest=name, type=kind, default=None, metavar=name.upper(), help=text)
    return p


def parse_config(argv):
    args = train_parser().parse_args(argv)
    overrides = {k: getattr(args, k) for k in Config._fields if k != 'preset'}
    return args, resolve(args.preset, **overrides)


# Options a resumed run may change; every other one must equal the run's own.
RESUMABLE_CHANGES = ('steps', 'sample_interval', 'checkpoint_interval', 'keep_checkpoints',
                     'milestone_interval', 'milestone_steps', 'data', 'out', 'execution', 'kernels',
                     'tensorboard', 'restart_every')


class Restart(NamedTuple):
    """What run_training returns when --restart-every ends a segment: the run to resume."""
    run_dir: str
    step: int


def train_main(argv=None):
    code = backend.run_command(_train_main, sys.argv[1:] if argv is None else argv)
    if isinstance(code, Restart):          # sessions are closed: replace this process
        restart_in_place(code)
    return code


def restart_in_place(restart):
    """Replace this process by `train.py --resume RUN` (the same PID, so a parent's wait and its
    signals still reach it, and all memory the old process held is returned)."""
    print('restarting the process at step %d (--restart-every): resuming %s'
          % (restart.step, restart.run_dir))
    sys.stdout.flush()
    sys.stderr.flush()
    script = sys.argv[0]
    if script.endswith('.py') and os.path.isfile(script):
        command = [sys.executable, script]
    else:                                  # started as `python -c`: import gan from its checkout
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        command = [sys.executable, '-c', 'import sys; sys.path.insert(0, %r); from gan.cli '
                   'import train_main; sys.exit(train_main())' % root]
    os.execv(sys.executable, command + ['--resume', restart.run_dir])


def _train_main(argv):
    args, cfg = parse_config(argv)
    if args.list_presets:
        for name in PRESETS:       # one line each: name, source project, what is distinctive
            source, what = PRESET_NOTES.get(name, ('', ''))
            print('%-24s %s: %s' % (name, source, what))
        return 0
    if args.resume and args.run_dir:
        raise UserError('give --resume RUN or --run-dir FOLDER, not both')
    if args.run_dir:
        io.check_new_run_dir(args.run_dir)
    if args.resume:
        run_dir, cfg = resume_config(args, argv)
    else:
        run_dir = None
        if cfg.seed is None:
            cfg = cfg._replace(seed=int.from_bytes(os.urandom(4), 'little') % (2 ** 31))
    if args.dry_run:
        print(cfg.to_json())
        return 0
    return run_training(cfg, argv, resume_dir=run_dir, new_dir=args.run_dir)


def resume_config(args, argv):
    """The run folder to resume and its config, with the changes the flags are allowed to make."""
    out = args.out or Config().out
    if args.resume == 'latest':
        runs = sorted((int(n) for n in os.listdir(out) if n.isdigit()), reverse=True) \
            if os.path.isdir(out) else []
        runs = [r for r in runs if io.latest_step(os.path.join(out, str(r))) is not None]
        if not runs:
            raise UserError('--resume: no run with a checkpoint under %s; give the run folder '
                            '(--resume save/3) or --out' % out)
        run_dir = os.path.join(out, str(runs[0]))
    else:
        run_dir = args.resume
    saved = io.read_run_config(run_dir)
    if saved is None:
        raise UserError('--resume %s: no config.json there; give a run folder written by train.py'
                        % run_dir)
    given = {a.split('=')[0].lstrip('-').replace('-', '_') for a in argv if a.startswith('--')}
    changes = {}
    for name in Config._fields:
        value = getattr(args, name, None)
        if name == 'preset':
            value = preset_id(args.preset) if 'preset' in given else None   # a file: its path
        if value is None or value == getattr(saved, name):
            continue
        if name not in RESUMABLE_CHANGES:
            raise UserError('--resume %s: that run was trained with --%s %s, not %s; drop --%s '
                            '(a resumed run keeps its recipe) or start a new run'
                            % (run_dir, name.replace('_', '-'), getattr(saved, name), value,
                               name.replace('_', '-')))
        changes[name] = value
    cfg = saved._replace(**changes)
    check(cfg)
    return run_dir, cfg


def check_disk(folder, needed):
    free = shutil.disk_usage(folder).free
    if free < needed:
        raise UserError('only %d MB free in %s, and a checkpoint needs about %d MB plus margin; '
                        'free some space or choose another --out' % (free >> 20, folder, needed >> 20))


def run_training(cfg, argv=(), resume_dir=None, new_dir=None):
    """Train `cfg`: a new run (a numbered folder under cfg.out, or `new_dir`), or continue the
    run in `resume_dir`. Returns the exit code, or a Restart when --restart-every ends a segment."""
    out = resume_dir or cfg.out
    io.ensure_writable_dir(out)
    images = load_images(cfg.data, cache_dir=os.path.join(cfg.out, '.cache'), resize=cfg.resize)
    print('loaded %d images from %s' % (len(images), cfg.data))
    cfg = plan_epochs(cfg, len(images))    # epochs -> steps, before config.json and the hooks
    info = backend.setup(cfg.seed, cfg.deterministic)
    gan = GAN(cfg)
    check_disk(out, 2 * io.estimate_checkpoint_bytes(gan) + (100 << 20))
    history = None
    if resume_dir:
        run_dir = resume_dir
        for name in io.remove_stale_temps(run_dir):
            print('removed %s, left by an interrupted write' % name)
        start = io.latest_step(run_dir) or 0
        history = hooks.History(run_dir, cfg.history_interval)
        if start:   # else: killed before its first checkpoint, so it starts again from step 0
            meta = io.restore_checkpoint(gan, run_dir, start)
            history.set_state(meta['extra'], start)
        else:
            history.set_state({}, 0)
        io.write_run_config(run_dir, cfg, dict(io.read_run_doc(run_dir), resumed_from=start))
        print('resuming %s from step %d' % (run_dir, start))
    else:
        start = 0
        run_dir = io.new_run_dir(cfg.out, new_dir)
        io.write_run_config(run_dir, cfg, {'versions': describe_session(), 'argv': list(argv),
                                           'images': len(images), 'determinism': info})
        history = hooks.History(run_dir, cfg.history_interval)
        print('run folder: %s' % run_dir)
    grid_latents = io.grid_latents(run_dir, cfg)
    guard = hooks.NanGuard(gan, run_dir)
    stopper = hooks.StopOnSignal()
    restarter = hooks.RestartEvery(cfg.restart_every, cfg.steps)
    grids = hooks.SampleGrid(gan, run_dir, cfg.sample_interval, grid_latents)
    board = None
    if cfg.tensorboard:
        with open(os.path.join(run_dir, 'config.json')) as f:
            board = hooks.TensorBoard(os.path.join(run_dir, 'events'), grids=grids, text=f.read())
    loop_hooks = [hooks.Progress(cfg.steps), history, grids] + ([board] if board else []) + [
        guard, hooks.Checkpoint(gan, run_dir, cfg.checkpoint_interval, state_from=[history],
                                guard=guard, steps=milestone_steps(cfg)),
        stopper, restarter]
    try:
        last = gan.train(images, hooks=loop_hooks, start_step=start)
    except hooks.NonFiniteError as e:
        raise UserError(str(e))
    except KeyboardInterrupt:
        sys.stderr.write('\naborted; the last complete checkpoint in %s is kept. Resume with: '
                         'python train.py --resume %s\n' % (os.path.join(run_dir, 'weight'), run_dir))
        return 130
    finally:
        if board is not None:
            board.close()
    if stopper.received is not None:
        sys.stderr.write('stopped at step %d and saved a checkpoint. Resume with: '
                         'python train.py --resume %s\n' % (last, run_dir))
        return 128 + int(stopper.received)
    if restarter.due:
        return Restart(run_dir, last)
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
    return backend.run_command(run_sampling, args)


def run_sampling(args):
    import cv2      # lazy: --help and --dry-run load no OpenCV
    if args.n is not None and args.n < 1 or args.grid_size < 1:
        raise UserError('--n and --grid-size must be at least 1')
    backend.setup(args.seed)
    gan = GAN.load_model(args.checkpoint, step=args.step, compile=False)   # networks only
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
