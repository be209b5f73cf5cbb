"""The study's command lines: `python study.py` trains a list of presets to one compute budget
(run) and scores the runs (score); `python -m gan flops` counts one step's FLOPs."""
import argparse
import json
import os
import sys

from .. import backend
from ..cli import train_parser
from ..config import PRESETS, Config, UserError, resolve
from .flops import count_step_flops
from .engine import run_queue
from .queue import PFLOP
from .scoreboard import score


def parser():
    p = argparse.ArgumentParser(
        prog='study.py', description='Recipes on equal compute: train presets (once per seed) '
        'to the same FLOP budget, side by side on Dask workers (run), then score the runs (score).')
    sub = p.add_subparsers(dest='command')
    r = sub.add_parser('run', help='train each preset to the budget; rerun to continue the queue')
    r.add_argument('--presets', required=True,
                   help='comma-separated presets, trained in this order (see train.py --list-presets)')
    r.add_argument('--data', required=True, help='image folder every run trains on')
    r.add_argument('--out', required=True, help='queue folder: one run folder per preset and seed, queue.json, logs')
    r.add_argument('--pflop', type=float, default=1.0, help='budget per recipe in PFLOP (default: 1)')
    r.add_argument('--seeds', default='1', metavar='S,S,...',
                   help='comma-separated seeds: each preset is trained once per seed (default: 1)')
    r.add_argument('--fractions', type=int, default=10,
                   help='keep a checkpoint at every 1/N of the budget (default: 10)')
    r.add_argument('--start', action='append', default=[], metavar='PRESET=RUN',
                   help='continue an existing run folder of PRESET (copied into the queue)')
    r.add_argument('--python', default=None,
                   help='interpreter that trains (default: this one), e.g. .venv37-intel/bin/python')
    r.add_argument('--dry-run', action='store_true', help='print the plan and exit')
    r.add_argument('--workers', type=int, default=None,
                   help='runs trained at once on this machine: local Dask workers (default: the '
                   'number of cores)')
    r.add_argument('--scheduler', default=None, metavar='ADDRESS',
                   help='train on the Dask cluster of this scheduler (e.g. tcp://host:8786) '
                   'instead: --out, --data and --python must be the same paths on every worker')
    s = sub.add_parser('score', help="score a queue's runs and the published grids against real faces")
    s.add_argument('queue', nargs='?', default=None,
                   help='the --out folder of `study.py run` (optional with --records)')
    s.add_argument('--real', required=True, help='folder of real faces (the data the runs trained on)')
    s.add_argument('--out', default=None, help='new folder for the results (default: QUEUE/score, '
                   'then score_2, ...)')
    s.add_argument('--records', default=None, metavar='DIR',
                   help="folder of run records: each queue run's scores and faces are kept there "
                   '(files to commit: about 1 MB with 100 faces), and the records of runs whose folders are gone join '
                   'the table')
    s.add_argument('--n', type=int, default=1000,
                   help='faces generated per checkpoint, and held-out real faces for the floor '
                   '(default: 1000, the protocol\'s least)')
    s.add_argument('--real-n', type=int, default=1000, help='real faces in the real set (default: 1000)')
    s.add_argument('--seed', type=int, default=0, help='seed of the real draw and the latents (default: 0)')
    s.add_argument('--faces', type=int, default=25, help='faces per panel in at_budget.jpg (default: 25)')
    s.add_argument('--keep-faces', type=int, default=100,
                   help='faces each record keeps, for rescoring (default: 100)')
    s.add_argument('--budget', type=float, default=None, metavar='PFLOP',
                   help='also the table over training seeds at this budget: every run scored at '
                   '0.8, 0.9 and 1.0 of it (docs/study.md, the protocol)')
    s.add_argument('--no-published', dest='published', action='store_false',
                   help="leave out the published grids (they are downloaded once on first use)")
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
        raise UserError('give %s as options of `study.py run` (it sets them per run), not as '
                        'train.py flags' % ', '.join('--' + c.replace('_', '-') + ('s' if c == 'seed' else '')
                                                     for c in clash))
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
    if args.workers is not None and args.workers < 1:
        raise UserError('--workers must be at least 1 (got %d)' % args.workers)
    if args.workers is not None and args.scheduler:
        raise UserError('--workers is for the local cluster: give it to dask-worker with --scheduler')
    return run_queue(presets, args.data, args.out, args.pflop * PFLOP, seeds=parse_seeds(args.seeds),
                     fractions=args.fractions, starts=starts, python=args.python,
                     changes=recipe_changes(extra), extra_args=extra, dry_run=args.dry_run,
                     workers=args.workers, scheduler=args.scheduler,
                     log=lambda m: (print(m), sys.stdout.flush()))


def parse_seeds(text):
    """--seeds '1,2,3' as [1, 2, 3] (each once, in the order given)."""
    seeds = []
    for item in text.split(','):
        try:
            seed = int(item)
        except ValueError:
            raise UserError('--seeds: give whole numbers separated by commas (got %r)' % text)
        if seed not in seeds:
            seeds.append(seed)
    return seeds


def main(argv=None):
    p = parser()
    args, extra = p.parse_known_args(sys.argv[1:] if argv is None else argv)
    if args.command is None:
        p.print_help()
        return 2
    if extra and args.command != 'run':
        p.error('unrecognized arguments: %s' % ' '.join(extra))
    return backend.run_command({'run': _run, 'score': _score}[args.command], args, extra)


def _score(args, extra):
    if args.n < 2 or args.real_n < 2 or args.faces < 1 or args.keep_faces < 1:
        raise UserError('--n and --real-n must be at least 2, --faces and --keep-faces at least 1')
    if args.budget is not None and args.budget <= 0:
        raise UserError('--budget must be positive (got %r)' % args.budget)
    if args.queue is None and args.records is None:
        raise UserError('give the queue folder, --records DIR, or both')
    out = args.out
    if out is None and args.queue is None:
        raise UserError('--out is needed when no queue folder is given')
    if out is None:
        k, out = 1, os.path.join(args.queue, 'score')
        while os.path.exists(out):
            k += 1
            out = os.path.join(args.queue, 'score_%d' % k)
    score(args.queue, args.real, out, n=args.n, real_n=args.real_n, seed=args.seed,
          faces=args.faces, published=args.published, records=args.records,
          keep_faces=args.keep_faces, budget=None if args.budget is None else args.budget * PFLOP,
          log=lambda m: (print(m), sys.stdout.flush()))
    return 0


def flops_main(argv=None):
    """`python -m gan flops PRESET [--json]`: one step's FLOPs of a preset, by op type."""
    p = argparse.ArgumentParser(prog='python -m gan flops', description=flops_main.__doc__)
    p.add_argument('preset')
    p.add_argument('--set', default='{}', metavar='JSON',
                   help='options to change, as a JSON object of Config fields (e.g. {"arch": "tiny"})')
    p.add_argument('--json', action='store_true', help='print one JSON line')
    args = p.parse_args(argv)

    def count():
        total, by_type = count_step_flops(resolve(args.preset, **json.loads(args.set)))
        if args.json:
            print(json.dumps({'total': total, 'by_type': by_type}))
        else:
            for k, v in sorted(by_type.items(), key=lambda kv: -kv[1]):
                print('%-28s %16d' % (k, v))
            print('%-28s %16d  (%.4f TFLOP)' % ('total', total, total / 1e12))
        return 0
    return backend.run_command(count)

