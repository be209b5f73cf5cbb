"""Sample grids: making them (white margin and gaps, tiles 1:1) and splitting a grid image back
into its tiles: this package's grids, matplotlib figures (the original's) and torchvision grids."""
import numpy as np

# cv2 is imported inside the functions that use it: the CLI loads this module (through gan.io)
# for --help.

# The layout of this package's own grids (make_grid): white background, tiles 1:1.
GRID_MARGIN = 16
GRID_GAP = 8
WHITE = 255
# A pixel counts as background when all three channels are at least this value.
WHITE_LEVEL = 250


# -- making grids ------------------------------------------------------------------------------
def make_grid(images, rows, cols, margin=GRID_MARGIN, gap=GRID_GAP):
    """Lay out uint8 RGB images (N, h, w, 3) row by row on a white canvas.

    The canvas is (2*margin + rows*h + (rows-1)*gap) x (2*margin + cols*w + (cols-1)*gap) x 3,
    uint8 RGB; tiles are copied at native resolution. With fewer than rows*cols images the
    remaining cells stay white. Grayscale (N, h, w) or (N, h, w, 1) input is repeated to RGB.
    """
    images = np.asarray(images)
    if images.dtype != np.uint8:
        raise ValueError('make_grid needs uint8 images, got %s; convert with '
                         'np.clip(x, 0, 255).astype(np.uint8) first' % images.dtype)
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4 or images.shape[-1] not in (1, 3):
        raise ValueError('make_grid needs images shaped (N, h, w, 3), got %s' % (images.shape,))
    if images.shape[-1] == 1:
        images = np.repeat(images, 3, axis=-1)
    rows, cols, margin, gap = int(rows), int(cols), int(margin), int(gap)
    if rows < 1 or cols < 1 or margin < 0 or gap < 0:
        raise ValueError('make_grid needs rows, cols >= 1 and margin, gap >= 0')
    n, h, w = images.shape[:3]
    if n > rows * cols:
        raise ValueError('%d images do not fit a %dx%d grid' % (n, rows, cols))
    height = 2 * margin + rows * h + (rows - 1) * gap
    width = 2 * margin + cols * w + (cols - 1) * gap
    grid = np.full((height, width, 3), WHITE, np.uint8)
    for i in range(n):
        r, c = divmod(i, cols)
        y = margin + r * (h + gap)
        x = margin + c * (w + gap)
        grid[y:y + h, x:x + w] = images[i]
    return grid


# The original GAN_animation's sample figures: plt.subplots(10, 10) in a 1152 x 1152 px figure,
# axes off, each image drawn by imshow. The tile extents measured on its published grids (74 px
# tiles at a pitch of 90.8 px across and 88.4 px down) are matplotlib's default spacing with the
# bottom edge at 0.125 of the height instead of 0.11 (16 inches at 72 dpi, bottom 0.125: the
# settings of IPython's inline backend). Its tiles are matplotlib's 'antialiased' interpolation,
# which at this scale (64 px onto 74) is a Hanning filter: every published tile is such a drawing
# of some 64-px image to within rounding (undraw_original's residual, 0.14 grey levels RMS; a
# bilinear, bicubic or nearest drawing leaves 1.1-7 levels). Matplotlib 3.2.2, 3.3.4 and 3.5.3
# draw these figures bit for bit alike, at 72 or 100 dpi, on the canvas or through savefig's PNG.
ORIGINAL_FIGURE_PX = 1152
ORIGINAL_GRID = 10
ORIGINAL_SUBPLOTS = {'left': 0.125, 'right': 0.9, 'bottom': 0.125, 'top': 0.88,
                     'wspace': 0.2, 'hspace': 0.2}
ORIGINAL_INTERPOLATION = 'antialiased'       # matplotlib's default since 3.2, said explicitly


def original_figure(images, rows=ORIGINAL_GRID, cols=ORIGINAL_GRID):
    """uint8 RGB (1152, 1152, 3): `images` (at most rows * cols, uint8 RGB) drawn as the original
    drew its Faces_<step>.png (matplotlib, Agg backend); empty cells stay white."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    images = np.asarray(images)
    if images.dtype != np.uint8 or images.ndim != 4 or len(images) > rows * cols:
        raise ValueError('original_figure needs at most %d uint8 images (N, h, w, 3), got %s %s'
                         % (rows * cols, images.dtype, images.shape))
    dpi = 100
    fig, axs = plt.subplots(rows, cols, figsize=(ORIGINAL_FIGURE_PX / dpi,) * 2, dpi=dpi,
                            gridspec_kw=ORIGINAL_SUBPLOTS)
    try:
        for i, ax in enumerate(np.asarray(axs).ravel()):
            if i < len(images):
                ax.imshow(images[i], interpolation=ORIGINAL_INTERPOLATION)
            ax.axis('off')
        fig.canvas.draw()
        rgba = np.asarray(fig.canvas.buffer_rgba())
    finally:
        plt.close(fig)
    return np.array(rgba[..., :3])


def through_original_figure(images):
    """`images` drawn into the original's figures (100 at a time) and cut out again by split_grid:
    the resampling the original's published tiles went through, for like-for-like metrics."""
    images = np.asarray(images)
    per = ORIGINAL_GRID * ORIGINAL_GRID
    out = []
    for start in range(0, len(images), per):
        part = images[start:start + per]
        filler = np.full((per - len(part),) + images.shape[1:], 128, np.uint8)   # grey, cut away
        full = np.concatenate([part, filler])
        tiles = split_grid(original_figure(full), tile_size=images.shape[1], expect=per)
        out.append(tiles[:len(part)])
    return np.concatenate(out) if out else images[:0]


# Undrawing: the drawing above is linear and separable per tile, figure window = A @ X @ B.T + C
# per channel for a 64-px image X, with A the rows' map (one per grid row: the rows' sub-pixel
# offsets differ), B the columns' (one per grid column) and C the white background blended into
# the tile's edge lines. Two tile rows of the figure are 73 px high; there the first image line
# is almost hidden under an edge pixel, so a small first-difference penalty ties it to its
# neighbour (elsewhere the penalty changes nothing measurable).
UNDRAW_SMOOTHING = 3e-4
UNDRAW_MAX_RESIDUAL = 1.0    # grey levels RMS; the original's grids: 0.14-0.15, rounding only


def _comb_figure(tile):
    """Probe images for the drawing's maps: in tile (r, c) the red channel lights every 8th line
    from line c % 8, the green channel every 8th column from column r % 8, blue stays 0; each
    impulse's response is at most 3 px wide, so the combs' responses do not overlap."""
    probe = np.zeros((ORIGINAL_GRID, ORIGINAL_GRID, tile, tile, 3), np.uint8)
    for k in range(ORIGINAL_GRID):
        probe[:, k, k % 8::8, :, 0] = 255
        probe[k, :, :, k % 8::8, 1] = 255
    return original_figure(probe.reshape((-1, tile, tile, 3)))


def _split_comb(response, tile):
    """(window lines, tile) map from the responses to the combs starting at 0..7 (8, lines):
    each output line belongs to the impulse whose place, scaled onto the window, is nearest."""
    size = response.shape[1]
    op = np.zeros((size, tile))
    for k in range(8):
        impulses = np.arange(k, tile, 8)
        centres = 1 + (impulses + 0.5) * (size - 2) / float(tile) - 0.5
        for y in np.flatnonzero(np.abs(response[k]) > 1e-9):
            op[y, impulses[np.argmin(np.abs(centres - y))]] = response[k, y]
    return op


_OPERATORS = {}


def original_operators(tile=64):
    """The original's drawing of tile x tile images as linear maps, measured from one drawing of
    comb images (cached per tile size and ORIGINAL_INTERPOLATION): {'rows': [(y0, y1)] * 10, 'cols': [(x0, x1)] * 10 (tile windows with one
    background line around the content), 'A': [(y1 - y0, tile)] per grid row, 'B': per grid
    column, 'C': {(r, c): (y1 - y0, x1 - x0) float background term}}."""
    key = (tile, ORIGINAL_INTERPOLATION)
    if key in _OPERATORS:
        return _OPERATORS[key]
    fig = _comb_figure(tile).astype(np.float64)
    content = ~(fig >= WHITE_LEVEL).all(axis=2)
    windows = []
    for profile in (content.any(axis=1), content.any(axis=0)):
        starts, lengths = _runs(profile)
        if len(starts) != ORIGINAL_GRID:
            raise ValueError('the drawn probe has %d bands of tiles, not %d'
                             % (len(starts), ORIGINAL_GRID))
        windows.append([(int(s) - 1, int(s + n) + 1) for s, n in zip(starts, lengths)])
    rows, cols = windows
    background = fig[..., 2]                       # blue: 0 in every tile, so only C shows
    a, b = [], []
    for r, (y0, y1) in enumerate(rows):            # red combs, read down a column inside tile (r, k)
        resp = np.stack([fig[y0:y1, (cols[k][0] + cols[k][1]) // 2, 0] -
                         background[y0:y1, (cols[k][0] + cols[k][1]) // 2] for k in range(8)])
        a.append(_split_comb(resp / 255.0, tile))
    for c, (x0, x1) in enumerate(cols):            # green combs, read along a row of tile (k, c)
        resp = np.stack([fig[(rows[k][0] + rows[k][1]) // 2, x0:x1, 1] -
                         background[(rows[k][0] + rows[k][1]) // 2, x0:x1] for k in range(8)])
        b.append(_split_comb(resp / 255.0, tile))
    c_term = {(r, c): background[y0:y1, x0:x1]
              for r, (y0, y1) in enumerate(rows) for c, (x0, x1) in enumerate(cols)}
    _OPERATORS[key] = {'rows': rows, 'cols': cols, 'A': a, 'B': b, 'C': c_term}
    return _OPERATORS[key]


def _inverse(op, smoothing):
    """Least-squares inverse of a map with a first-difference penalty along its source lines."""
    d = np.diff(np.eye(op.shape[1]), axis=0)
    return np.linalg.solve(op.T.dot(op) + smoothing * d.T.dot(d), op.T)


def undraw_original(figure, tile=64, smoothing=UNDRAW_SMOOTHING, max_residual=UNDRAW_MAX_RESIDUAL):
    """(tiles, residual): the 64-px images a figure drawn like the original's (original_figure,
    its published Faces_<step>.png) was drawn from, recovered by least squares, uint8 RGB
    (100, tile, tile, 3), row-major, and the RMS misfit of the drawing in grey levels (rounding
    alone gives about 0.15). Unlike split_grid's cut, no resampling is left in the tiles: drawn
    real faces come back within about 1.4 grey levels RMS, with SWD unchanged to 0.02.
    A figure of another size, or one the drawing does not explain (misfit above max_residual),
    is a ValueError."""
    img, name = _image(figure)
    if img.shape[:2] != (ORIGINAL_FIGURE_PX, ORIGINAL_FIGURE_PX):
        raise ValueError('cannot undraw %s: the original\'s figures are %d x %d px, this is %d x %d'
                         % (name, ORIGINAL_FIGURE_PX, ORIGINAL_FIGURE_PX, img.shape[1], img.shape[0]))
    ops = original_operators(tile)
    img = img.astype(np.float64)
    inv_a = [_inverse(op, smoothing) for op in ops['A']]
    inv_b = [_inverse(op, smoothing) for op in ops['B']]
    out = np.empty((ORIGINAL_GRID * ORIGINAL_GRID, tile, tile, 3))
    misfit = 0.0
    for r, (y0, y1) in enumerate(ops['rows']):
        for c, (x0, x1) in enumerate(ops['cols']):
            window = img[y0:y1, x0:x1] - ops['C'][r, c][..., None]
            for ch in range(3):
                x = inv_a[r].dot(window[..., ch]).dot(inv_b[c].T)
                drawn = ops['A'][r].dot(x).dot(ops['B'][c].T)
                misfit += np.mean((window[..., ch] - drawn) ** 2)
                out[r * ORIGINAL_GRID + c, ..., ch] = x
    residual = float(np.sqrt(misfit / (out.shape[0] * 3)))
    if residual > max_residual:
        raise ValueError('cannot undraw %s: it is not drawn the way the original drew its grids '
                         '(misfit %.2f grey levels RMS, at most %.2f expected)'
                         % (name, residual, max_residual))
    return np.clip(np.rint(out), 0, 255).astype(np.uint8), residual


# -- reading -----------------------------------------------------------------------------------
def read_rgb(path):
    """An image file as uint8 RGB, alpha composited over white."""
    import cv2
    try:
        with open(path, 'rb') as f:
            buf = np.frombuffer(f.read(), np.uint8)
    except OSError as e:
        raise ValueError('cannot read grid image %s: %s' % (path, e))
    img = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED) if buf.size else None
    if img is None:
        raise ValueError('cannot decode grid image %s' % path)
    if img.dtype == np.uint16:
        img = (img >> 8).astype(np.uint8)
    if img.ndim == 3 and img.shape[2] == 4:
        img = img[..., [2, 1, 0, 3]]
    elif img.ndim == 3 and img.shape[2] == 3:
        img = img[..., ::-1]
    return _to_rgb(img, path)


def _image(path_or_array):
    """(uint8 RGB image, name for messages) of a file path or an array."""
    if isinstance(path_or_array, np.ndarray):
        name = 'array %s' % (path_or_array.shape,)
        return _to_rgb(path_or_array, name), name
    return read_rgb(str(path_or_array)), str(path_or_array)


def _to_rgb(img, name):
    img = np.asarray(img)
    if img.dtype != np.uint8:
        raise ValueError('grid %s: expected a uint8 image, got %s' % (name, img.dtype))
    if img.ndim == 2:
        img = img[..., None]
    if img.ndim != 3 or img.shape[2] not in (1, 2, 3, 4):
        raise ValueError('grid %s: expected an image (H, W, 3), got shape %s' % (name, img.shape))
    if img.shape[2] in (2, 4):                       # composite the alpha channel over white
        alpha = img[..., -1:].astype(np.float32) / 255.0
        col = img[..., :-1].astype(np.float32)
        img = np.rint(col * alpha + WHITE * (1.0 - alpha)).astype(np.uint8)
    if img.shape[2] == 1:
        img = np.repeat(img, 3, axis=2)
    return np.ascontiguousarray(img)


# -- grid splitting ----------------------------------------------------------------------------
def _runs(mask):
    """(starts, lengths) of the runs of True in a 1-D boolean array."""
    d = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    starts = np.flatnonzero(d == 1)
    ends = np.flatnonzero(d == -1)
    return starts, ends - starts


def _native_count(size, tile, margin, gap):
    """The tile count n with size == 2*margin + n*tile + (n-1)*gap, or None."""
    n, rem = divmod(size - 2 * margin + gap, tile + gap)
    return n if rem == 0 and n >= 1 else None


def _native_layout(white_rows, white_cols, tile, margin=GRID_MARGIN, gap=GRID_GAP):
    """Tile origins if the image has make_grid's exact geometry with white margins and gaps."""
    out = []
    for white in (white_rows, white_cols):
        n = _native_count(len(white), tile, margin, gap)
        if n is None:
            return None
        starts = margin + np.arange(n) * (tile + gap)
        inside = np.zeros(len(white), bool)
        for s in starts:
            inside[s:s + tile] = True
        if not white[~inside].all():                 # content in a margin or gap
            return None
        out.append(starts)
    return out


def _fit_axis(content, n=None):
    """Fit a regular lattice of n tiles (n=None: infer it) to a 1-D content profile.

    `content[i]` is True when image line i holds any non-background pixel. Every run of content
    must fall inside one tile, tiles are `t` long at pitch `p` (floats, so rounding in
    matplotlib's layout is absorbed), and the gaps between tiles are background. Among such
    lattices the best puts the fewest background lines between two runs inside one tile (it
    separates the most gaps), then wraps the least background (n * t): this prefers the true
    pitch over multiples of it, and as a lattice cannot split a run, tiles whose edge lines
    happen to be background, or background lines through a whole band of tiles, do not mislead
    it.
    Ties (a band cut short leaves the pitch free within its slack) go to the lattice with the
    most even margins (grids are drawn centred), then to the one whose tile edges meet the most
    run edges, then to whole-pixel positions.
    Returns (s, p, t, n) or raises ValueError with the reason.
    """
    size = len(content)
    starts, lengths = _runs(content)
    if len(starts) == 0:
        raise ValueError('the image is blank')
    if starts[0] == 0 or starts[-1] + lengths[-1] == size:
        raise ValueError('the content touches the image border (no background margin)')
    if len(starts) > 512:
        raise ValueError('no grid structure (%d separate content bands)' % len(starts))
    b0 = starts[0]
    span = starts[-1] + lengths[-1] - b0
    a = (starts - b0).astype(np.float64)
    lens = lengths.astype(np.float64)
    lmax = lens.max()
    inner = a[1:] - (a[:-1] + lens[:-1])            # background between consecutive runs

    if n == 1 or (n is None and len(starts) == 1):
        return float(b0), float(span + 1), float(span), 1
    if len(starts) == 1:
        raise ValueError('only one band of content, cannot place %d tiles' % n)
    p_lo = lmax + 1.0
    p_hi = float(span) if n is None else (size - lmax) / float(n - 1)
    if p_hi < p_lo:
        raise ValueError('the tiles do not fit %d to a side' % n)

    def score(ps):
        """(swallowed, cost, s, t, count, aligned edges, margin imbalance) per pitch in ps."""
        # Fold the runs onto a circle of circumference p; the smallest arc covering them all is
        # the tile, the largest empty arc is the gap. Runs are shorter than p, so unrolling the
        # circle twice shows every point of [p, 2p) with all the arcs that cover it.
        ps = np.asarray(ps, np.float64)
        rows = np.arange(len(ps))
        st = np.mod(a[None, :], ps[:, None])
        order = np.argsort(st, axis=1)
        st = np.take_along_axis(st, order, axis=1)
        ln = lens[order]
        st2 = np.concatenate([st, st + ps[:, None]], axis=1)
        reach = np.maximum.accumulate(st2 + np.concatenate([ln, ln], axis=1), axis=1)
        r = st.shape[1]
        gaps = st2[:, r:] - reach[:, r - 1:2 * r - 1]     # empty arc ending where arc j starts
        g_idx = np.argmax(gaps, axis=1)
        gap = gaps[rows, g_idx]
        phase = st[rows, g_idx]
        t = ps - gap
        k = np.floor((a[None, :] - phase[:, None]) / ps[:, None] + 1e-7)
        tile0 = phase[:, None] + k * ps[:, None]           # start of each run's tile
        align = (np.abs(a[None, :] - tile0) < 0.25).sum(axis=1) + \
            (np.abs(a[None, :] + lens[None, :] - tile0 - t[:, None]) < 0.25).sum(axis=1)
        # background between runs that share a tile: a gap the lattice failed to separate
        swallowed = ((k[:, 1:] == k[:, :-1]) * inner[None, :]).sum(axis=1)
        kmin, kmax = k.min(axis=1), k.max(axis=1)
        count = (kmax - kmin + 1).astype(int)
        s = b0 + phase + kmin * ps
        imbalance = np.abs(s - (size - (s + (count - 1) * ps + t)))
        cost = np.where(gap >= 1.0 - 1e-9, count * t, np.inf)
        if n is not None:                                  # place absent bands, margins even
            cost[count > n] = np.inf
            for i in np.flatnonzero(np.isfinite(cost)):
                choice = None
                for before in range(n - count[i] + 1):
                    s0 = s[i] - before * ps[i]
                    end = s0 + (n - 1) * ps[i] + t[i]
                    if s0 >= -1e-6 and end <= size + 1e-6:
                        uneven = abs(s0 - (size - end))
                        if choice is None or uneven < choice[0]:
                            choice = (uneven, s0)
                if choice is None:
                    cost[i] = np.inf
                else:
                    cost[i] = n * t[i]
                    imbalance[i], s[i] = choice
            count = np.full(len(ps), n)
        return swallowed, cost, s, t, count, align, imbalance

    def ranked(ps):
        swallowed, cost, s, t, count, align, imbalance = score(ps)
        offgrid = np.round(np.abs(ps - np.round(ps)) + np.abs(s - np.round(s)), 6)
        order = np.lexsort((ps, offgrid, -align, np.round(imbalance, 3), np.round(cost, 6),
                            swallowed))
        order = order[np.isfinite(cost[order])]
        return order, s, t, count, swallowed

    # Coarse search, then a finer one around the best pitches; whole-pixel pitches are always
    # candidates, so a grid drawn at integer positions is fitted exactly.
    coarse = np.union1d(np.arange(p_lo, p_hi + 1e-9, 0.05),
                        np.arange(np.ceil(p_lo), np.floor(p_hi + 1e-9) + 1))
    best = None
    order = ranked(coarse)[0][:5] if len(coarse) else []
    if len(order):
        fine = np.concatenate([np.arange(coarse[i] - 0.05, coarse[i] + 0.0501, 0.0025)
                               for i in order] + [np.round(coarse[order]), coarse[order]])
        fine = np.unique(fine[(fine >= p_lo) & (fine <= p_hi + 1e-9)])
        order, s, t, count, swallowed = ranked(fine)
        if len(order):
            i = order[0]
            best = ((swallowed[i], count[i] * t[i]), s[i], fine[i], t[i], int(count[i]))
    if n is None and (best is None or (inner.sum(), span) < best[0]):
        best = (None, float(b0), float(span + 1), float(span), 1)          # one tile after all
    if best is None:
        raise ValueError('no regular lattice of %d tiles with background gaps fits' % n)
    _, s, p, t, k = best
    return float(s), float(p), float(t), int(k)


def _windows(content, s, p, t, k, refine):
    """Integer [start, end) of each tile; with `refine`, snap to the content where it is whole."""
    out = []
    tol = max(2.0, 0.04 * t)
    for i in range(k):
        lo, hi = s + i * p, s + i * p + t
        w0, w1 = int(np.floor(lo + 1e-6)), int(np.ceil(hi - 1e-6))
        w0, w1 = max(w0, 0), min(w1, len(content))
        if refine:
            idx = np.flatnonzero(content[w0:w1])
            if len(idx) and idx[-1] + 1 - idx[0] >= (w1 - w0) - tol:
                w0, w1 = w0 + int(idx[0]), w0 + int(idx[-1]) + 1
        out.append((w0, w1))
    return out


def _parse_expect(expect):
    """(total, rows, cols, side) from None, an int tile count or a (rows, cols) pair."""
    if expect is None:
        return None, None, None, None
    if isinstance(expect, (tuple, list)):
        rows, cols = int(expect[0]), int(expect[1])
        return rows * cols, rows, cols, None
    total = int(expect)
    root = int(round(np.sqrt(total)))
    return total, None, None, (root if root * root == total else None)


def split_grid(path_or_array, tile_size=64, expect=None):
    """Split a sample-grid image into its tiles: uint8 RGB (N, tile_size, tile_size, 3), row-major.

    Handles this package's grids (make_grid: white margin 16, gaps 8, tiles 1:1, recovered
    exactly) and the original's matplotlib figures (tiles near 74 px at an irregular pitch, each
    resized with INTER_AREA). Lines that are background across the whole image are the gap
    candidates; a regular lattice is fitted to them per axis (see _fit_axis), so tiles with
    white edges, or wholly white tiles (also in a corner: a lattice cell is kept whatever its
    content), are still cut at their true place. `expect` is the tile count (int) or
    (rows, cols); a square count also fixes rows and cols when the inference disagrees (e.g. an
    all-white last row). Raises ValueError naming the file when the image is not such a grid.
    """
    import cv2
    img, name = _image(path_or_array)
    try:
        return _split(img, tile_size, expect, cv2)
    except ValueError as e:
        raise ValueError('cannot split %s into a grid of tiles: %s' % (name, e))


def _split(img, tile_size, expect, cv2):
    total, rows_fixed, cols_fixed, side = _parse_expect(expect)
    background = (img >= WHITE_LEVEL).all(axis=2)
    white_rows = background.all(axis=1)
    white_cols = background.all(axis=0)

    # This package's own layout, at its exact geometry: use it as is.
    native = _native_layout(white_rows, white_cols, tile_size)
    if native is not None:
        ys, xs = native
        if (rows_fixed is None or (len(ys), len(xs)) == (rows_fixed, cols_fixed)) and \
                (total is None or len(ys) * len(xs) == total):
            tiles = [img[y:y + tile_size, x:x + tile_size] for y in ys for x in xs]
            return np.stack(tiles)

    content_rows, content_cols = ~white_rows, ~white_cols
    if rows_fixed is not None:
        fits = [_fit_axis(content_rows, rows_fixed), _fit_axis(content_cols, cols_fixed)]
    else:
        fits = [_fit_axis(content_rows), _fit_axis(content_cols)]
        found = fits[0][3] * fits[1][3]
        if total is not None and found != total:
            why = 'found %dx%d tiles, expected %d' % (fits[0][3], fits[1][3], total)
            if side is None:
                raise ValueError(why)
            try:
                fits = [_fit_axis(content_rows, side), _fit_axis(content_cols, side)]
            except ValueError as e:
                raise ValueError('%s (%s)' % (why, e))
        elif total is None and found < 2:
            raise ValueError('found a single block of content, not a grid of tiles')
    (sy, py, ty, ny), (sx, px, tx, nx) = fits
    for t, p in ((ty, py), (tx, px)):
        if t < 4:
            raise ValueError('tiles of %.1f px are too small' % t)
    if max(ty, tx) > 2.5 * min(ty, tx):
        raise ValueError('tiles of %.0fx%.0f px are not near square' % (ty, tx))
    exact = all(abs(v - round(v)) < 1e-6 for v in (sy, py, ty, sx, px, tx)) and \
        int(round(ty)) == tile_size and int(round(tx)) == tile_size
    ywin = _windows(content_rows, sy, py, ty, ny, refine=not exact)
    xwin = _windows(content_cols, sx, px, tx, nx, refine=not exact)
    tiles = np.empty((ny * nx, tile_size, tile_size, 3), np.uint8)
    for r, (y0, y1) in enumerate(ywin):
        for c, (x0, x1) in enumerate(xwin):
            tile = img[y0:y1, x0:x1]
            if tile.shape[:2] != (tile_size, tile_size):
                tile = cv2.resize(tile, (tile_size, tile_size), interpolation=cv2.INTER_AREA)
            tiles[r * nx + c] = tile
    return tiles


def split_padded_grid(path_or_array, rows, cols, tile_size=64, padding=2):
    """The tiles of a grid with exact pixel geometry, as torchvision's make_grid draws it:
    `rows` x `cols` tiles of tile_size px, `padding` px of one colour around and between them.

    Returns uint8 RGB (rows * cols, tile_size, tile_size, 3), row-major, cut exactly (no
    resampling). Raises ValueError when the image size or its padding do not match.
    """
    img, name = _image(path_or_array)
    pitch = tile_size + padding
    want = (padding + rows * pitch, padding + cols * pitch)
    if img.shape[:2] != want:
        raise ValueError('%s is %dx%d px; a %dx%d grid of %d-px tiles with %d-px padding is %dx%d'
                         % (name, img.shape[1], img.shape[0], rows, cols, tile_size, padding,
                            want[1], want[0]))
    inside = np.zeros(want, bool)
    starts_y = padding + np.arange(rows) * pitch
    starts_x = padding + np.arange(cols) * pitch
    for y in starts_y:
        for x in starts_x:
            inside[y:y + tile_size, x:x + tile_size] = True
    pad = img[~inside]
    if padding and not (pad == pad[0]).all():
        raise ValueError('%s: the lines between the tiles are not of one colour, so it is not a '
                         '%dx%d grid with %d-px padding' % (name, rows, cols, padding))
    return np.stack([img[y:y + tile_size, x:x + tile_size] for y in starts_y for x in starts_x])
