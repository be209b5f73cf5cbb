"""`python compare.py`: a run's images against real ones and the original's grids; its timeline."""
import argparse
import math
import os
import re
import sys

import numpy as np

from . import backend, io, references
from . import metrics as M
from .config import UserError
from .data import decode, find_images
from .gan import GAN
from .grids import (ORIGINAL_FIGURE_PX, make_grid, read_rgb, through_original_figure,
                    undraw_original)
from .imagesets import IMAGE_EXTENSIONS, load_image_set, subsample

# cv2, PIL, matplotlib and Keras are imported inside the functions that use them: compare.py
# --help loads none of them.

DEFAULT_N = 100
DEFAULT_REAL_N = 1000
GRID_MAX_SIDE = 10          # side-by-side panels show at most 10 x 10 images each
LABEL_HEIGHT = 32           # white band above each panel (and each GIF frame) for its label
GIF_MAX_SIDE = 400          # larger grid frames are shrunk to this (INTER_AREA)
GIF_MAX_FRAMES = 100        # more grids than this: evenly spaced ones, first and last kept
GIF_FRAME_MS = 150
GIF_LAST_FRAME_MS = 1500
GRID_FILE_RE = re.compile(r'^Faces_(\d+)\.png$')
SET_NAMES = {'ours': 'ours', 'reference': 'reference', 'real': 'real',
             'real_holdout': 'real (held out)', 'real_subset': 'real (subset)'}


# -- loading image sets -------------------------------------------------------------------------
def is_checkpoint(path):
    """True for a run folder (has weight/), a folder of generator_epoch_<step>.h5 files, or an .h5."""
    path = str(path)
    if os.path.isdir(path):
        return os.path.isdir(os.path.join(path, 'weight')) or bool(io.checkpoint_steps(path))
    return path.lower().endswith('.h5')


def _folder_paths(folder, flag):
    paths = find_images(folder)
    if not paths:
        raise UserError('%s %s: no .jpg/.jpeg/.png/.bmp images found in that folder' % (flag, folder))
    return paths


def sample_folder(folder, count=None, seed=0, flag='--real'):
    """`count` images (None: all) of a folder, decoded in a seeded random order.

    Only the chosen files are decoded (a 60,000-image folder costs no more than its sample);
    an unreadable file is skipped with a warning and the next one in the order takes its place.
    The decoder is the training loader's (gan.data.decode), so pixels match training exactly.
    """
    paths = _folder_paths(folder, flag)
    order = np.random.RandomState(seed).permutation(len(paths))
    want = len(paths) if count is None else int(count)
    out = []
    for i in order:
        if len(out) == want:
            break
        try:
            out.append(decode(paths[i], 64))
        except (OSError, ValueError, MemoryError) as e:
            sys.stderr.write('warning: skipping %s: %s\n' % (paths[i], e))
    if not out:
        raise UserError('%s %s: none of its %d image files could be read (warnings above name each)'
                        % (flag, folder, len(paths)))
    return np.stack(out)


def load_set(path, n=None, seed=0, flag='SOURCE'):
    """Up to `n` images (None: all) from a folder, a grid PNG/JPEG, a .npy file or a published
    reference by name (gan.references: 'original:1720', downloaded once into the cache).

    Folders are sampled in a seeded random order (see sample_folder), so consecutive images are
    independent draws, as MS-SSIM diversity's consecutive pairs assume. Grids are cut by
    gan.references.tiles (by the catalogue's layout when the file is one of its images) and
    arrays read with gan.imagesets.load_image_set; both keep their order (a grid's tiles come
    from independent latents); when they hold more than `n` images, `n` are drawn with `seed`.
    """
    path = str(path)
    if references.lookup(path) is not None or references.looks_like_name(path):
        images = references.tiles(path, flag=flag)
    elif not os.path.exists(path):
        raise UserError('%s %s does not exist' % (flag, path))
    elif os.path.isdir(path):
        return sample_folder(path, n, seed, flag)
    elif path.lower().endswith(IMAGE_EXTENSIONS):
        images = references.tiles(path, flag=flag)
    else:
        try:
            images = load_image_set(path)
        except ValueError as e:
            raise UserError('%s: %s' % (flag, e))
    if n is not None and len(images) > n:
        images = subsample(images, n, seed)
    return images


def load_undrawn(path, flag='SOURCE'):
    """The 100 images one of the original's 1152 x 1152 figures was drawn from
    (grids.undraw_original), or None when `path` is not an image file of that size. A
    reference name stands for its cached file."""
    path = str(path)
    if references.lookup(path) is not None:
        path = references.fetch(path)
    if os.path.isdir(path) or not path.lower().endswith(IMAGE_EXTENSIONS):
        return None
    try:
        image = read_rgb(path)
        if image.shape[:2] != (ORIGINAL_FIGURE_PX, ORIGINAL_FIGURE_PX):
            return None
        return undraw_original(image)[0]
    except ValueError as e:
        raise UserError('%s: %s' % (flag, e))


def load_real(path, count=None, seed=0, flag='--real'):
    """`count` real images (None: all) in a seeded random order, from a folder, grid or .npy."""
    if os.path.isdir(str(path)):
        return sample_folder(path, count, seed, flag)
    images = load_set(path, None, seed, flag)
    order = np.random.RandomState(seed).permutation(len(images))
    return images[order[:count] if count is not None else order]


def resolve_step(source, step=None):
    """(run_dir or None, step) of a checkpoint source, checked before TensorFlow starts.

    Without `step`, the latest checkpoint whose generator file exists (the manifest's step, or
    the largest one left when retention or a user removed it); a given step must exist.
    """
    run_dir, weight_dir, resolved = io.resolve_checkpoint(source, step)
    if run_dir is not None and not os.path.isdir(os.path.join(run_dir, 'weight')):
        run_dir = None
    if os.path.isdir(str(source)):
        have = io.checkpoint_steps(weight_dir)
        if step is None and resolved not in have and have:
            resolved = have[-1]
        if resolved not in have:
            raise UserError('%s: no checkpoint for step %d in %s (have: %s)'
                            % ('--step' if step is not None else 'SOURCE', resolved, weight_dir,
                               ', '.join(map(str, have)) or 'none'))
    return run_dir, resolved


def generate_from_checkpoint(path, n=DEFAULT_N, seed=0, step=None):
    """(images, step): `n` images from a checkpoint with latents drawn from `seed`.

    Opens a fresh seeded session (gan.backend.setup) and clears it afterwards, so one model at a
    time lives in memory.
    """
    import keras.backend as K
    backend.setup(seed)
    gan = GAN.load_model(path, step=step, compile=False)       # networks only: enough to generate
    try:
        return gan.generate(n=n, seed=seed), int(gan.step)
    finally:
        del gan
        K.clear_session()


# -- the comparison -----------------------------------------------------------------------------
def split_real(real, n, seed=0):
    """(held_out, rest): `n` images held out of the real pool for the floor, with the permutation
    gan.metrics.swd_floor uses, so swd_floor(real, seed, n) == swd(held_out, rest, seed)."""
    order = np.random.RandomState(seed).permutation(len(real))
    return real[order[:n]], real[order[n:]]


def _swd_dict(s):
    out = {str(k): float(v) for k, v in s['levels'].items()}
    out['mean'] = float(s['mean'])
    return out


def _nn_dict(r):
    return {k: (int(r[k]) if k == 'near_copies' else float(r[k]))
            for k in ('median', 'mean', 'min', 'max', 'threshold', 'near_copies', 'near_copy_share')}


def _diversity(images):
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
    set also gets its 2-pixel-period energy (gan.metrics.checkerboard_energy) as 'fine_scale'.
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
                     'ms_ssim': _diversity(images), 'ms_ssim_pairs': int(len(images) // 2)}
        if fine_scale:
            energy = M.checkerboard_energy(images)
            info[key]['fine_scale'] = {k: energy[k] for k in ('checkerboard_rms', 'high_rms',
                                                              'share')}
    info['real_holdout']['label'] = '%d of the real pool, held out' % n
    if 'real_subset' in info:
        info['real_subset']['label'] = 'the first %d of the real set' % len(sets['real_subset'])

    def row(name, a, b, floor_for=None, nn=True):
        r = {'name': name, 'a': a, 'b': b, 'n_a': info[a]['n'], 'n_b': info[b]['n'],
             'swd': _swd_dict(M.swd(sets[a], sets[b], seed=seed)),
             'ms_ssim_a': info[a]['ms_ssim'], 'ms_ssim_b': info[b]['ms_ssim'],
             'nn': _nn_dict(M.nearest_neighbours(sets[a], sets[b])) if nn else None}
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
            'metrics': {'swd': 'x1e3, Laplacian levels 64/32/16 (gan.metrics.swd); lower = closer',
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


# -- pictures -----------------------------------------------------------------------------------
def _label_band(width, text, height=LABEL_HEIGHT):
    """A white uint8 RGB band with `text` in black, shortened with '...' to fit."""
    import cv2
    band = np.full((height, width, 3), 255, np.uint8)
    font, scale, thick = cv2.FONT_HERSHEY_SIMPLEX, 0.5, 1
    text = text.encode('ascii', 'replace').decode('ascii')
    room = width - 16
    while text and cv2.getTextSize(text, font, scale, thick)[0][0] > room:
        text = text[:-4] + '...' if len(text) > 4 else ''
    (_, th), _ = cv2.getTextSize(text or ' ', font, scale, thick)
    cv2.putText(band, text, (8, (height + th) // 2), font, scale, (0, 0, 0), thick, cv2.LINE_AA)
    return band


def side_by_side(panels, side=None):
    """Grids of several sets next to each other, each under its label: uint8 RGB.

    `panels` is [(label, images)]. Each set shows its first side x side images (side: the
    smallest square holding the largest set, at most 10) in a gan.grids.make_grid grid, so
    all panels have one size: width len(panels) * (32 + side*64 + (side-1)*8), height
    LABEL_HEIGHT + the same.
    """
    if side is None:
        side = min(GRID_MAX_SIDE, int(math.ceil(math.sqrt(max(len(im) for _, im in panels)))))
    parts = []
    for label, images in panels:
        grid = make_grid(np.asarray(images)[:side * side], side, side)
        parts.append(np.concatenate([_label_band(grid.shape[1], label), grid], axis=0))
    return np.concatenate(parts, axis=1)


def _write_png(path, rgb):
    import cv2
    ok, buf = cv2.imencode('.png', np.ascontiguousarray(rgb[..., ::-1]))
    if not ok:
        raise UserError('PNG encoding failed for %s' % path)
    io.atomic_write_bytes(path, buf.tobytes())


def unique_paths(folder, stem, extensions):
    """Paths folder/<stem><suffix><ext> for every extension, with the first suffix ('', '_2',
    '_3', ...) for which none of them exists: outputs are never overwritten, and the files of one
    invocation share their suffix."""
    k = 1
    while True:
        suffix = '' if k == 1 else '_%d' % k
        paths = [os.path.join(folder, stem + suffix + ext) for ext in extensions]
        if not any(os.path.exists(p) for p in paths):
            return paths
        k += 1


# -- timeline -----------------------------------------------------------------------------------
def grid_files(run_dir):
    """[(step, path)] of the run's fixed-latent grids image/Faces_<step>.png, in step order."""
    folder = os.path.join(run_dir, 'image')
    found = []
    if os.path.isdir(folder):
        for name in os.listdir(folder):
            m = GRID_FILE_RE.match(name)
            if m:
                found.append((int(m.group(1)), os.path.join(folder, name)))
    return sorted(found)


def grid_gif(run_dir, path, max_frames=GIF_MAX_FRAMES, max_side=GIF_MAX_SIDE,
             frame_ms=GIF_FRAME_MS, last_ms=GIF_LAST_FRAME_MS):
    """Write an animated GIF of the run's grids, each labelled with its step; returns the steps.

    More than `max_frames` grids: evenly spaced ones (first and last kept). Frames larger than
    `max_side` are shrunk with INTER_AREA; each is quantised to a 256-colour palette as it is
    read, so memory stays at about one byte per pixel per frame.
    """
    import cv2
    from PIL import Image
    grids = grid_files(run_dir)
    if not grids:
        return []
    if len(grids) > max_frames:
        pick = np.unique(np.round(np.linspace(0, len(grids) - 1, max_frames)).astype(int))
        grids = [grids[i] for i in pick]
    frames, steps, size = [], [], None
    for step, grid_path in grids:
        bgr = cv2.imread(grid_path, cv2.IMREAD_COLOR)
        if bgr is None:
            sys.stderr.write('warning: skipping unreadable grid %s\n' % grid_path)
            continue
        rgb = bgr[..., ::-1]
        if size is None:
            h, w = rgb.shape[:2]
            scale = min(1.0, float(max_side) / max(h, w))
            size = (max(1, int(round(w * scale))), max(1, int(round(h * scale))))
        if (rgb.shape[1], rgb.shape[0]) != size:
            shrink = rgb.shape[1] >= size[0] and rgb.shape[0] >= size[1]
            rgb = cv2.resize(np.ascontiguousarray(rgb), size,
                             interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)
        frame = np.concatenate([_label_band(size[0], 'step %d' % step), rgb], axis=0)
        frames.append(Image.fromarray(np.ascontiguousarray(frame)).quantize(colors=256))
        steps.append(step)
    if not frames:
        return []
    durations = [frame_ms] * (len(frames) - 1) + [last_ms]

    def write(tmp):
        frames[0].save(tmp, format='GIF', save_all=True, append_images=frames[1:],
                       duration=durations, loop=0)
    io.atomic_write(path, write)
    return steps


def run_name(run_dir):
    """A run folder as its parent's name and its own ('save/1'): a title without the user's
    home folder or machine paths."""
    path = os.path.abspath(str(run_dir))
    return '/'.join(p for p in (os.path.basename(os.path.dirname(path)), os.path.basename(path)) if p)


def timeline_title(result):
    return '%s: %d images per checkpoint, seed %d' % (run_name(result['run']), result['n'],
                                                      result['seed'])


def plot_timeline(result, path):
    """SWD mean, MS-SSIM diversity and nearest-real distance against the step (matplotlib Agg)."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    import matplotlib.ticker  # noqa: F401  (integer step ticks)
    entries = result['steps']
    steps = [e['step'] for e in entries]
    panels = [('SWD x1e3 vs real (mean)', [e['swd']['mean'] for e in entries],
               result['floor']['mean'], 'real vs real floor'),
              ('MS-SSIM diversity (higher = less diverse)', [e['ms_ssim'] for e in entries],
               result['real_ms_ssim'], 'real set'),
              ('median distance to nearest real image', [e['nn']['median'] for e in entries],
               result['real_holdout_nn_median'], 'held-out real images')]
    fig, axes = plt.subplots(len(panels), 1, figsize=(8, 8), sharex=True)
    try:
        for ax, (title, values, ref, ref_label) in zip(axes, panels):
            ax.plot(steps, values, marker='o', markersize=3, label='ours')
            if ref is not None:
                ax.axhline(ref, color='grey', linestyle='--', label=ref_label)
            ax.set_title(title, fontsize=10)
            ax.grid(alpha=0.3)
            ax.legend(fontsize=8)
        axes[-1].set_xlabel('step')
        axes[-1].xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
        fig.suptitle(timeline_title(result), fontsize=10)
        fig.tight_layout(rect=(0, 0, 1, 0.96))
        io.atomic_write(path, lambda tmp: fig.savefig(tmp, format='png', dpi=100))
    finally:
        plt.close(fig)


def timeline(run_dir, real, n=DEFAULT_N, seed=0, out_dir=None, steps=None, floor=None,
             known=None, gif_frames=GIF_MAX_FRAMES, log=None, like_original=False):
    """Metrics of every saved checkpoint of a run, and (with out_dir) their JSON, plot and GIF.

    `real` is the real pool, split as in compare_sets (n held out for the floor, the rest is the
    real set). For each step of gan.io.checkpoint_steps(run_dir/weight) (or `steps`), `n` images
    are generated with `seed` in a fresh session (one model in memory at a time) and measured:
    SWD against the real set, MS-SSIM diversity, nearest real image. `floor` (an SWD dict with
    'mean') reuses an already computed floor, and `known` ({step: images}) images already
    generated with the same n and seed (as measured: after like_original, if given).
    `like_original` draws each step's images through the original's figure first
    (grids.through_original_figure). With out_dir, writes timeline.json, timeline.png
    and timeline.gif (the image/Faces_<step>.png grids in step order), never overwriting (a
    suffix _2, _3, ... is added), and lists them under 'files'.
    """
    log = log or (lambda msg: None)
    weight_dir = os.path.join(run_dir, 'weight')
    steps = io.checkpoint_steps(weight_dir) if steps is None else list(steps)
    grids = grid_files(run_dir)
    if not steps and not grids:
        raise UserError('--timeline: %s has no checkpoints (weight/generator_epoch_<step>.h5) and no '
                        'grids (image/Faces_<step>.png)' % run_dir)
    real = np.asarray(real)
    if len(real) < n + 2:
        raise UserError('the real set has %d images; the timeline needs at least %d'
                        % (len(real), n + 2))
    held, rest = split_real(real, n, seed)
    if floor is None:
        floor = _swd_dict(M.swd_floor(real, seed=seed, n=n))
    result = {'run': run_dir, 'seed': int(seed), 'n': int(n), 'real_n': int(len(rest)),
              'like_original': bool(like_original),
              'floor': floor, 'real_ms_ssim': _diversity(rest),
              'real_holdout_nn_median': float(M.nearest_neighbours(held, rest)['median']),
              'steps': []}
    for step in steps:
        if known and step in known:
            images = known[step]
        else:
            images, _ = generate_from_checkpoint(run_dir, n=n, seed=seed, step=step)
            if like_original:
                images = through_original_figure(images)
        entry = {'step': int(step), 'swd': _swd_dict(M.swd(images, rest, seed=seed)),
                 'ms_ssim': _diversity(images),
                 'nn': _nn_dict(M.nearest_neighbours(images, rest))}
        result['steps'].append(entry)
        log('step %-7d SWD mean %7.2f  MS-SSIM %.4f  nearest real %.4f'
            % (step, entry['swd']['mean'], entry['ms_ssim'], entry['nn']['median']))
    if out_dir is not None:
        io.ensure_writable_dir(out_dir)
        json_path, png_path, gif_path = unique_paths(out_dir, 'timeline', ('.json', '.png', '.gif'))
        files = {}
        if result['steps']:
            plot_timeline(result, png_path)
            files['plot'] = png_path
        gif_steps = grid_gif(run_dir, gif_path, max_frames=gif_frames)
        if gif_steps:
            files['gif'] = gif_path
            result['gif_steps'] = gif_steps
        files['json'] = json_path
        result['files'] = files
        io.write_json(json_path, result)
    return result


# -- command line -------------------------------------------------------------------------------
def _real_n(text):
    if text == 'all':
        return None
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError('expected a number of images or "all", got %r' % text)
    return value


def parser():
    p = argparse.ArgumentParser(
        prog='compare.py',
        description='Compare images from a checkpoint (or a grid PNG or folder) with real images '
        'and a reference such as the original\'s published grid: prints one table (SWD, MS-SSIM '
        'diversity, nearest real image) and writes it as JSON with a side-by-side PNG. Existing '
        'outputs are never overwritten: a suffix _2, _3, ... is added.')
    p.add_argument('source', nargs='?', help='"ours": a run folder, a weight folder or a '
                   'generator_epoch_<step>.h5 (N images are generated), or a grid PNG, a folder '
                   'of images, a .npy array or a reference name')
    p.add_argument('--step', type=int, default=None,
                   help='checkpoint step when SOURCE is a run or weight folder (default: latest)')
    p.add_argument('--reference', default=None,
                   help='reference set: a published grid by name (original:1720; see '
                   '--list-references; downloaded once into ~/.cache/gan-animation), a grid PNG, '
                   'a folder or a .npy; rows that need it are left out without it')
    p.add_argument('--list-references', action='store_true',
                   help='print the names of the published grids (the original\'s and the sibling '
                   'projects\') with their source and exit')
    p.add_argument('--real', default='data', help='real images: a folder (searched recursively), '
                   'a grid or a .npy (default: data)')
    p.add_argument('--n', type=int, default=DEFAULT_N,
                   help='images generated from a checkpoint, at most this many from a grid or folder '
                   'source or reference (default: %d)' % DEFAULT_N)
    p.add_argument('--real-n', type=_real_n, default=DEFAULT_REAL_N, metavar='N|all',
                   help='size of the real set, drawn with --seed; --n more real images are held '
                   'out for the real-vs-real floor (default: %d; "all": every image, --n of them '
                   'held out)' % DEFAULT_REAL_N)
    p.add_argument('--seed', type=int, default=0,
                   help='seed of the latents, the real sample and the metrics (default: 0)')
    p.add_argument('--out', default=None, help='output folder (default: <run>/compare for a run, '
                   'else ./compare)')
    p.add_argument('--like-original', action='store_true',
                   help='draw "ours" into the original\'s matplotlib figures and cut them out again '
                   'before measuring: the resampling the original\'s published grids went '
                   'through, for a like-for-like comparison with them')
    p.add_argument('--undraw', action='store_true',
                   help='read SOURCE or --reference files that are the original\'s 1152 x 1152 '
                   'figures as the 64-px images they were drawn from (undone by least squares), '
                   'instead of cutting and shrinking their tiles: a comparison with no drawing in '
                   'it')
    p.add_argument('--fine-scale', action='store_true',
                   help='also print each set\'s 2-pixel-period (checkerboard) energy and its '
                   'share of the fine detail')
    p.add_argument('--timeline', action='store_true',
                   help='also measure every saved checkpoint of the run SOURCE and write '
                   'timeline.json, timeline.png and an animated timeline.gif of its grids')
    p.add_argument('--gif-frames', type=int, default=GIF_MAX_FRAMES,
                   help='at most this many grids in the GIF, evenly spaced (default: %d)'
                   % GIF_MAX_FRAMES)
    return p


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    return backend.run_command(run, parser().parse_args(argv), argv)


def _check_given(flag, text, what):
    """A set given by reference name or path: an unknown name or a missing path is an error."""
    if references.lookup(text) is not None:
        return
    if references.looks_like_name(text):
        references.get(text)                   # the unknown-name error, listing the names
    if not os.path.exists(text):
        raise UserError('%s %s does not exist; give %s' % (flag, text, what))


def _label(text):
    """A set's label: a reference name with its source, else the path as given."""
    ref = references.lookup(text)
    if ref is None:
        return text
    return '%s (%s %s, %s)' % (ref.name, ref.repository, ref.path, ref.published)


def _stem(path):
    name = os.path.basename(os.path.normpath(str(path)))
    name = os.path.splitext(name)[0] if not os.path.isdir(str(path)) else name
    return re.sub(r'[^A-Za-z0-9_.-]+', '_', name) or 'set'


def run(args, argv=()):
    """The CLI behind main(): load the sets, print the table, write JSON, PNG and the timeline."""
    if args.list_references:
        print(references.format_catalogue())
        return 0
    if args.source is None:
        raise UserError('give SOURCE: a run folder (save/1), a generator_epoch_<step>.h5, a grid '
                        'PNG, a folder of images or a reference name (see compare.py --help)')
    if args.n < 2:
        raise UserError('--n must be at least 2 (MS-SSIM diversity needs pairs), got %d' % args.n)
    if args.real_n is not None and args.real_n < 2:
        raise UserError('--real-n must be at least 2 or "all", got %d' % args.real_n)
    if args.seed < 0:
        raise UserError('--seed must be 0 or more, got %d' % args.seed)
    if args.gif_frames < 1:
        raise UserError('--gif-frames must be at least 1, got %d' % args.gif_frames)
    if args.undraw and args.like_original:
        raise UserError('--undraw and --like-original exclude each other: --undraw takes the '
                        'drawing out of the original\'s figures, --like-original puts it into ours')
    source = args.source
    _check_given('SOURCE', source, 'a run folder (save/1), a generator_epoch_<step>.h5, a grid '
                 'PNG, a folder of images or a reference name')
    if args.reference is not None:
        _check_given('--reference', args.reference, 'a reference name (python compare.py '
                     '--list-references), a grid PNG, a folder or a .npy')
    if not os.path.exists(args.real):
        raise UserError('--real %s does not exist' % args.real)
    checkpoint = references.lookup(source) is None and is_checkpoint(source)
    run_dir = None
    if checkpoint:
        run_dir, step = resolve_step(source, args.step)
    elif args.step is not None:
        raise UserError('--step applies when SOURCE is a run folder or a checkpoint; %s is an image '
                        'set' % source)
    if args.timeline and run_dir is None:
        raise UserError('--timeline needs a run folder (with weight/ and image/) as SOURCE; %s '
                        'is not one' % source)
    out_dir = args.out or (os.path.join(run_dir, 'compare') if run_dir else 'compare')

    def load(path, flag):
        images = load_undrawn(path, flag) if args.undraw else None
        if images is None:
            return load_set(path, args.n, args.seed, flag), ''
        if len(images) > args.n:
            images = subsample(images, args.n, args.seed)
        return images, ', undrawn from the original\'s figure'

    # Image sets first (cheap, and their errors come before TensorFlow starts), the model last.
    ours, ours_how, ref_how = None, '', ''
    if not checkpoint:
        ours, ours_how = load(source, 'SOURCE')
        if len(ours) < 2:
            raise UserError('SOURCE %s holds %d image; the comparison needs at least 2'
                            % (source, len(ours)))
    n = args.n if checkpoint else len(ours)
    reference = None
    if args.reference is not None:
        reference, ref_how = load(args.reference, '--reference')
    want = None if args.real_n is None else args.real_n + n
    real = load_real(args.real, want, args.seed)
    if len(real) < n + 2:
        raise UserError('--real %s has %d readable images; it needs at least %d (%d held out for the '
                        'floor, as many as ours, and 2 more)' % (args.real, len(real), n + 2, n))
    if want is not None and len(real) < want:
        print('note: --real %s has %d images, so the real set has %d (not --real-n %d) and %d are '
              'held out for the floor' % (args.real, len(real), len(real) - n, args.real_n, n))
    if checkpoint:
        ours, step = generate_from_checkpoint(source, n=n, seed=args.seed, step=step)
        ours_label = '%s, step %d, latents from seed %d' % (source, step, args.seed)
        stem = 'compare_%d' % step
    else:
        ours_label = _label(source) + ours_how
        stem = 'compare_%s' % _stem(source)
    if args.like_original:
        ours = through_original_figure(ours)
        ours_label += ', drawn as the original drew its grids'
    labels = {'ours': ours_label, 'real': '%s, drawn with seed %d' % (args.real, args.seed)}
    if reference is not None:
        labels['reference'] = _label(args.reference) + ref_how
    result = compare_sets(ours, real, reference, seed=args.seed, labels=labels,
                          fine_scale=args.fine_scale)
    result['command'] = ['compare.py'] + list(argv)
    sources = {key: references.lookup(text) for key, text in (('ours', source),
                                                               ('reference', args.reference))}
    published = {key: dict(ref._asdict(), layout=ref.layout._asdict(), url=references.url(ref))
                 for key, ref in sources.items() if ref is not None}
    if published:
        result['published'] = published
    if checkpoint:
        result['step'] = step
    print(format_table(result))

    io.ensure_writable_dir(out_dir)
    json_path, png_path = unique_paths(out_dir, stem, ('.json', '.png'))
    _, rest = split_real(real, n, args.seed)
    panels = [('ours: %s' % (('step %d' % step) if checkpoint
                             else os.path.basename(os.path.normpath(source))), ours)]
    if reference is not None:
        panels.append(('reference: %s' % os.path.basename(os.path.normpath(args.reference)),
                       reference))
    panels.append(('real: %s' % os.path.basename(os.path.normpath(args.real)), rest))
    _write_png(png_path, side_by_side(panels))
    result['files'] = {'json': json_path, 'png': png_path}
    io.write_json(json_path, result)
    print('wrote %s and %s' % (json_path, png_path))

    if args.timeline:
        print('timeline of %s:' % run_dir)
        floor = next(r['swd'] for r in result['rows'] if r['b'] == 'real' and r.get('floor_for'))
        t = timeline(run_dir, real, n=n, seed=args.seed, out_dir=out_dir, floor=floor,
                     known={step: ours}, gif_frames=args.gif_frames, log=print,
                     like_original=args.like_original)
        if not t['steps']:
            print('no checkpoints in %s: the timeline has the grids only' % run_dir)
        print('wrote %s' % ', '.join(t['files'][k] for k in ('json', 'plot', 'gif')
                                     if k in t['files']))
    return 0
