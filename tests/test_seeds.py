"""The protocol over training seeds (gan.study.seeds): a run's score at a budget, the statistics
across seeds, ties, and rows and records kept per (recipe, seed)."""
import glob
import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest

from conftest import ROOT

from gan.config import UserError
from gan.eval.pictures import write_png
from gan.study import scoreboard
from gan.study import seeds as S

DEMO = os.path.join(ROOT, 'data', 'demo')
RECORDS = os.path.join(ROOT, 'docs', 'results')


# -- statistics ----------------------------------------------------------------------------------

def test_bootstrap_interval_contains_the_mean_and_repeats_under_its_seed():
    values = [101.0, 96.5, 110.2, 104.8, 99.1]
    low, high = S.bootstrap_interval(values)
    assert min(values) < low < np.mean(values) < high < max(values)   # 5 seeds: inside the range
    assert S.bootstrap_interval(values) == (low, high)
    many = np.random.RandomState(3).normal(100, 5, 20)              # many distinct means:
    assert S.bootstrap_interval(many, seed=1) != S.bootstrap_interval(many)   # the seed matters


def test_with_three_seeds_the_interval_is_their_range():
    """A resample of three all at the lowest is 1 in 27 (3.7% > 2.5%): the 95% interval is the
    range, as docs/study.md says."""
    for values in ([3.0, 7.0, 4.0], [120.5, 118.0, 131.25]):
        assert S.bootstrap_interval(values) == (min(values), max(values))


def test_the_interval_narrows_with_more_seeds():
    rng = np.random.RandomState(7)
    values = rng.normal(100, 5, 40)
    widths = [np.subtract(*S.bootstrap_interval(values[:k])[::-1]) for k in (3, 10, 40)]
    assert widths[0] > widths[1] > widths[2] > 0
    assert widths[2] < 2 * 1.96 * 5 / np.sqrt(40) * 1.5       # near the normal interval's width


def test_one_seed_gives_a_point_and_says_so():
    assert S.bootstrap_interval([42.5]) == (42.5, 42.5)
    s = S.summarize([42.5])
    assert s['one_seed'] and s['sd'] is None and s['mean'] == 42.5
    s3 = S.summarize([1.0, 2.0, 6.0])
    assert not s3['one_seed'] and s3['sd'] == pytest.approx(np.std([1, 2, 6], ddof=1))


def test_overlapping_intervals_are_tied_and_separated_ones_ranked():
    groups = S.tied_groups({'c': (10.0, 12.0), 'a': (1.0, 3.0), 'b': (2.5, 4.0), 'd': (12.0, 13.0),
                            'e': (20.0, 21.0)})
    assert groups == {'a': 1, 'b': 1, 'c': 2, 'd': 2, 'e': 3}     # touching ends overlap
    # a chain: x and z do not overlap but both overlap y, so all three are one group
    assert set(S.tied_groups({'x': (0, 2), 'y': (1.5, 5), 'z': (4, 6)}).values()) == {1}
    assert S.tied_groups({'p': (5, 6), 'q': (1, 2)}) == {'q': 1, 'p': 2}


# -- a run's score and the table over seeds, on rows -------------------------------------------

FPS = 3.3e11                      # FLOPs per step
BUDGET = 1e15


def _row(recipe, seed, swd_by_tenth, n=1000, tenths=range(1, 11), latent=None):
    """A scored row as run_rows makes it: points at the budget's tenths (their SWD means from
    swd_by_tenth[k])."""
    steps = [int(np.ceil(k * BUDGET / 10 / FPS - 1e-9)) for k in range(1, 11)]
    points = [{'step': steps[k - 1], 'n': n, 'pflop': steps[k - 1] * FPS / 1e15,
               'swd': {'64': 0, '32': 0, '16': 0, 'mean': swd_by_tenth[k]}} for k in tenths]
    row = {'preset': recipe, 'recipe': recipe, 'seed': seed, 'run': '%s-seed%d' % (recipe, seed),
           'plan': {'flops_per_step': FPS, 'steps': steps[-1], 'fraction_steps': steps},
           'points': points}
    if latent is not None:
        row['latent'] = {'step': steps[-1], 'scores': [
            {'latent_seed': k, 'swd': {'mean': v}} for k, v in enumerate(latent)]}
    return row


def _swd(late, early=500.0):
    """SWD means by tenth: `early` before 0.8, then the three given."""
    swd = {k: early for k in range(1, 8)}
    swd.update({8: late[0], 9: late[1], 10: late[2]})
    return swd


def test_a_runs_score_is_the_mean_of_its_three_last_tenths():
    row = _row('r', 1, _swd([100.0, 90.0, 95.0]))
    s = S.run_score(row, BUDGET)
    assert s['steps'] == row['plan']['fraction_steps'][7:10]
    assert s['score'] == pytest.approx(95.0) and s['swd'] == [100.0, 90.0, 95.0]


def test_a_run_without_the_checkpoints_or_faces_is_refused_by_name():
    short = _row('r', 2, _swd([1, 1, 1]), tenths=[1, 2, 3, 4, 5, 6, 7, 8, 10])      # no 0.9
    with pytest.raises(UserError, match=r'r-seed2 lacks .* steps %d missing'
                       % short['plan']['fraction_steps'][8]):
        S.run_score(short, BUDGET)
    few = _row('r', 3, _swd([1, 1, 1]), n=100)
    with pytest.raises(UserError, match='r-seed3: .*100 faces; the protocol needs 1000'):
        S.run_score(few, BUDGET)
    assert S.run_score(few, BUDGET, min_n=100)['score'] == 1
    with pytest.raises(UserError) as e:                       # every bad run named at once
        S.over_seeds([short, few, _row('r', 1, _swd([1, 1, 1]))], BUDGET)
    assert 'r-seed2' in str(e.value) and 'r-seed3' in str(e.value) and 'r-seed1' not in str(e.value)


def test_the_table_over_seeds_ranks_apart_only_what_does_not_overlap():
    rows = [_row('good', 1, _swd([50, 52, 51]), latent=[51, 53, 49, 52, 50]),
            _row('good', 2, _swd([60, 58, 59])), _row('good', 3, _swd([55, 54, 56])),
            _row('close', 1, _swd([57, 57, 57])), _row('close', 2, _swd([70, 71, 72])),
            _row('close', 3, _swd([64, 66, 65])),
            _row('bad', 1, _swd([200, 210, 190])), _row('bad', 2, _swd([220, 220, 220])),
            _row('alone', 1, _swd([10, 10, 10]))]
    table = S.over_seeds(rows[::-1], BUDGET)
    by = {e['recipe']: e for e in table}
    assert [e['recipe'] for e in table] == ['good', 'close', 'bad', 'alone']
    assert by['good']['seeds'] == [1, 2, 3] and [r['score'] for r in by['good']['runs']] == [51, 59, 55]
    assert by['good']['mean'] == pytest.approx(55) and by['good']['interval'] == [51, 59]
    assert by['good']['sd'] == pytest.approx(4)
    assert by['good']['group'] == by['close']['group'] == 1 and by['bad']['group'] == 2
    assert by['alone']['group'] is None and by['alone']['one_seed']   # no interval, no rank
    assert by['good']['latent_sd'] == pytest.approx(np.std([51, 53, 49, 52, 50], ddof=1))
    assert by['close']['latent_sd'] is None
    md = S.markdown_over_seeds(table, BUDGET, 9.5, 1000)
    assert '| `good` | 1, 2, 3 | 51.0 / 59.0 / 55.0 | **55.0** | 4.0 | 51.0 - 59.0 | 1.6 | 1 |' in md
    assert '10.0 (one seed: no interval)' in md and '- (one seed)' in md


# -- on the committed records (real scored rows) ---------------------------------------------------

def _committed():
    rows = []
    for path in sorted(glob.glob(os.path.join(RECORDS, '*' + scoreboard.RECORD_SUFFIX))):
        with open(path) as f:
            rows.append(dict(json.load(f), record=path))
    return rows


def test_the_committed_runs_score_at_their_planned_tenths():
    """docs/results' 1-PFLOP runs: the protocol's steps are the queue's own last three tenths,
    and a run's score is the mean of the SWD of those points; the run stopped short is refused."""
    one = [r for r in _committed()
           if abs(r['plan']['steps'] * r['plan']['flops_per_step'] - 1e15) < r['plan']['flops_per_step']]
    assert len(one) >= 5
    for r in one:
        assert S.protocol_steps(r['plan']['flops_per_step'], 1e15) == r['plan']['fraction_steps'][7:10]
        have = {p['step']: p['swd']['mean'] for p in r['points']}
        if r['points'][-1]['step'] < r['plan']['steps']:
            with pytest.raises(UserError, match=re.escape(os.path.basename(r['record'])) + ' lacks'):
                S.run_score(r, 1e15, min_n=100)
            continue
        want = np.mean([have[s] for s in r['plan']['fraction_steps'][7:10]])
        assert S.run_score(r, 1e15, min_n=100)['score'] == pytest.approx(want)
        with pytest.raises(UserError, match='100 faces'):           # they were scored on 100
            S.run_score(r, 1e15)


def test_old_records_name_their_seed_by_their_run():
    for r in _committed():
        assert S.seed_of(dict(r, seed=None)) == 1 == S.seed_of(r)
    assert S.seed_of({'preset': 'x', 'run': 'x-seed12'}) == 12
    with pytest.raises(UserError):
        S.seed_of({'preset': 'x', 'run': 'x'})


# -- records and rows per (recipe, seed) -----------------------------------------------------------

def _record(folder, preset, seed, step, identity, faces, new=True):
    """A record as save_records writes it; new=False: one made before 'recipe' and 'seed' were kept."""
    stem = os.path.join(folder, '%s-seed%d-step%d' % (preset, seed, step))
    write_png(stem + '.png', scoreboard._faces_grid(faces)[0])
    row = {'preset': preset, 'run': '%s-seed%d' % (preset, seed), 'points': [{'step': step}],
           'real': identity, 'faces': {'file': os.path.basename(stem) + '.png', 'n': len(faces),
                                       'cols': int(np.ceil(np.sqrt(len(faces)))), 'seed': 0}}
    if new:
        row.update(recipe=preset, seed=seed)
    with open(stem + scoreboard.RECORD_SUFFIX, 'w') as f:
        json.dump(row, f)


def test_records_and_rows_are_kept_per_recipe_and_seed(tmp_path):
    real = scoreboard.RealSet(DEMO, 8, real_n=40)
    faces = np.random.RandomState(0).randint(0, 256, (100, 64, 64, 3)).astype(np.uint8)
    folder = str(tmp_path)
    _record(folder, 'ganime', 1, 300, real.identity(), faces, new=False)       # an old record
    _record(folder, 'ganime', 2, 100, real.identity(), faces[:9])
    _record(folder, 'ganime', 2, 200, real.identity(), faces[::-1])
    rows = scoreboard.load_records(folder, real)
    assert [(r['preset'], r['seed'], r['points'][-1]['step']) for r in rows] == [
        ('ganime', 1, 300), ('ganime', 2, 200)]
    assert np.array_equal(scoreboard.record_faces(rows[0]), faces)            # all 100 faces
    assert np.array_equal(scoreboard.record_faces(rows[1]), faces[::-1])
    queue_rows = [{'preset': 'ganime', 'seed': 2, 'run': 'ganime-seed2', 'points': [{'step': 250}]},
                  {'preset': 'ganime', 'seed': 3, 'run': 'ganime-seed3', 'points': [{'step': 50}]}]
    merged = scoreboard.merge_rows(queue_rows, rows)
    assert [(r['seed'], r['points'][-1]['step'], 'record' in r) for r in merged] == [
        (2, 250, False), (3, 50, False), (1, 300, True)]
    assert [r['seed'] for r in scoreboard.first_seeds(merged)] == [1]


def test_the_band_of_several_seeds_spans_them_on_a_common_grid():
    a = {'points': [{'pflop': x, 'swd': {'mean': y}} for x, y in ((0.1, 300), (0.5, 100), (1.0, 80))]}
    b = {'points': [{'pflop': x, 'swd': {'mean': y}} for x, y in ((0.2, 200), (0.6, 120), (1.1, 60))]}
    grid, low, mean, high = scoreboard.seed_band([a, b], points=11)
    assert grid[0] == 0.2 and grid[-1] == 1.0                 # where both have been
    assert np.all(low <= mean) and np.all(mean <= high)
    assert mean[-1] == pytest.approx((80 + np.interp(1.0, [0.6, 1.1], [120, 60])) / 2)
    assert scoreboard.seed_band([a, {'points': [{'pflop': 2, 'swd': {'mean': 1}}]}]) is None


# -- through the real scorer: two seeds of a tiny recipe ------------------------------------------

TINY = ['--arch', 'tiny', '--init', 'keras', '--batch-size', '8', '--sample-interval', '50',
        '--checkpoint-interval', '50', '--no-tensorboard']
PFLOP_TINY = 1e-5                  # a tiny dcgan-yernat step is ~0.8 GFLOP: about 13 steps


@pytest.mark.slow
def test_two_seeds_of_a_tiny_run_make_the_table_over_seeds(tmp_path):
    """Two queues of one tiny recipe (seeds 1 and 2) trained to the budget with a checkpoint at
    every tenth, scored through the real scorer: the first kept as a record with 100 faces, the
    second scored with it at the budget. Each run's protocol score is the mean of its points at
    the plan's last three tenths, the first seed's last checkpoint gets 5 latent-seed scores, and
    the table over seeds is written."""
    from gan.study.queue import PFLOP
    env = dict(os.environ, PYTHONPATH=ROOT)
    queues = {}
    for seed in (1, 2):
        out = str(tmp_path / ('q%d' % seed))
        r = subprocess.run([sys.executable, os.path.join(ROOT, 'study.py'), 'run', '--presets',
                            'dcgan-yernat', '--data', DEMO, '--out', out, '--pflop', str(PFLOP_TINY),
                            '--seeds', str(seed)] + TINY, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, universal_newlines=True, timeout=3000)
        assert r.returncode == 0, r.stdout + r.stderr
        with open(os.path.join(out, 'queue.json')) as f:
            queues[seed] = (out, json.load(f)['runs']['dcgan-yernat-seed%d' % seed]['plan'])
    records = str(tmp_path / 'records')
    small = dict(n=8, real_n=40, faces=4, published=False, records=records, protocol_n=8,
                 log=lambda m: None)
    budget = PFLOP_TINY * PFLOP
    with pytest.raises(UserError, match='scores 9 faces per checkpoint at least; got --n 8'):
        scoreboard.score(queues[1][0], DEMO, str(tmp_path / 'nope'), budget=budget,
                         **dict(small, protocol_n=9))
    # seed 1 alone: its record keeps 100 faces and the latent-seed scores of its last checkpoint
    first = scoreboard.score(queues[1][0], DEMO, str(tmp_path / 's1'), budget=budget, **small)
    (row1,) = first['runs']
    assert scoreboard.record_faces(row1).shape == (100, 64, 64, 3)
    latent = row1['latent']
    assert [s['latent_seed'] for s in latent['scores']] == [0, 1, 2, 3, 4]
    assert latent['step'] == queues[1][1]['steps']
    assert latent['scores'][0]['swd'] == row1['points'][-1]['swd']          # seed 0 is the point
    assert len({s['swd']['mean'] for s in latent['scores']}) == 5           # other faces, other SWD
    with open(row1['record']) as f:
        assert json.load(f)['latent'] == latent
    (solo,) = first['over_seeds']['recipes']
    assert solo['one_seed'] and solo['group'] is None
    # a budget the runs did not reach: refused, naming the queue's run and the record
    with pytest.raises(UserError) as e:
        scoreboard.score(queues[2][0], DEMO, str(tmp_path / 'nope'), budget=2 * budget, **small)
    assert 'dcgan-yernat-seed2 lacks' in str(e.value) and 'seed1-step' in str(e.value)
    # seed 2 from its queue, seed 1 from its record
    result = scoreboard.score(queues[2][0], DEMO, str(tmp_path / 's2'), budget=budget, **small)
    assert sorted((r['seed'], 'record' in r) for r in result['runs']) == [(1, True), (2, True)]
    (entry,) = result['over_seeds']['recipes']
    assert entry['seeds'] == [1, 2]
    for run, (seed, (_, plan)) in zip(entry['runs'], sorted(queues.items())):
        row = [r for r in result['runs'] if r['seed'] == seed][0]
        at = {p['step']: p['swd']['mean'] for p in row['points']}
        assert run['steps'] == plan['fraction_steps'][7:10]
        assert run['score'] == pytest.approx(np.mean([at[s] for s in plan['fraction_steps'][7:10]]))
    assert entry['mean'] == pytest.approx(np.mean([r['score'] for r in entry['runs']]))
    assert entry['interval'] == sorted(r['score'] for r in entry['runs'])   # two seeds: their range
    assert entry['latent_sd'] == pytest.approx(
        np.std([s['swd']['mean'] for s in latent['scores']], ddof=1)) and entry['latent_sd'] > 0
    table = open(str(tmp_path / 's2' / 'table.md')).read()
    assert '| `dcgan-yernat --arch tiny --batch-size 8` | 1, 2 |' in table
    assert '`dcgan-yernat --arch tiny --batch-size 8` seed 2' in table       # the one-seed table
    # the same table from the records alone
    alone = scoreboard.score(None, DEMO, str(tmp_path / 's3'), budget=budget, **small)
    assert alone['over_seeds'] == result['over_seeds']
