"""The numbers of a comparison of image sets in memory: the real pool split into the real set
and its held-out images (and the real set's identity), SWD, MS-SSIM diversity and nearest-real
distances as JSON-ready dicts, the comparison table and that table as text."""
import hashlib

import numpy as np

from ..config import UserError
from . import metrics as M

SET_NAMES = {'ours': 'ours', 'reference': 'reference', 'real': 'real',
             'real_holdout': 'real (held out)', 'real_subset': 'real (subset)'}


def split_real(real, n, seed=0):
    """(held_out, rest): `n` images held out of the real pool for the floor, with the permutation
    gan.eval.metrics.swd_floor uses, so swd_floor(real, seed, n) == swd(held_out, rest, seed)."""
    order = np.random.RandomState(seed).permutation(len(real))
    return real[order[:n]], real[order[n:]]


def pixels_sha256(*image_sets):
    """Hex SHA-256 of the sets' pixel bytes, in the order given: the identity of a real set
    (its scores are reusable only against the same pixels)."""
    h = hashlib.sha256()
    for images in image_sets:
        h.update(np.ascontiguousarray(images).tobytes())
    return h.hexdigest()


def swd_dict(s):
    out = {str(k): float(v) for k, v in s['levels'].items()}
    out['mean'] = float(s['mean'])
    return out


def nn_dict(r):
    return {k: (int(r[k]) if k == 'near_copies' else float(r[k]))
            for k in ('median', 'mean', 'min', 'max', 'threshold', 'near_copies', 'near_copy_share')}


def diversity(images):
    return M.ms_ssim_diversity(images) if len(images) >= 2 else None


def compare_sets(ours, real, reference=None, seed=0, labels=None, fine_scale=False):
    """The comparison table as a JSON-ready dict.

    `ours` and `reference` are uint8 RGB sets (N, 64, 64, 3); `real` is the real pool: len(ours)
    of its images (drawn with `seed`) are held out for the floor, the rest is "the real set" of
    every "vs real" row. Rows: real vs real (held-out N vs the real set: the SWD floor, and the
    nearest-neighbour distances of unseen real images), ours vs real, and with a reference,
    reference vs real, real vs real at the sizes of ours vs reference (its floor; left out when
    the reference is not smaller than the real set, as the first floor is then the closest
    there is), and ours vs reference. SWD uses the same `seed` in every row. `labels` maps
    'ours', 'reference' and 'real' to descriptions shown in the table. With `fine_scale`, each
    set also gets its 2-pixel-period energy (gan.eval.metrics.checkerboard_energy) as 'fine_scale'.
    """
    ours = np.asarray(ours)
    real = np.asarray(real)
    n = len(ours)
    if n < 2:
        raise UserError('ours has %d image; the comparison needs at least 2' % n)
    if len(real) < n + 2:
        raise UserError('the real set has %d images; it needs at least %d (%d held out for the '
                        'floor, as many as ours, and 2 more)' % (len(real), n + 2, n))
    labels = dict(labels or {})
    held, rest = split_real(real, n, seed)
    sets = {'ours': ours, 'real': rest, 'real_holdout': held}
    if reference is not None:
        reference = np.asarray(reference)
        if len(reference) < 2:
            raise UserError('the reference set has %d image; it needs at least 2' % len(reference))
        sets['reference'] = reference
        if len(reference) < len(rest):       # else the first floor is the closest there is
            sets['real_subset'] = rest[:len(reference)]
    info = {}
    for key, images in sets.items():
        info[key] = {'n': int(len(images)), 'label': labels.get(key, SET_NAMES[key]),
                     'ms_ssim': diversity(images), 'ms_ssim_pairs': int(len(images) // 2)}
        if fine_scale:
            energy = M.checkerboard_energy(images)
            info[key]['fine_scale'] = {k: energy[k] for k in ('checkerboard_rms', 'high_rms',
                                                              'share')}
    info['real_holdout']['label'] = '%d of the real pool, held out' % n
    if 'real_subset' in info:
        info['real_subset']['label'] = 'the first %d of the real set' % len(sets['real_subset'])

    def row(name, a, b, floor_for=None, nn=True):
        r = {'name': name, 'a': a, 'b': b, 'n_a': info[a]['n'], 'n_b': info[b]['n'],
             'swd': swd_dict(M.swd(sets[a], sets[b], seed=seed)),
             'ms_ssim_a': info[a]['ms_ssim'], 'ms_ssim_b': info[b]['ms_ssim'],
             'nn': nn_dict(M.nearest_neighbours(sets[a], sets[b])) if nn else None}
        if floor_for:
            r['floor_for'] = floor_for
        return r

    serves = ['ours vs real']
    if reference is not None:
        serves.append('reference vs real')
        if 'real_subset' not in sets:
            serves.append('ours vs reference')
    rows = [row('real vs real', 'real_holdout', 'real', floor_for=serves),
            row('ours vs real', 'ours', 'real')]
    if reference is not None:
        rows.append(row('reference vs real', 'reference', 'real'))
        if 'real_subset' in sets:
            rows.append(row('real vs real', 'real_holdout', 'real_subset',
                            floor_for=['ours vs reference'], nn=False))
        rows.append(row('ours vs reference', 'ours', 'reference', nn=False))
    return {'seed': int(seed), 'sets': info, 'rows': rows,
            'metrics': {'swd': 'x1e3, Laplacian levels 64/32/16 (gan.eval.metrics.swd); '
                               'lower = closer',
                        'ms_ssim': 'mean MS-SSIM of consecutive pairs within a set; higher = '
                                   'less diverse',
                        'nn': 'per image of A, RMS distance on [0, 1] pixels to its nearest '
                              'image of B; near-copies below the threshold',
                        'fine_scale': 'per set, RMS (grey levels) of the 2-pixel-period '
                                      'component and of periods up to 4 px, and the share of '
                                      'the first in the second\'s power'}}


def _fmt(v, spec):
    return '-' if v is None else format(v, spec)


def format_table(result):
    """The comparison as text: a heading naming the sets, one table, and how to read it."""
    sets = result['sets']
    lines = []
    for key in ('ours', 'reference', 'real'):
        if key in sets:
            lines.append('%-10s %5d images  %s' % (key, sets[key]['n'], sets[key]['label']))
    lines.append('%-10s %5d images  more real ones, held out for the floor (seed %d)'
                 % ('held out', sets['real_holdout']['n'], result['seed']))
    lines.append('')
    head1 = '%-20s %-9s  %-30s  %-15s  %s' % ('', '', 'SWD x1e3 (lower = closer)',
                                               'MS-SSIM divers.', 'nearest image of B')
    head2 = '%-20s %9s  %6s %6s %6s %7s  %7s %7s  %7s %11s' % (
        'A vs B', 'images', '64', '32', '16', 'mean', 'A', 'B', 'median', 'near-copies')
    lines += [head1, head2, '-' * len(head2)]
    for r in result['rows']:
        name = r['name'] + (' *' if r.get('floor_for') else '')
        nn = r['nn']
        near = '-' if nn is None else '%d (%.0f%%)' % (nn['near_copies'], 100 * nn['near_copy_share'])
        s = r['swd']
        lines.append('%-20s %9s  %6.2f %6.2f %6.2f %7.2f  %7s %7s  %7s %11s' % (
            name, '%d/%d' % (r['n_a'], r['n_b']), s['64'], s['32'], s['16'], s['mean'],
            _fmt(r['ms_ssim_a'], '.4f'), _fmt(r['ms_ssim_b'], '.4f'),
            _fmt(None if nn is None else nn['median'], '.4f'), near))
    lines.append('-' * len(head2))
    threshold = next((r['nn']['threshold'] for r in result['rows'] if r['nn']), None)
    for r in result['rows']:
        if r.get('floor_for'):
            lines.append('* floor of %s: disjoint real sets of the same sizes'
                         % ', '.join(r['floor_for']))
    lines.append('SWD near its floor: as close as real images are to each other. MS-SSIM: mean '
                 'over consecutive pairs')
    lines.append('within a set, higher = less diverse.'
                 + ('' if threshold is None else ' Nearest image of B: median RMS distance '
                    '([0, 1] pixels); near-copies < %.2f.' % threshold))
    fine = [(key, sets[key]['fine_scale']) for key in ('ours', 'reference', 'real', 'real_holdout')
            if 'fine_scale' in sets.get(key, {})]
    if fine:
        lines += ['', '%-10s %7s  %16s  %14s  %6s' % ('fine scale', 'images', '2-px period RMS',
                                                       'periods <= 4 px', 'share')]
        for key, f in fine:
            lines.append('%-10s %7d  %16.2f  %14.2f  %5.2f%%' % (
                'held out' if key == 'real_holdout' else key, sets[key]['n'],
                f['checkerboard_rms'], f['high_rms'], 100 * f['share']))
        lines.append('RMS in grey levels (0-255); share: the 2-px period\'s power within the '
                     'power at periods of 4 px and less.')
    return '\n'.join(lines)
