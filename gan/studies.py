"""`python budget.py`: train a list of presets to one compute budget (run) and score the runs."""
import argparse
import sys

from . import backend
from .budget import PFLOP, run_queue
from .cli import train_parser
from .config import PRESETS, Config, UserError


def parser():
    p = argparse.ArgumentParser(
        prog='budget.py', description='Recipes on equal compute: train presets one after another '
        'to the same FLOP budget (run), then score the runs (score).')
    sub = p.add_subparsers(dest='command')
    r = sub.add_parser('run', help='train each preset to the budget; rerun to continue the queue')
    r.add_argument('--presets', required=True,
                   help='comma-separated presets, trained in this order (see train.py --list-presets)')
    r.add_argument('--data', required=True, help='image folder every run trains on')
    r.add_argument('--out', required=True, help='queue folder: one run folder per preset, queue.json, logs')
    r.add_argument('--pflop', type=float, default=1.0, help='budget per recipe in PFLOP (default: 1)')
    r.add_argument('--seed', type=int, default=1, help='seed of every run (default: 1)')
    r.add_argument('--fractions', type=int, default=10,
                   help='keep a checkpoint at every 1/N of the budget (default: 10)')
    r.add_argument('--start', action='append', default=[], metavar='PRESET=RUN',
                   help='continue an existing run folder of PRESET (copied into the queue)')
    r.add_argument('--python', default=None,
                   help='interpreter that trains (default: this one), e.g. .venv37-intel/bin/python')
    r.add_argument('--dry-run', action='store_true', help='print the plan and exit')
    return p


# train.py flags the queue sets itself, per run.
QUEUE_SETS = ('data', 'out', 'steps', 'milestone_steps', 'seed')


def recipe_changes(extra):
    """The Config changes that extra train.py flags make to every preset (e.g. --arch tiny)."""
    args = train_parser().parse_args(extra)
    if args.resume or args.run_dir or args.dry_run or args.list_presets:
        raise UserError('the queue resumes, names and plans its runs itself: drop --resume, '
                        '--run-dir, --dry-run and --list-presets after `run`')
    changes = {k: getattr(args, k) for k in Config._fields
               if k != 'preset' and getattr(args, k, None) is not None}
    clash = sorted(set(changes) & set(QUEUE_SETS))
    if clash:
        raise UserError('give %s as options of `budget.py run` (it sets them per run), not as '
                        'train.py flags' % ', '.join('--' + c.replace('_', '-') for c in clash))
    return changes


def _run(args, extra):
    presets = [s.strip() for s in args.presets.split(',') if s.strip()]
    unknown = [s for s in presets if s not in PRESETS]
    if unknown or not presets:
        raise UserError('--presets: unknown %s; choose from %s'
                        % (', '.join(unknown) or '(none given)', ', '.join(PRESETS)))
    starts = {}
    for item in args.start:
        name, sep, path = item.partition('=')
        if not sep or name not in presets:
            raise UserError('--start %s: give PRESET=RUN_FOLDER with a preset of --presets' % item)
        starts[name] = path
    if args.pflop <= 0:
        raise UserError('--pflop must be positive (got %r)' % args.pflop)
    return run_queue(presets, args.data, args.out, args.pflop * PFLOP, seed=args.seed,
                     fractions=args.fractions, starts=starts, python=args.python,
                     changes=recipe_changes(extra), extra_args=extra, dry_run=args.dry_run,
                     log=lambda m: (print(m), sys.stdout.flush()))


def main(argv=None):
    p = parser()
    args, extra = p.parse_known_args(sys.argv[1:] if argv is None else argv)
    if args.command is None:
        p.print_help()
        return 2
    if extra and args.command != 'run':
        p.error('unrecognized arguments: %s' % ' '.join(extra))
    return backend.run_command({'run': _run}[args.command], args, extra)
