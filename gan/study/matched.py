"""Runs beside their authors' grids at matched lengths: for each published epoch a run passed,
its checkpoint nearest to that epoch's real-image count, scored as we draw and, where the authors
drew otherwise (AnimeFacesWithGAN: BatchNorm on the 64 grid latents' own statistics), as they drew."""
import os

from .. import io
from ..eval import references
from ..eval.sets import bn_label, generate_from_checkpoint
from .queue import SIBLING_EPOCH_IMAGES

# A checkpoint stands for a published epoch when D has seen within this share of its real images.
MATCH_TOLERANCE = 0.05


def published_epochs(preset):
    """{epoch: Reference} of the catalogue's grids of the run `preset` follows (numbered ones)."""
    out = {}
    for r in references.catalogue():
        tail = r.name.split(':')[1]
        if r.preset == preset and preset.startswith('animefaceswithgan') and tail.isdigit():
            out[int(tail)] = r
    return out


def matched_points(row):
    """[(epoch, point, Reference)]: per published epoch of the row's preset, the row's scored point
    whose real-image count is nearest to it, when within MATCH_TOLERANCE; in epoch order."""
    out = []
    for epoch, ref in sorted(published_epochs(row['preset']).items()):
        want = epoch * SIBLING_EPOCH_IMAGES
        near = [p for p in row['points'] if abs(p['images'] - want) <= MATCH_TOLERANCE * want]
        if near:
            out.append((epoch, min(near, key=lambda p: abs(p['images'] - want)), ref))
    return out


def add_authors_scores(folder, rows, real, score_set, cache, save_cache, log=print):
    """Give each queue row (its run folder at hand) `matched`: per matched epoch the step, the
    published grid's name and, where its authors drew with batch statistics, our checkpoint scored
    drawn their way (`authors`: score_set's dict with `bn_batch`), cached in `cache` under the real
    set's key. Rows from records keep the `matched` they were recorded with."""
    for r in rows:
        if 'record' in r or folder is None:
            continue
        run_dir = os.path.join(folder, r['run'])
        kept = set(io.checkpoint_steps(os.path.join(run_dir, 'weight')))
        matched = []
        for epoch, point, ref in matched_points(r):
            entry = {'epoch': epoch, 'step': point['step'], 'published': ref.name}
            if ref.bn_batch and point['step'] in kept:
                key = '%s|%s|%d|bn%d' % (real.key(), r['run'], point['step'], ref.bn_batch)
                if key not in cache:
                    log('scoring %s step %d with %s' % (r['run'], point['step'],
                                                        bn_label(ref.bn_batch)))
                    images, _ = generate_from_checkpoint(run_dir, n=real.n, seed=real.seed,
                                                         step=point['step'], bn_batch=ref.bn_batch)
                    cache[key] = dict(score_set(images, real.rest, real.seed), bn_batch=ref.bn_batch)
                    save_cache()
                entry['authors'] = cache[key]
            matched.append(entry)
        r['matched'] = matched
    return rows


def _mean(s):
    return '-' if s is None else '%.1f' % s['swd']['mean']


def markdown_table(rows, published, real):
    """Markdown: every run beside its authors' grid at each matched epoch, with the floors at both
    set sizes; '' when no row has a matched epoch."""
    scored = {p['name']: p for p in published}
    lines = []
    for r in rows:
        points = {p['step']: p for p in r['points']}
        recorded = {m['epoch']: m for m in r.get('matched', [])}
        for epoch, point, ref in matched_points(r):
            pub = scored.get(ref.name)
            m = recorded.get(epoch, {})
            authors = m.get('authors') if m.get('step') == point['step'] else None
            lines.append('| `%s` | %d | %d (%s real images) | %s | %s | %s | %s |' % (
                r.get('recipe', r['preset']), epoch, point['step'], '{:,}'.format(point['images']),
                _mean(points[point['step']]), _mean(authors), _mean(pub),
                '-' if pub is None else '%.1f' % real.floor(pub['n'])['swd']['mean']))
    if not lines:
        return ''
    return '\n'.join([
        'Matched lengths: each run at the checkpoint nearest to each published epoch of its '
        'authors\' run (within %d%% of its real images; an epoch is %s images), SWD mean x1e3. '
        '"ours" is drawn in inference mode (%d faces, floor %.1f); "as the authors drew" is the '
        'same checkpoint with G\'s BatchNorm on each batch of 64 latents\' own statistics, as their '
        'grids were drawn (- : no checkpoint at hand); the published grid has 64 tiles, its floor '
        'is at 64.' % (100 * MATCH_TOLERANCE, '{:,}'.format(SIBLING_EPOCH_IMAGES), real.n,
                       real.floor(real.n)['swd']['mean']), '',
        '| recipe | epoch | step | ours | as the authors drew | published | floor at 64 |',
        '| --- | --- | --- | --- | --- | --- | --- |'] + lines) + '\n'
