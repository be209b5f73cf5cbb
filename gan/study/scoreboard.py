"""The equal-compute table: a queue's runs and the siblings' published grids scored against one
real set, SWD against compute, and each recipe's faces at the budget beside its authors'."""
import glob
import json
import os

import numpy as np

from .. import io
from ..config import PRESET_NOTES, UserError, resolve
from ..eval import metrics as M
from ..eval import references
from ..eval.pictures import side_by_side, write_png
from ..eval.scores import diversity, nn_dict, pixels_sha256, split_real, swd_dict
from ..eval.sets import generate_from_checkpoint, load_real
from ..grids import make_grid
from . import matched
from .queue import (PFLOP, QUEUE_FILE, SIBLING_EPOCH_IMAGES, images_seen, recipe_name,
                    recipe_slug, upgrade)
from .seeds import (LATENT_SEEDS, PROTOCOL_N, markdown_over_seeds, over_seeds, protocol_steps,
                    recipe, seed_of)

SCORES_CACHE = 'scores-cache.json'    # per checkpoint, in the queue folder: rescoring is incremental
AUTHORS_FACES = 25                    # faces a record keeps drawn as the authors drew (a panel's)
RECORD_SUFFIX = '.record.json'        # a run's row and faces kept apart from its queue (see save_records)


def score_set(images, real, seed=0):
    """SWD x1e3 per level and mean, MS-SSIM diversity, nearest-real distances of uint8 `images`
    against the real set `real`."""
    return {'n': int(len(images)), 'swd': swd_dict(M.swd(images, real, seed=seed)),
            'ms_ssim': diversity(images), 'nn': nn_dict(M.nearest_neighbours(images, real))}


class RealSet(object):
    """The real faces every row is measured against: `real_n` of a folder drawn with `seed`, and
    `hold` more held out for the floors (real vs real at each set size up to `hold`)."""

    def __init__(self, folder, n, real_n=1000, seed=0, hold=100):
        self.folder, self.n, self.real_n, self.seed = folder, n, real_n, seed
        hold = max(n, hold)
        pool = load_real(folder, real_n + hold, seed)
        if len(pool) < real_n + hold:
            raise UserError('--real %s has %d images; the table needs %d (%d real, %d held out)'
                            % (folder, len(pool), real_n + hold, real_n, hold))
        self.held, self.rest = split_real(pool, hold, seed)
        self._floors, self._digest = {}, None

    def key(self):
        return '%s|%d|%d|%d' % (os.path.abspath(self.folder), self.n, self.real_n, self.seed)

    def identity(self):
        """What a record's scores depend on, independent of where the folder lies: set sizes,
        seed and a digest of the decoded pixels."""
        if self._digest is None:
            self._digest = pixels_sha256(self.rest, self.held)
        return {'data': os.path.basename(os.path.normpath(self.folder)), 'n': self.n,
                'real_n': self.real_n, 'seed': self.seed, 'pixels_sha256': self._digest}

    def floor(self, k):
        """Real vs real at set size k: the first k held-out faces against the real set."""
        if k > len(self.held):
            raise ValueError('no floor for %d images: %d are held out' % (k, len(self.held)))
        if k not in self._floors:
            self._floors[k] = score_set(self.held[:k], self.rest, self.seed)
        return self._floors[k]


def _read_queue(folder):
    path = os.path.join(folder, QUEUE_FILE)
    if not os.path.exists(path):
        raise UserError('%s has no %s: give the --out folder of `study.py run`' % (folder, QUEUE_FILE))
    with open(path) as f:
        return json.load(f)


def spent_flops(run_dir, flops, step):
    """Training FLOPs of a run's first `step` steps: the step's count, plus the extra G steps
    (GANime's) that history.csv records as g_steps above 1."""
    total = step * flops['total']
    extra = flops.get('extra_g_step')
    path = os.path.join(run_dir, 'history.csv')
    if extra and os.path.exists(path):
        previous = 0
        for row in io.read_history(path):
            if row['step'] > step:
                break
            if 'g_steps' in row:
                total += extra * (row['g_steps'] - 1.0) * (row['step'] - previous)
            previous = row['step']
    return total


def run_rows(folder, real, log=print):
    """Per queue run: its plan, cost and record, and the scores of every kept checkpoint (cached
    in the queue folder per real set)."""
    doc = upgrade(_read_queue(folder))      # runs keyed by name, each with its preset and seed
    cache_path = os.path.join(folder, SCORES_CACHE)
    cache = {}
    if os.path.exists(cache_path):
        with open(cache_path) as f:
            cache = json.load(f)
    rows = []
    for entry in doc['runs'].values():
        preset = entry['preset']
        run_dir = os.path.join(folder, entry['run'])
        if not os.path.isdir(os.path.join(run_dir, 'weight')):
            continue
        plan = entry['plan']
        cfg = resolve(preset, **entry.get('changes', {}))
        kept = set(io.checkpoint_steps(os.path.join(run_dir, 'weight')))
        wanted = sorted(kept & (set(plan['fraction_steps']) | {s for _, s in plan['image_steps']}))
        points = []
        for step in wanted:
            key = '%s|%s|%d' % (real.key(), entry['run'], step)
            if key not in cache:
                log('scoring %s step %d' % (entry['run'], step))
                images, _ = generate_from_checkpoint(run_dir, n=real.n, seed=real.seed, step=step)
                cache[key] = score_set(images, real.rest, real.seed)
                io.write_json(cache_path, cache)
            points.append(dict(cache[key], step=step,
                               pflop=spent_flops(run_dir, entry['flops'], step) / PFLOP,
                               images=images_seen(cfg, doc['images'], step)))
        segments = entry.get('segments', [])
        rows.append({
            'preset': preset, 'recipe': recipe_name(preset, entry.get('changes')),
            'slug': recipe_slug(preset, entry.get('changes')), 'seed': entry['seed'],
            'project': PRESET_NOTES.get(preset, ('?', ''))[0],
            'run': entry['run'], 'state': entry.get('state'), 'error': entry.get('error'),
            'plan': plan, 'flops_per_step': plan['flops_per_step'],
            'last_step': io.latest_step(run_dir), 'points': points,
            'cpu_hours': sum(s.get('cpu_seconds') or 0 for s in segments) / 3600.0,
            'wall_hours': sum(s.get('wall_seconds') or 0 for s in segments) / 3600.0,
            'builds': sorted({s['build'] for s in segments if s.get('build')}),
            'started_from': min((s['from_step'] or 0 for s in segments), default=0),
        })
    return doc, rows


def _read_cache(folder):
    path = os.path.join(folder, SCORES_CACHE)
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        return json.load(f)


def add_latent_scores(folder, row, real, step, seeds=LATENT_SEEDS, log=print):
    """Score a queue row's checkpoint `step` with latents from `seeds` seeds (real.seed, +1, ...;
    the first is the row's own point) into row['latent'] = {'step', 'scores'}; cached with the
    other scores."""
    own = [p for p in row['points'] if p['step'] == step]
    if not own:
        raise UserError('%s has no scored checkpoint at step %d' % (row['run'], step))
    cache = _read_cache(folder)
    scores = [dict({k: own[0][k] for k in ('n', 'swd', 'ms_ssim', 'nn')}, step=step,
                   latent_seed=real.seed)]
    for k in range(real.seed + 1, real.seed + seeds):
        key = '%s|%s|%d|latent%d' % (real.key(), row['run'], step, k)
        if key not in cache:
            log('scoring %s step %d with latent seed %d' % (row['run'], step, k))
            images, _ = generate_from_checkpoint(os.path.join(folder, row['run']), n=real.n,
                                                 seed=k, step=step)
            cache[key] = score_set(images, real.rest, real.seed)
            io.write_json(os.path.join(folder, SCORES_CACHE), cache)
        scores.append(dict(cache[key], step=step, latent_seed=k))
    row['latent'] = {'step': step, 'scores': scores}
    return row


def _faces_grid(images):
    side = int(np.ceil(np.sqrt(len(images))))
    return make_grid(images, side, side, margin=0, gap=0), side


def save_records(folder, rows, real, records_dir, faces=100, seed=0, log=print):
    """Keep each queue run's row (plan, cost, scored points) and its faces at the last scored
    checkpoint as `<recipe slug>-seed<s>-step<k>.record.json` and `.png` in `records_dir`, small
    enough to commit: a later scoring reads them when the run folder itself is gone. A queue run
    short of its planned steps is not recorded yet; existing records are kept. Returns `rows`,
    each one recorded now marked with its record."""
    os.makedirs(records_dir, exist_ok=True)
    out = []
    for r in rows:
        if not r['points']:
            out.append(r)
            continue
        planned = (r.get('plan') or {}).get('steps')
        if planned and (r.get('last_step') or 0) < planned:     # a run still on its way
            log('not recorded: %s is at step %s of %d (recorded once it has its budget)'
                % (r['run'], r.get('last_step'), planned))
            out.append(r)
            continue
        stem = os.path.join(records_dir, '%s-seed%d-step%d' % (r['slug'], r['seed'],
                                                               r['points'][-1]['step']))
        if os.path.exists(stem + RECORD_SUFFIX):
            log('kept %s (a record of that step exists)' % (stem + RECORD_SUFFIX))
            out.append(r)
            continue
        run_dir, step = os.path.join(folder, r['run']), r['points'][-1]['step']
        images, _ = generate_from_checkpoint(run_dir, n=faces, seed=seed, step=step)
        grid, side = _faces_grid(images)
        write_png(stem + '.png', grid)
        kept = dict(r, real=real.identity(), faces={
            'file': os.path.basename(stem) + '.png', 'n': len(images), 'cols': side, 'seed': seed})
        ref = matched_reference(r['preset'], r['points'][-1]['images'])
        if ref is not None and ref.bn_batch:        # the same latents, drawn as its authors drew
            drawn, _ = generate_from_checkpoint(run_dir, n=min(faces, AUTHORS_FACES), seed=seed,
                                                step=step, bn_batch=ref.bn_batch)
            grid, side = _faces_grid(drawn)
            write_png(stem + '.authors.png', grid)
            kept['faces_authors'] = {'file': os.path.basename(stem) + '.authors.png',
                                     'n': len(drawn), 'cols': side, 'seed': seed,
                                     'bn_batch': ref.bn_batch}
        io.write_json(stem + RECORD_SUFFIX, kept)
        out.append(dict(kept, record=stem + RECORD_SUFFIX))
        log('wrote %s' % (stem + RECORD_SUFFIX))
    return out


def load_records(records_dir, real, log=print):
    """The records in `records_dir` made against this real set: per recipe and training seed
    the one with the most steps, each row marked with its file and seed. Records of another real
    set are skipped, and said."""
    if not os.path.isdir(records_dir):
        raise UserError('--records %s is not a folder' % records_dir)
    best, want = {}, real.identity()
    for path in sorted(glob.glob(os.path.join(records_dir, '*' + RECORD_SUFFIX))):
        try:
            with open(path) as f:
                r = json.load(f)
            last = r['points'][-1]['step']
        except (ValueError, KeyError, IndexError, TypeError) as e:
            raise UserError('%s is not a record (%s); remove it or make it again with '
                            '`study.py score --records`' % (path, e))
        if r.get('real') != want:
            log('skipped %s: scored against another real set (%s)' % (path, r.get('real')))
            continue
        r = dict(r, record=path)
        key = (recipe(r), seed_of(r))
        if key not in best or last > best[key]['points'][-1]['step']:
            best[key] = dict(r, seed=key[1])
    return [best[k] for k in sorted(best)]


def record_faces(row, which='faces'):
    """The faces a record keeps, (N, 64, 64, 3) uint8, cut from its gapless PNG: `which` is
    'faces' (drawn in inference mode) or 'faces_authors' (drawn as the authors drew)."""
    import cv2
    faces = row[which]
    path = os.path.join(os.path.dirname(row['record']), faces['file'])
    bgr = cv2.imread(path, cv2.IMREAD_COLOR)
    if bgr is None:
        raise UserError('cannot read %s (the faces of %s)' % (path, row['record']))
    side = bgr.shape[1] // faces['cols']
    tiles = bgr[..., ::-1].reshape(-1, side, faces['cols'], side, 3).swapaxes(1, 2)
    return np.ascontiguousarray(tiles.reshape(-1, side, side, 3)[:faces['n']])


def _key(row):
    return recipe(row), seed_of(row)


def merge_rows(queue_rows, record_rows):
    """One row per recipe and training seed: the queue's, unless a record has scored more steps."""
    rows = {_key(r): r for r in queue_rows}
    for r in record_rows:
        mine = rows.get(_key(r))
        if mine is None or not mine['points'] or r['points'][-1]['step'] > mine['points'][-1]['step']:
            rows[_key(r)] = r
    order = [_key(r) for r in queue_rows]
    order += sorted(set(rows) - set(order))
    return [rows[k] for k in order]


def first_seeds(rows):
    """Each recipe's row of its lowest training seed, in the order of `rows`."""
    first = {}
    for r in rows:
        if recipe(r) not in first or seed_of(r) < seed_of(first[recipe(r)]):
            first[recipe(r)] = r
    return [r for r in rows if first[recipe(r)] is r]


def published_rows(real, names=None, log=print):
    """The siblings' (and the original's) published grids: tiles cut from each figure, scored
    against the same real set, with the training length each shows."""
    rows = []
    for ref in references.catalogue():
        if names is not None and ref.name not in names:
            continue
        try:
            tiles = references.tiles(ref.name)
        except UserError as e:
            log('skipped %s: %s' % (ref.name, e))
            continue
        rows.append(dict(score_set(tiles, real.rest, real.seed), name=ref.name, preset=ref.preset,
                         project=ref.repository, published=ref.published, data=ref.data))
    return rows


def _fmt_swd(s):
    return '%.1f / %.1f / %.1f | **%.1f**' % (s['64'], s['32'], s['16'], s['mean'])


def markdown_tables(rows, published, real):
    """The two tables as Markdown: the runs at their last scored checkpoint, then the published
    grids, each with its real-vs-real floor at the same set size."""
    out = ['Real set: %d faces of %s (seed %d); generated sets: %d faces (latents from seed %d). '
           'SWD x1e3 at 64 / 32 / 16 px | mean (lower = closer to real); MS-SSIM diversity '
           '(lower = more diverse); nearest-real median RMS distance on [0, 1] pixels.'
           % (real.real_n, os.path.basename(os.path.normpath(real.folder)), real.seed, real.n,
              real.seed), '']
    f = real.floor(real.n)
    out += ['| recipe | project | TFLOP/step | steps | PFLOP | real images | CPU-hours (build) | SWD 64/32/16 mean | MS-SSIM | nearest real | near-copies |',
            '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
            '| real vs real (floor) | | | | | | | %s | %.3f | %.3f | %d |'
            % (_fmt_swd(f['swd']), f['ms_ssim'], f['nn']['median'], f['nn']['near_copies'])]
    several = _several_seeds(rows)
    for r in rows:
        if not r['points']:
            continue
        p = r['points'][-1]
        status = '' if p['step'] >= r['plan']['steps'] else ' (of %d)' % r['plan']['steps']
        name = '`%s`' % recipe(r) + (' seed %d' % seed_of(r) if recipe(r) in several else '')
        out.append('| %s | %s | %.3f | %d%s | %.2f | %s | %.1f (%s) | %s | %.3f | %.3f | %d |' % (
            name, r['project'], r['flops_per_step'] / 1e12, p['step'], status, p['pflop'],
            '{:,}'.format(p['images']), r['cpu_hours'],
            ', '.join(r['builds']) or '?', _fmt_swd(p['swd']), p['ms_ssim'], p['nn']['median'],
            p['nn']['near_copies']))
    if published:
        out += ['', '| published grid | project | shows | tiles | SWD 64/32/16 mean | floor at that size (mean) | MS-SSIM | nearest real |',
                '| --- | --- | --- | --- | --- | --- | --- | --- |']
        for r in published:
            fl = real.floor(r['n'])
            out.append('| `%s` | %s | %s | %d | %s | %.1f | %s | %.3f |' % (
                r['name'], r['project'], r['published'], r['n'], _fmt_swd(r['swd']),
                fl['swd']['mean'], '-' if r['ms_ssim'] is None else '%.3f' % r['ms_ssim'],
                r['nn']['median']))
    return '\n'.join(out) + '\n'


def _several_seeds(rows):
    """The recipes with scored rows of more than one training seed."""
    seen = {}
    for r in rows:
        if r['points']:
            seen.setdefault(recipe(r), set()).add(seed_of(r))
    return {k for k, v in seen.items() if len(v) > 1}


def seed_band(rows, points=50):
    """(pflop grid, min, mean, max) of the SWD means of several runs, each interpolated linearly
    on a common grid over the PFLOP range they all reached; None when they share none."""
    curves = [([p['pflop'] for p in r['points']], [p['swd']['mean'] for p in r['points']])
              for r in rows if r['points']]
    if not curves:
        return None
    low, high = max(c[0][0] for c in curves), min(c[0][-1] for c in curves)
    if low >= high:
        return None
    grid = np.linspace(low, high, points)
    ys = np.array([np.interp(grid, x, y) for x, y in curves])
    return grid, ys.min(axis=0), ys.mean(axis=0), ys.max(axis=0)


def plot_compute(rows, floor, path):
    """SWD mean against the FLOPs spent, every recipe on one axes, with the real-vs-real floor;
    a recipe with several training seeds as a band (their min to max on a common PFLOP grid) and
    their mean as a line."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    import matplotlib.ticker
    fig, ax = plt.subplots(figsize=(8, 5))
    several = _several_seeds(rows)
    try:
        for r in rows:
            if r['points'] and recipe(r) not in several:
                ax.plot([p['pflop'] for p in r['points']], [p['swd']['mean'] for p in r['points']],
                        marker='o', markersize=3, label=recipe(r))
        for name in sorted(several):
            mine = [r for r in rows if recipe(r) == name and r['points']]
            band = seed_band(mine)
            if band is None:
                continue
            line, = ax.plot(band[0], band[2], label='%s (mean of %d seeds)' % (name, len(mine)))
            ax.fill_between(band[0], band[1], band[3], color=line.get_color(), alpha=0.25,
                            linewidth=0)
        ax.axhline(floor, color='grey', linestyle='--', label='real vs real floor')
        ax.set_xlabel('training compute (PFLOP)')
        ax.set_ylabel('SWD x1e3 vs real faces (mean of 3 levels)')
        ax.set_yscale('log')
        ax.yaxis.set_major_formatter(matplotlib.ticker.ScalarFormatter())
        ax.yaxis.set_minor_formatter(matplotlib.ticker.ScalarFormatter())
        ax.grid(alpha=0.3, which='both')
        ax.legend(fontsize=8)
        fig.tight_layout()
        io.atomic_write(path, lambda tmp: fig.savefig(tmp, format='png', dpi=100))
    finally:
        plt.close(fig)


def matched_reference(preset, step_images):
    """The published grid to show beside a run: that project's, at the largest published length
    not beyond what the run's D has seen (else its first), or None."""
    refs = [r for r in references.catalogue() if r.preset == preset]
    if not refs:
        return None
    epochs = matched.published_epochs(preset)
    if epochs:
        inside = [e for e in epochs if e * SIBLING_EPOCH_IMAGES <= step_images]
        return epochs[max(inside or [min(epochs)])]
    return refs[-1]


def picture(folder, rows, path, faces=25, seed=0, log=print):
    """One row per recipe: its faces at the last scored checkpoint beside its authors' published
    grid (tiles cut from it) when there is one. JPEG."""
    import cv2
    strips = []
    for r in rows:
        if not r['points']:
            continue
        step = r['points'][-1]['step']
        if 'record' in r:
            ours = record_faces(r)[:faces]
        else:
            ours, _ = generate_from_checkpoint(os.path.join(folder, r['run']), n=faces, seed=seed,
                                               step=step)
        panels = [('%s, step %d (%.2f PFLOP)' % (recipe(r), step, r['points'][-1]['pflop']), ours)]
        ref = matched_reference(r['preset'], r['points'][-1]['images'])
        if ref is not None and ref.bn_batch:        # ours again, drawn as the authors drew theirs
            drawn = None
            if 'record' not in r:
                drawn, _ = generate_from_checkpoint(os.path.join(folder, r['run']), n=faces,
                                                    seed=seed, step=step, bn_batch=ref.bn_batch)
            elif 'faces_authors' in r:
                drawn = record_faces(r, 'faces_authors')[:faces]
            if drawn is not None:
                panels.append(('the same, BatchNorm on batches of %d (as its authors drew)'
                               % ref.bn_batch, drawn))
        if ref is not None:
            try:
                panels.append(('%s (published, %s)' % (ref.name, ref.published),
                               references.tiles(ref.name)[:faces]))
            except UserError as e:
                log('no published panel for %s: %s' % (r['preset'], e))
        if len(panels) == 1:
            panels.append(('(nothing published to show)', np.full((1, 64, 64, 3), 255, np.uint8)))
        strips.append(side_by_side(panels, side=int(np.ceil(np.sqrt(faces)))))
    if not strips:
        raise UserError('no scored checkpoint to draw')
    width = max(s.shape[1] for s in strips)
    rgb = np.concatenate([np.pad(s, ((0, 8), (0, width - s.shape[1]), (0, 0)), constant_values=255)
                          for s in strips], axis=0)
    ok, buf = cv2.imencode('.jpg', np.ascontiguousarray(rgb[..., ::-1]), [cv2.IMWRITE_JPEG_QUALITY, 85])
    io.atomic_write_bytes(path, buf.tobytes())


def _add_matched(folder, rows, real, log=print):
    """The queue rows' checkpoints at their authors' published epochs, scored as the authors
    drew (gan.study.matched), cached beside the other scores."""
    path, cache = os.path.join(folder, SCORES_CACHE), _read_cache(folder)
    matched.add_authors_scores(folder, rows, real, score_set, cache,
                               lambda: io.write_json(path, cache), log=log)


def score(folder, real_folder, out, n=PROTOCOL_N, real_n=1000, seed=0, faces=25, published=True,
          records=None, keep_faces=100, budget=None, protocol_n=PROTOCOL_N, log=print):
    """Score a queue (`folder`, or None) and the records in `records` (a folder, or None; the
    queue's runs are recorded there too, with `keep_faces` faces each): scores.json, table.md,
    swd_vs_compute.png and at_budget.jpg under `out` (a new folder: nothing is overwritten).
    With `budget` (FLOPs), also the table over training seeds at that budget (gan.study.seeds),
    which needs every run's checkpoints at 0.8, 0.9 and 1.0 of it scored on `protocol_n` faces."""
    if folder is None and records is None:
        raise UserError('give a queue folder, --records, or both')
    if os.path.exists(out):
        raise UserError('%s exists; choose a new --out (nothing is overwritten)' % out)
    if budget is not None and n < protocol_n:
        raise UserError('the table over seeds scores %d faces per checkpoint at least; got --n %d'
                        % (protocol_n, n))
    real = RealSet(real_folder, n, real_n, seed)
    doc, rows = run_rows(folder, real, log) if folder is not None else (None, [])
    kept = []
    if records is not None and os.path.exists(records):
        kept = load_records(records, real, log)
    if budget is not None:
        over_seeds(merge_rows(rows, kept), budget, protocol_n)      # refuses before the work
        for r in first_seeds(merge_rows(rows, kept)):
            if 'record' not in r:                                  # a queue row: its checkpoint
                add_latent_scores(folder, r, real, protocol_steps(r['plan']['flops_per_step'],
                                                                  budget)[-1], log=log)
    if folder is not None:
        _add_matched(folder, rows, real, log)
    if records is not None:
        rows = save_records(folder, rows, real, records, faces=keep_faces, seed=seed, log=log)
        rows = merge_rows(rows, kept)
    pub = published_rows(real, log=log) if published else []
    os.makedirs(out)
    floor = real.floor(n)
    table = markdown_tables(rows, pub, real)        # computes the floor at every set size
    beside = matched.markdown_table(rows, pub, real)
    if beside:
        table += '\n' + beside
    result = {'queue': doc, 'runs': rows, 'published': pub, 'floor': floor,
              'floors': {str(k): real.floor(k) for k in sorted({n} | {r['n'] for r in pub})},
              'real': {'folder': real_folder, 'real_n': real_n, 'n': n, 'seed': seed}}
    if budget is not None:
        result['over_seeds'] = {'budget_pflop': budget / PFLOP, 'min_n': protocol_n,
                                'recipes': over_seeds(rows, budget, protocol_n)}
        table = markdown_over_seeds(result['over_seeds']['recipes'], budget,
                                    floor['swd']['mean'], n) + '\n' + table
    io.write_json(os.path.join(out, 'scores.json'), result)
    io.atomic_write_bytes(os.path.join(out, 'table.md'), table.encode('utf-8'))
    plot_compute(rows, floor['swd']['mean'], os.path.join(out, 'swd_vs_compute.png'))
    picture(folder, first_seeds(rows), os.path.join(out, 'at_budget.jpg'), faces=faces, seed=seed,
            log=log)
    log(table)
    log('wrote %s: scores.json, table.md, swd_vs_compute.png, at_budget.jpg' % out)
    return result
