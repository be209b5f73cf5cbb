"""Drawing a comparison: labelled side-by-side grids, PNG files never overwritten, a run's
grids as an animated GIF and its timeline plotted."""
import math
import os
import re
import sys

import numpy as np

from .. import io
from ..config import UserError
from ..grids import make_grid

# cv2, PIL and matplotlib are imported inside the functions that use them.

GRID_MAX_SIDE = 10          # side-by-side panels show at most 10 x 10 images each
LABEL_HEIGHT = 32           # white band above each panel (and each GIF frame) for its label
GIF_MAX_SIDE = 400          # larger grid frames are shrunk to this (INTER_AREA)
GIF_MAX_FRAMES = 100        # more grids than this: evenly spaced ones, first and last kept
GIF_FRAME_MS = 150
GIF_LAST_FRAME_MS = 1500
GRID_FILE_RE = re.compile(r'^Faces_(\d+)\.png$')


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


def write_png(path, rgb):
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


# -- a run's grids and timeline ---------------------------------------------------------------
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
