"""Mode-coverage benchmark of the unrolled-GAN papers on the 2-D ring and grid, on the CPU.

Trains the package's own GAN (gan.GAN, its train_step and unrolling code, first- or second-order)
with small MLPs on PacGAN's 2-D problems and prints modes captured, % high-quality samples and
the reverse KL of the mode histogram, mean +- standard error over seeds, beside the published
rows (VEEGAN Table 1, PacGAN Table 1).

    python bench/mode_coverage.py                 # full: 5 seeds, both problems, all rows
    python bench/mode_coverage.py --quick         # 1-2 minutes: fewer steps and seeds
    python bench/mode_coverage.py --seeds 10 --steps 3000 --problems ring --rows 0,5so
    python bench/mode_coverage.py --json results.json
    python bench/mode_coverage.py --table-from results.json     # reprint a saved table

Rows are unroll steps k with the mode: `0` (plain GAN; first- and second-order coincide),
`5fo`, `5so`, `10fo`, `10so` (fo = first-order, the original's method; so = second-order).
"""
from __future__ import print_function

import argparse
import json
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

# Published results: (modes, % high quality, reverse KL or None)
PUBLISHED = {
    'ring': [('VEEGAN T1: GAN', 1.0, 99.3, None), ('VEEGAN T1: Unrolled GAN', 7.6, 35.6, None),
             ('VEEGAN T1: VEEGAN', 8.0, 52.9, None), ('PacGAN T1: GAN', 6.3, 98.2, 0.45),
             ('PacGAN T1: PacGAN2', 7.9, 95.6, 0.07)],
    'grid': [('VEEGAN T1: GAN', 3.3, 0.5, None), ('VEEGAN T1: Unrolled GAN', 23.6, 16.0, None),
             ('VEEGAN T1: VEEGAN', 24.6, 40.0, None), ('PacGAN T1: GAN', 17.3, 94.8, 0.70),
             ('PacGAN T1: PacGAN4', 24.8, 93.6, 0.04)],
}

# The benchmark's settings (see docs/mode_coverage.md for why).
DEFAULTS = dict(steps=3000, seeds=5, batch_size=256, lr=5e-4, beta_1=0.5, latent_dim=2,
                g_hidden=(128, 128, 128), d_hidden=(128, 128), n_samples=2500,
                lr_decay_at=None, lr_decay=0.1, eval_every=0, d_activation='relu')
# PacGAN's toy network sizes (G 4 x 400, D 3 x 200); its D's maxout units: --d-activation maxout.
PACGAN_NETS = dict(g_hidden=(400, 400, 400, 400), d_hidden=(200, 200, 200))
QUICK = dict(steps=300, seeds=2, problems='ring', rows='0,5fo,5so')
ROWS = ['0', '5fo', '5so', '10fo', '10so']


def parse_row(row):
    row = row.strip().lower()
    if row.endswith('so'):
        return int(row[:-2]), 'second-order'
    if row.endswith('fo'):
        return int(row[:-2]), 'first-order'
    return int(row), 'first-order'


def decay_step(opts):
    """The step from which the learning rates are decayed, or None."""
    if opts.get('lr_decay_at') is None:
        return None
    return int(round(opts['lr_decay_at'] * opts['steps']))


def row_label(k, mode):
    if k == 0:
        return 'ours: GAN (k=0)'
    return 'ours: unrolled k=%d, %s' % (k, mode)


def run_one(problem_name, k, mode, seed, opts):
    """Train one GAN and evaluate it; returns a dict of metrics and timings."""
    import numpy as np
    from keras import backend as K
    import toy
    from gan import GAN, Config, backend
    backend.setup(seed, intra_threads=opts['threads'], inter_threads=opts['threads'])
    problem = toy.PROBLEMS[problem_name]()
    fields = dict(batch_size=opts['batch_size'], latent_dim=opts['latent_dim'], unroll_steps=k,
                  lr=opts['lr'], beta_1=opts['beta_1'], label_smoothing=0.0, flip_prob=0.0,
                  seed=seed, steps=opts['steps'], unroll_mode=mode)
    config = Config(**fields)
    gan = GAN(config, generator=toy.mlp_generator(opts['latent_dim'], tuple(opts['g_hidden'])),
              discriminator=toy.mlp_discriminator(tuple(opts['d_hidden']),
                                                  activation=opts['d_activation']))

    def sample_real(n, rng):
        return problem.sample(n, rng)

    def evaluate():
        return problem.evaluate(gan.generator.predict(z, batch_size=500))

    step = lambda: gan.train_step(sample_real)                        # noqa: E731
    z = np.random.RandomState(10 ** 6 + seed).normal(size=(opts['n_samples'], opts['latent_dim']))
    z = z.astype(np.float32)
    decay_at = decay_step(opts)
    optimizers = (gan.discriminator.optimizer, gan.combined.optimizer)
    history, seconds = [], 0.0
    for i in range(opts['steps']):
        if i == decay_at:        # from here on both optimizers run at lr * lr_decay
            for opt in optimizers:
                K.set_value(opt.learning_rate, opts['lr'] * opts['lr_decay'])
        t0 = time.time()
        step()
        if i:                    # the first step builds the functions: not timed
            seconds += time.time() - t0
        if opts.get('eval_every') and (i + 1) % opts['eval_every'] == 0:
            r = evaluate()
            history.append([i + 1, r['modes'], round(r['hq'], 2)])
    samples = gan.generator.predict(z, batch_size=500)
    result = problem.evaluate(samples)
    result.update(problem=problem_name, k=k, mode=mode, seed=seed,
                  ms_per_step=1000.0 * seconds / max(1, opts['steps'] - 1),
                  finite=bool(np.all(np.isfinite(samples))), history=history,
                  lr_final=[float(K.get_value(o.learning_rate)) for o in optimizers])
    return result


def _worker(args):
    return run_one(*args)


def summarise(results):
    import numpy as np
    out = {}
    for r in results:
        out.setdefault((r['problem'], r['k'], r['mode']), []).append(r)
    table = {}
    for key, rs in out.items():
        row = {}
        for m in ('modes', 'hq', 'rkl', 'ms_per_step'):
            vals = np.array([r[m] for r in rs], np.float64)
            if m == 'rkl':      # undefined (inf) when a run has no high-quality sample at all
                row['rkl_defined'] = int(np.isfinite(vals).sum())
                vals = vals[np.isfinite(vals)]
                if not len(vals):
                    row[m] = (float('inf'), float('nan'))
                    continue
            se = vals.std(ddof=1) / np.sqrt(len(vals)) if len(vals) > 1 else float('nan')
            row[m] = (float(vals.mean()), float(se))
        row['n'] = len(rs)
        row['all_modes'] = sum(r['modes'] == r['n_modes'] for r in rs)
        table[key] = row
    return table


def fmt(mean, se, digits=1):
    if mean == float('inf'):
        return 'undefined'
    if se != se:    # nan
        return '%.*f' % (digits, mean)
    return '%.*f +- %.*f' % (digits, mean, digits, se)


def print_table(table, problems, rows, opts, file=sys.stdout):
    n_modes = {'ring': 8, 'grid': 25}
    for p in problems:
        decay = ('' if opts.get('lr_decay_at') is None else
                 ', lr x %g from step %d' % (opts['lr_decay'], decay_step(opts)))
        print('\n%s (%d modes): %d seeds x %d steps, batch %d, lr %g%s, latent %d, G %s, D %s %s'
              % (p, n_modes[p], opts['seeds'], opts['steps'], opts['batch_size'], opts['lr'], decay,
                 opts.get('latent_dim', 2), 'x'.join(map(str, opts['g_hidden'])),
                 'x'.join(map(str, opts['d_hidden'])), opts.get('d_activation', 'relu')), file=file)
        print('| %-34s | %-15s | %-15s | %-15s | %-11s | %s |' % (
            'method', 'modes', '% high quality', 'reverse KL', 'all modes', 'ms/step'), file=file)
        print('|%s|%s|%s|%s|%s|%s|' % ('-' * 36, '-' * 17, '-' * 17, '-' * 17, '-' * 13, '-' * 9),
              file=file)
        for name, modes, hq, rkl in PUBLISHED[p]:
            print('| %-34s | %-15s | %-15s | %-15s | %-11s | %7s |' % (
                name, '%.1f' % modes, '%.1f' % hq, '-' if rkl is None else '%.2f' % rkl, '', ''),
                file=file)
        for row in rows:
            k, mode = parse_row(row)
            r = table.get((p, k, mode))
            if r is None:
                continue
            print('| %-34s | %-15s | %-15s | %-15s | %-11s | %7.0f |' % (
                row_label(k, mode), fmt(*r['modes']), fmt(*r['hq']),
                fmt(*r['rkl'], digits=2) + ('' if r['rkl_defined'] == r['n'] else
                                            ' (%d runs)' % r['rkl_defined']),
                '%d/%d seeds' % (r['all_modes'], r['n']), r['ms_per_step'][0]), file=file)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--quick', action='store_true', help='a 1-2 minute version (%d steps, %d seeds)'
                    % (QUICK['steps'], QUICK['seeds']))
    ap.add_argument('--seeds', type=int, help='seeds per row (default %d)' % DEFAULTS['seeds'])
    ap.add_argument('--first-seed', type=int, default=0)
    ap.add_argument('--steps', type=int, help='training steps per run (default %d)' % DEFAULTS['steps'])
    ap.add_argument('--problems', default=None, help='ring,grid (default both; --quick: ring)')
    ap.add_argument('--rows', default=None,
                    help='unroll rows: k, or k with fo/so (default %s)' % ','.join(ROWS))
    ap.add_argument('--batch-size', type=int, default=DEFAULTS['batch_size'])
    ap.add_argument('--lr', type=float, default=DEFAULTS['lr'])
    ap.add_argument('--latent-dim', type=int, default=DEFAULTS['latent_dim'],
                    help='generator input size (default %d)' % DEFAULTS['latent_dim'])
    ap.add_argument('--nets', choices=('small', 'pacgan'), default='small',
                    help='MLP sizes: small = G 3x128, D 2x128 (default); pacgan = G 4x400, D 3x200')
    ap.add_argument('--d-activation', choices=('relu', 'maxout'), default='relu',
                    help='hidden units of D: relu (default) or maxout with 5 pieces (PacGAN\'s D)')
    ap.add_argument('--lr-decay-at', type=float, default=None, metavar='FRACTION',
                    help='multiply both learning rates by --lr-decay from this fraction of the steps on')
    ap.add_argument('--lr-decay', type=float, default=DEFAULTS['lr_decay'])
    ap.add_argument('--eval-every', type=int, default=0, metavar='STEPS',
                    help='also record modes and %% HQ every N steps (in the JSON)')
    ap.add_argument('--jobs', type=int, default=1, help='parallel worker processes')
    ap.add_argument('--threads', type=int, default=1, help='TF threads per process')
    ap.add_argument('--json', help='write the per-run results and the table here')
    ap.add_argument('--table-from', metavar='JSON', help='only print the table of a saved --json file')
    args = ap.parse_args(argv)
    if args.table_from:
        with open(args.table_from) as f:
            saved = json.load(f)
        runs, opts = saved['runs'], saved['options']
        problems = [p for p in ('ring', 'grid') if any(r['problem'] == p for r in runs)]
        rows = []
        for r in runs:
            row = '%d' % r['k'] if r['k'] == 0 else '%d%s' % (r['k'], 'so' if r['mode'] == 'second-order' else 'fo')
            if row not in rows:
                rows.append(row)
        opts['seeds'] = max(sum(1 for x in runs if (x['problem'], x['k'], x['mode']) ==
                                (r['problem'], r['k'], r['mode'])) for r in runs)
        print_table(summarise(runs), problems, rows, opts)
        return 0
    opts = dict(DEFAULTS)
    problems, rows = 'ring,grid', ','.join(ROWS)
    if args.quick:
        opts.update(QUICK)
        problems, rows = opts.pop('problems'), opts.pop('rows')
    problems = args.problems or problems
    rows = args.rows or rows
    if args.seeds:
        opts['seeds'] = args.seeds
    if args.steps:
        opts['steps'] = args.steps
    if args.lr_decay_at is not None and not 0.0 < args.lr_decay_at < 1.0:
        ap.error('--lr-decay-at %g: give a fraction of the steps between 0 and 1' % args.lr_decay_at)
    if args.latent_dim < 1:
        ap.error('--latent-dim %d: give a positive size' % args.latent_dim)
    opts.update(batch_size=args.batch_size, lr=args.lr, latent_dim=args.latent_dim, threads=args.threads,
                d_activation=args.d_activation,
                lr_decay_at=args.lr_decay_at, lr_decay=args.lr_decay, eval_every=args.eval_every)
    if args.nets == 'pacgan':
        opts.update(PACGAN_NETS)
    problems = [p.strip() for p in problems.split(',') if p.strip()]
    rows = [r.strip() for r in rows.split(',') if r.strip()]
    jobs = [(p, k, mode, seed, opts) for p in problems for row in rows
            for (k, mode) in [parse_row(row)]
            for seed in range(args.first_seed, args.first_seed + opts['seeds'])]
    print('mode-coverage benchmark: %d runs (%s), %d steps each, %d job(s)'
          % (len(jobs), ', '.join(problems), opts['steps'], args.jobs), flush=True)
    t0 = time.time()
    results = []
    if args.jobs > 1:
        import multiprocessing
        pool = multiprocessing.get_context('spawn').Pool(args.jobs)
        iterator = pool.imap_unordered(_worker, jobs)
    else:
        pool, iterator = None, (run_one(*j) for j in jobs)
    for r in iterator:
        results.append(r)
        print('  %-4s k=%-2d %-12s seed %d: %2d/%d modes, %5.1f%% HQ, rKL %.3f, %.0f ms/step'
              % (r['problem'], r['k'], r['mode'], r['seed'], r['modes'], r['n_modes'], r['hq'],
                 r['rkl'], r['ms_per_step']), flush=True)
        if args.json:            # after every run, so that a run cut short keeps what it finished
            write_json(args.json, opts, results)
    if pool is not None:
        pool.close()
        pool.join()
    table = summarise(results)
    print_table(table, problems, rows, opts)
    print('\ntotal %.0f s' % (time.time() - t0))
    return 0


def write_json(path, opts, results):
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        json.dump({'options': dict(opts), 'runs': results,
                   'table': {'%s/k=%d/%s' % key: v for key, v in summarise(results).items()}},
                  f, indent=1)
    os.replace(tmp, path)


if __name__ == '__main__':
    from variants import run
    run(main)
