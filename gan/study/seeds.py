"""The protocol over training seeds (docs/study.md#the-protocol-a-score-over-training-seeds-with-intervals-and-ties):
a run's score at a budget, and per recipe the mean, SD and bootstrap interval over its seeds, the
tied groups and the spread from latent seeds. Pure functions of the scoreboard's rows."""
import math
import re

import numpy as np

from ..config import UserError

PFLOP = 1e15
TENTHS = (8, 9, 10)            # the checkpoints at 0.8, 0.9 and 1.0 of the budget
PROTOCOL_N = 1000              # generated faces per scored checkpoint, at least
LATENT_SEEDS = 5               # latent seeds the first seed's 1.0-budget checkpoint is scored with
RESAMPLES = 10000
LEVEL = 0.95
BOOTSTRAP_SEED = 0


def recipe(row):
    """A row's recipe: its preset and recipe flags (records made before they were kept: the preset)."""
    return row.get('recipe', row['preset'])


def seed_of(row):
    """A row's training seed: its 'seed', else (records made before it was kept) the seed in its
    run name `<preset>-seed<s>`."""
    if row.get('seed') is not None:
        return int(row['seed'])
    m = re.search(r'-seed(\d+)$', row.get('run') or '')
    if m is None:
        raise UserError('%s names no training seed (no "seed", run %r)'
                        % (row.get('record', recipe(row)), row.get('run')))
    return int(m.group(1))


def run_label(row):
    return row.get('record') or row.get('run') or '%s seed %d' % (recipe(row), seed_of(row))


def protocol_steps(flops_per_step, budget):
    """The steps of the checkpoints at 0.8, 0.9 and 1.0 of `budget` FLOPs, as the queue plans
    its tenths (gan.study.queue.plan)."""
    return [int(math.ceil(k * budget / 10 / flops_per_step - 1e-9)) for k in TENTHS]


def run_score(row, budget, min_n=PROTOCOL_N):
    """{'steps', 'swd': SWD means at the three checkpoints, 'score': their mean, 'n'} of one run
    at `budget` FLOPs. Raises UserError naming the run when a checkpoint is missing or was scored
    on fewer than `min_n` faces."""
    steps = protocol_steps(row['plan']['flops_per_step'], budget)
    points = {p['step']: p for p in row['points']}
    missing = [s for s in steps if s not in points]
    if missing:
        raise UserError('%s lacks the checkpoints at 0.8/0.9/1.0 of %g PFLOP: steps %s missing '
                        '(scored: %s)' % (run_label(row), budget / PFLOP,
                                          ', '.join(map(str, missing)),
                                          ', '.join(str(p['step']) for p in row['points']) or 'none'))
    few = [s for s in steps if points[s]['n'] < min_n]
    if few:
        raise UserError('%s: steps %s were scored on %d faces; the protocol needs %d (--n)'
                        % (run_label(row), ', '.join(map(str, few)),
                           min(points[s]['n'] for s in few), min_n))
    swd = [float(points[s]['swd']['mean']) for s in steps]
    return {'steps': steps, 'swd': swd, 'score': float(np.mean(swd)),
            'n': min(points[s]['n'] for s in steps)}


def bootstrap_interval(values, level=LEVEL, resamples=RESAMPLES, seed=BOOTSTRAP_SEED):
    """(low, high): the percentile-bootstrap interval of the mean of `values` (resampled with
    replacement `resamples` times from RandomState(seed)). One value: the point itself."""
    values = np.asarray(values, float)
    if len(values) == 0:
        raise ValueError('no values')
    if len(values) == 1:
        return float(values[0]), float(values[0])
    rng = np.random.RandomState(seed)
    means = values[rng.randint(0, len(values), size=(resamples, len(values)))].mean(axis=1)
    tail = 100 * (1 - level) / 2
    low, high = np.percentile(means, [tail, 100 - tail])
    return float(low), float(high)


def summarize(values, **bootstrap):
    """Mean, SD (n - 1; None for one value) and bootstrap interval of `values`."""
    values = [float(v) for v in values]
    return {'mean': float(np.mean(values)),
            'sd': float(np.std(values, ddof=1)) if len(values) > 1 else None,
            'interval': list(bootstrap_interval(values, **bootstrap)),
            'one_seed': len(values) == 1}


def tied_groups(intervals):
    """{name: group} for {name: (low, high)}: the connected components of overlapping closed
    intervals, numbered from 1 at the lowest values up."""
    groups, group, reach = {}, 0, None
    for name, (low, high) in sorted(intervals.items(), key=lambda kv: (kv[1][0], kv[1][1], kv[0])):
        if reach is None or low > reach:
            group, reach = group + 1, high
        else:
            reach = max(reach, high)
        groups[name] = group
    return groups


def latent_spread(row):
    """SD (n - 1) of the SWD means a row's latent-seed scores give, or None without them."""
    scores = (row.get('latent') or {}).get('scores') or []
    if len(scores) < 2:
        return None
    return float(np.std([s['swd']['mean'] for s in scores], ddof=1))


def over_seeds(rows, budget, min_n=PROTOCOL_N):
    """Per recipe, in ranked order: its seeds' runs and scores at `budget` FLOPs, their summary,
    the latent-seed spread of its first seed's row and its tied group (None: one seed). Every run
    that cannot be scored is named in one UserError."""
    by_recipe, errors = {}, []
    for r in rows:
        if not r['points']:
            errors.append('%s has no scored checkpoint' % run_label(r))
            continue
        try:
            s = run_score(r, budget, min_n)
        except UserError as e:
            errors.append(str(e))
            continue
        by_recipe.setdefault(recipe(r), []).append((seed_of(r), r, s))
    if errors:
        raise UserError('the protocol at %g PFLOP cannot score every run:\n  %s\nTrain them to '
                        'the budget, score them with --n %d, or leave their queue or record out'
                        % (budget / PFLOP, '\n  '.join(errors), min_n))
    out = []
    for name, runs in by_recipe.items():
        runs.sort(key=lambda t: t[0])
        seeds = [t[0] for t in runs]
        if len(set(seeds)) < len(seeds):
            raise UserError('%s has two rows of one seed: %s' % (name, ', '.join(map(str, seeds))))
        entry = dict(summarize([t[2]['score'] for t in runs]), recipe=name, seeds=seeds,
                     runs=[dict(t[2], seed=t[0], run=run_label(t[1])) for t in runs])
        first = runs[0][1]
        latent = first.get('latent') or {}
        entry['latent_sd'] = latent_spread(first) if latent.get('step') == runs[0][2]['steps'][-1] else None
        entry['latent_seeds'] = [s['latent_seed'] for s in latent.get('scores', [])] if entry['latent_sd'] is not None else []
        out.append(entry)
    groups = tied_groups({e['recipe']: e['interval'] for e in out if not e['one_seed']})
    for e in out:
        e['group'] = groups.get(e['recipe'])
    big = len(groups) + 1
    out.sort(key=lambda e: (e['group'] or big, e['mean'], e['recipe']))
    return out


def _fmt_sd(v):
    return '-' if v is None else '%.1f' % v


def markdown_over_seeds(table, budget, floor, n):
    """The over-seeds table as Markdown: one row per recipe, ranked by tied group."""
    out = ['Over training seeds at %g PFLOP: a run scores the mean SWD x1e3 (mean of 3 levels) of '
           'its checkpoints at 0.8, 0.9 and 1.0 of the budget, each on %d generated faces; per '
           'recipe the mean over seeds, SD, 95%% percentile-bootstrap interval of the mean '
           '(%d resamples, seed %d; with 3 seeds it is their range), the SD from %d latent seeds '
           "of the first seed's last checkpoint, and the tied group (overlapping intervals; "
           '1 = lowest SWD). Real vs real at %d faces: %.1f.'
           % (budget / PFLOP, n, RESAMPLES, BOOTSTRAP_SEED, LATENT_SEEDS, n, floor), '',
           '| recipe | seeds | score per seed | mean | SD | 95% interval | latent-seed SD | tied group |',
           '| --- | --- | --- | --- | --- | --- | --- | --- |']
    for e in table:
        interval = ('%.1f (one seed: no interval)' % e['interval'][0] if e['one_seed']
                    else '%.1f - %.1f' % tuple(e['interval']))
        out.append('| `%s` | %s | %s | **%.1f** | %s | %s | %s | %s |' % (
            e['recipe'], ', '.join(map(str, e['seeds'])),
            ' / '.join('%.1f' % r['score'] for r in e['runs']), e['mean'], _fmt_sd(e['sd']),
            interval, _fmt_sd(e['latent_sd']), e['group'] or '- (one seed)'))
    return '\n'.join(out) + '\n'
