"""Download-free image-set metrics (SWD, MS-SSIM, nearest neighbours, checkerboard energy) and an
optional FID."""
import os
import warnings

import numpy as np

# cv2, scipy and Keras are imported inside the functions that use them: compare.py loads this
# module for --help.

# -- sliced Wasserstein distance on Laplacian-pyramid patches (Karras et al. 2018) --------------
SWD_LEVELS = (64, 32, 16)
SWD_PATCH = 7
SWD_PATCHES_PER_IMAGE = 128
SWD_REPEATS = 4
SWD_DIRECTIONS = 128


def _check(images, name='images'):
    images = np.asarray(images)
    if images.ndim != 4 or images.shape[-1] != 3:
        raise ValueError('%s: expected (N, H, W, 3) RGB images, got shape %s'
                         % (name, images.shape))
    if len(images) == 0:
        raise ValueError('%s: the set is empty' % name)
    return images


def laplacian_pyramid(image, levels=3):
    """Float32 Laplacian pyramid of one (H, W, 3) image, finest first; the last is Gaussian."""
    import cv2
    g = np.asarray(image, np.float32)
    out = []
    for _ in range(levels - 1):
        down = cv2.pyrDown(g)
        up = cv2.pyrUp(down, dstsize=(g.shape[1], g.shape[0]))
        out.append(g - up)
        g = down
    out.append(g)
    return out


def _descriptors(images, rng, levels):
    """Per level, (N * 128, 7*7*3) float32 patches at random valid centres, per-set normalised."""
    n, h = images.shape[:2]
    pyramids = [laplacian_pyramid(img, len(levels)) for img in images]
    out = []
    for lev in range(len(levels)):
        stack = np.stack([p[lev] for p in pyramids])            # (N, S, S, 3)
        size_y, size_x = stack.shape[1:3]
        if size_y < SWD_PATCH or size_x < SWD_PATCH:
            raise ValueError('images of %dx%d are too small for %d SWD levels'
                             % (h, images.shape[2], len(levels)))
        ys = rng.randint(0, size_y - SWD_PATCH + 1, size=(n, SWD_PATCHES_PER_IMAGE))
        xs = rng.randint(0, size_x - SWD_PATCH + 1, size=(n, SWD_PATCHES_PER_IMAGE))
        off = np.arange(SWD_PATCH)
        yy = ys[:, :, None, None] + off[None, None, :, None]    # (N, P, 7, 1)
        xx = xs[:, :, None, None] + off[None, None, None, :]    # (N, P, 1, 7)
        idx = np.arange(n)[:, None, None, None]
        patches = stack[idx, yy, xx]                             # (N, P, 7, 7, 3)
        patches = patches.reshape(-1, SWD_PATCH, SWD_PATCH, 3)
        flat = patches.reshape(-1, 3)
        mean = flat.mean(axis=0, dtype=np.float64)
        std = flat.std(axis=0, dtype=np.float64)
        std[std < 1e-8] = 1.0
        patches -= mean.astype(np.float32)
        patches /= std.astype(np.float32)
        out.append(patches.reshape(len(patches), -1))
    return out


def sliced_wasserstein(a, b, rng, repeats=SWD_REPEATS, directions=SWD_DIRECTIONS):
    """Mean over `repeats` x `directions` random unit projections of the 1-D Wasserstein-1
    distance between two descriptor sets (rows); the larger set is subsampled to the smaller."""
    if len(a) != len(b):
        m = min(len(a), len(b))
        if len(a) > m:
            a = a[np.sort(rng.choice(len(a), m, replace=False))]
        else:
            b = b[np.sort(rng.choice(len(b), m, replace=False))]
    results = []
    for _ in range(repeats):
        dirs = rng.randn(a.shape[1], directions)
        dirs /= np.sqrt(np.sum(dirs * dirs, axis=0, keepdims=True))
        dirs = np.ascontiguousarray(dirs.T, np.float32)         # (directions, dim)
        pa = np.sort(dirs.dot(a.T), axis=1)                      # sort contiguous rows
        pb = np.sort(dirs.dot(b.T), axis=1)
        results.append(np.mean(np.abs(pa - pb), dtype=np.float64))
    return float(np.mean(results))


def swd(a, b, seed=0, levels=SWD_LEVELS):
    """Sliced Wasserstein distance between two uint8 RGB sets, x1e3, per pyramid level.

    Protocol of Karras et al. (ICLR 2018): Laplacian pyramid at 64, 32 and 16 px (the 16 px
    level is the Gaussian level itself), 128 random 7x7x3 patches per image and level, each set
    normalised per colour channel with its own mean and std, 4 repeats x 128 random unit
    projections. Returns {'levels': {64: .., 32: .., 16: ..}, 'mean': ..}; lower is closer.
    """
    a, b = _check(a, 'a'), _check(b, 'b')
    if a.shape[1:] != b.shape[1:]:
        raise ValueError('swd: image shapes differ: %s vs %s' % (a.shape[1:], b.shape[1:]))
    rng = np.random.RandomState(seed)
    levels = tuple(int(v) for v in levels)
    da = _descriptors(a, rng, levels)
    db = _descriptors(b, rng, levels)
    per = {}
    for lev, size in enumerate(levels):
        per[size] = 1e3 * sliced_wasserstein(da[lev], db[lev], rng)
    return {'levels': per, 'mean': float(np.mean(list(per.values())))}


def swd_floor(real, seed=0, n=None):
    """SWD between two disjoint random parts of a real set: the real-vs-real floor.

    The first part has `n` images (default half the set), the second the rest; pass n equal to
    the size of the set under test for a size-matched floor.
    """
    real = _check(real, 'real')
    if len(real) < 2:
        raise ValueError('swd_floor needs at least 2 images')
    n = len(real) // 2 if n is None else int(n)
    if not 1 <= n < len(real):
        raise ValueError('swd_floor: n must be between 1 and %d' % (len(real) - 1))
    order = np.random.RandomState(seed).permutation(len(real))
    return swd(real[order[:n]], real[order[n:]], seed=seed)


# -- fine scale: the 2-pixel period (checkerboard) -----------------------------------------------
HIGH_BAND = 0.25      # cycles per pixel: periods of 4 px and less, about the SWD's 64-px level


def checkerboard_energy(images, high=HIGH_BAND):
    """The energy of each image's 2-pixel-period component (a 2x2 checkerboard) and its share of
    the high frequencies, from the 2-D FFT of each channel (mean removed).

    Power is per pixel in grey levels squared, so that a channel's power sums to its variance;
    per image the channels are averaged. `checkerboard` is the power at the Nyquist frequencies
    (h/2, 0), (0, w/2) and (h/2, w/2): the part of the image that repeats every 2x2 pixels
    (equal to the variance of the four 2x2-phase means), the pattern that kernel-2, stride-2
    transposed convolutions leave; `high` is the power at frequencies of at least `high` cycles
    per pixel along either axis (Nyquist included). Returns {'checkerboard': (N,), 'high': (N,),
    'checkerboard_rms', 'high_rms' (square roots of the set means: grey levels) and 'share'
    (the set's checkerboard power over its high power)}. A pure checkerboard has share 1 and
    checkerboard_rms equal to its amplitude; a smooth image has about none.
    """
    x = _check(images).astype(np.float64)
    h, w = x.shape[1:3]
    if h % 2 or w % 2 or h < 4 or w < 4:
        raise ValueError('checkerboard_energy needs even image sides of at least 4, got %dx%d'
                         % (h, w))
    x -= x.mean(axis=(1, 2), keepdims=True)
    power = np.abs(np.fft.fft2(x, axes=(1, 2))) ** 2 / float(h * w) ** 2      # (N, h, w, 3)
    nyquist = power[:, h // 2, 0] + power[:, 0, w // 2] + power[:, h // 2, w // 2]
    fy = np.abs(np.fft.fftfreq(h))[:, None]
    fx = np.abs(np.fft.fftfreq(w))[None, :]
    band = np.maximum(fy, fx) >= high
    high_power = power[:, band].sum(axis=1)
    nyquist, high_power = nyquist.mean(axis=-1), high_power.mean(axis=-1)
    total = high_power.sum()
    return {'checkerboard': nyquist, 'high': high_power,
            'checkerboard_rms': float(np.sqrt(nyquist.mean())),
            'high_rms': float(np.sqrt(high_power.mean())),
            'share': float(nyquist.sum() / total) if total > 0 else 0.0}


# -- MS-SSIM (Wang, Simoncelli and Bovik 2003) ---------------------------------------------------
MS_SSIM_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)
SSIM_WINDOW = 11
SSIM_SIGMA = 1.5
SSIM_K1 = 0.01
SSIM_K2 = 0.03
DATA_RANGE = 255.0


def _gaussian(size, sigma):
    x = np.arange(size, dtype=np.float64) - (size - 1) / 2.0
    g = np.exp(-x * x / (2.0 * sigma * sigma))
    return g / g.sum()


def _filter_valid(x, g):
    """Separable 'valid' filtering of (N, H, W, C) over H and W."""
    k = len(g)
    h, w = x.shape[1] - k + 1, x.shape[2] - k + 1
    y = sum(g[i] * x[:, i:i + h] for i in range(k))
    return sum(g[i] * y[:, :, i:i + w] for i in range(k))


def _ssim_terms(x, y):
    """Per pair (mean contrast-structure, mean SSIM) of float64 (N, H, W, C) batches."""
    size = min(SSIM_WINDOW, x.shape[1], x.shape[2])
    g = _gaussian(size, SSIM_SIGMA * size / float(SSIM_WINDOW))
    c1 = (SSIM_K1 * DATA_RANGE) ** 2
    c2 = (SSIM_K2 * DATA_RANGE) ** 2
    mx, my = _filter_valid(x, g), _filter_valid(y, g)
    sxx = _filter_valid(x * x, g) - mx * mx
    syy = _filter_valid(y * y, g) - my * my
    sxy = _filter_valid(x * y, g) - mx * my
    cs = (2.0 * sxy + c2) / (sxx + syy + c2)
    lum = (2.0 * mx * my + c1) / (mx * mx + my * my + c1)
    axes = tuple(range(1, x.ndim))
    return cs.mean(axis=axes), (lum * cs).mean(axis=axes)


def _pool2(x):
    h, w = x.shape[1] // 2 * 2, x.shape[2] // 2 * 2
    x = x[:, :h, :w]
    return 0.25 * (x[:, 0::2, 0::2] + x[:, 1::2, 0::2] + x[:, 0::2, 1::2] + x[:, 1::2, 1::2])


def ms_ssim_batch(x, y):
    """MS-SSIM of each pair (x[i], y[i]) of uint8 RGB batches (N, H, W, 3) -> float64 (N,).

    Five scales, 2x2 average pooling between them; contrast-structure at scales 1-4 and
    luminance x contrast-structure at the coarsest, with the weights of Wang et al. 2003. The
    Gaussian window (11, sigma 1.5) shrinks with the image when a scale is smaller than 11,
    sigma in proportion. Terms are averaged over positions and colour channels; negative terms
    (anti-correlated structure) are clipped to 0 before the fractional powers.
    """
    x = np.asarray(x, np.float64)
    y = np.asarray(y, np.float64)
    if x.shape != y.shape or x.ndim != 4:
        raise ValueError('ms_ssim: need two equal (N, H, W, C) batches, got %s and %s'
                         % (x.shape, y.shape))
    scales = len(MS_SSIM_WEIGHTS)
    if min(x.shape[1:3]) < 2 ** (scales - 1):
        raise ValueError('ms_ssim: images of %s px are too small for %d scales'
                         % (x.shape[1:3], scales))
    result = np.ones(len(x))
    for s, weight in enumerate(MS_SSIM_WEIGHTS):
        cs, full = _ssim_terms(x, y)
        term = full if s == scales - 1 else cs
        result *= np.maximum(term, 0.0) ** weight
        if s < scales - 1:
            x, y = _pool2(x), _pool2(y)
    return result


def ms_ssim(x, y):
    """MS-SSIM of two uint8 RGB images (H, W, 3); 1 for identical images."""
    return float(ms_ssim_batch(np.asarray(x)[None], np.asarray(y)[None])[0])


def ms_ssim_diversity(images, pairs=None, seed=0, batch=256):
    """Mean MS-SSIM over pairs of a set; higher means less diverse (identical images give 1).

    pairs=None uses disjoint consecutive pairs (0,1), (2,3), ... of the set as given, so every
    image is used once (samples from independent latents are in random order already; shuffle
    an ordered real set first, e.g. with imagesets.subsample). An int draws that many random
    pairs of two distinct images with `seed`; an (M, 2) array gives the pairs explicitly.
    """
    images = _check(images)
    n = len(images)
    if pairs is None:
        if n < 2:
            raise ValueError('ms_ssim_diversity needs at least 2 images')
        first = np.arange(0, n - 1, 2)
        pairs = np.stack([first, first + 1], axis=1)
    elif np.isscalar(pairs):
        if n < 2:
            raise ValueError('ms_ssim_diversity needs at least 2 images')
        rng = np.random.RandomState(seed)
        i = rng.randint(0, n, size=int(pairs))
        j = (i + rng.randint(1, n, size=int(pairs))) % n        # always a different image
        pairs = np.stack([i, j], axis=1)
    else:
        pairs = np.asarray(pairs, int).reshape(-1, 2)
    values = []
    for start in range(0, len(pairs), batch):
        p = pairs[start:start + batch]
        values.append(ms_ssim_batch(images[p[:, 0]], images[p[:, 1]]))
    return float(np.mean(np.concatenate(values)))


# -- memorisation ------------------------------------------------------------------------------
NEAR_COPY_RMS = 0.05


def nearest_neighbours(generated, train, threshold=NEAR_COPY_RMS, chunk=256, shortlist=4):
    """For each generated image, its nearest training image by per-pixel RMS on [0, 1] pixels.

    Returns {'distance': (G,) RMS distances, 'index': (G,) training indices, 'mean', 'median',
    'min', 'max', 'threshold', 'near_copies' (count with distance < threshold) and
    'near_copy_share'}. The default threshold 0.05 (about 13 grey levels RMS) is well above
    JPEG re-encoding noise and far below the distance between two different faces of the real
    set. Work is chunked (float32 dot products, `chunk` x `chunk` blocks, then an exact float64
    check of the best `shortlist` candidates), so 1,000 x 4,096 images need well under 100 MB.
    """
    generated, train = _check(generated, 'generated'), _check(train, 'train')
    if generated.shape[1:] != train.shape[1:]:
        raise ValueError('nearest_neighbours: image shapes differ: %s vs %s'
                         % (generated.shape[1:], train.shape[1:]))
    d = int(np.prod(train.shape[1:]))
    g_count, t_count = len(generated), len(train)
    k = min(int(shortlist), t_count)

    def flat(x):
        return x.reshape(len(x), d).astype(np.float32) / np.float32(255.0)

    t_norm = np.empty(t_count, np.float32)
    for s in range(0, t_count, chunk):
        t = flat(train[s:s + chunk])
        t_norm[s:s + chunk] = np.einsum('ij,ij->i', t, t)
    best_d = np.full((g_count, k), np.inf, np.float32)
    best_i = np.zeros((g_count, k), np.int64)
    for gs in range(0, g_count, chunk):
        g = flat(generated[gs:gs + chunk])
        g_norm = np.einsum('ij,ij->i', g, g)
        cand_d, cand_i = best_d[gs:gs + chunk], best_i[gs:gs + chunk]
        for ts in range(0, t_count, chunk):
            t = flat(train[ts:ts + chunk])
            sq = g_norm[:, None] + t_norm[None, ts:ts + len(t)] - 2.0 * g.dot(t.T)
            all_d = np.concatenate([cand_d, sq], axis=1)
            all_i = np.concatenate([cand_i, np.arange(ts, ts + len(t))[None].repeat(len(g), 0)],
                                   axis=1)
            part = np.argpartition(all_d, k - 1, axis=1)[:, :k]
            cand_d = np.take_along_axis(all_d, part, axis=1)
            cand_i = np.take_along_axis(all_i, part, axis=1)
        best_d[gs:gs + chunk], best_i[gs:gs + chunk] = cand_d, cand_i
    # Exact distances for the shortlisted candidates (float32 dot products lose precision).
    distance = np.empty(g_count)
    index = np.empty(g_count, np.int64)
    for i in range(g_count):
        g = generated[i].astype(np.float64).ravel() / 255.0
        cands = best_i[i]
        diffs = train[cands].reshape(len(cands), d).astype(np.float64) / 255.0 - g
        rms = np.sqrt(np.mean(diffs * diffs, axis=1))
        j = int(np.argmin(rms))
        distance[i], index[i] = rms[j], cands[j]
    near = int(np.sum(distance < threshold))
    return {
        'distance': distance, 'index': index,
        'mean': float(distance.mean()), 'median': float(np.median(distance)),
        'min': float(distance.min()), 'max': float(distance.max()),
        'threshold': float(threshold), 'near_copies': near,
        'near_copy_share': near / float(g_count),
    }


# -- optional FID ------------------------------------------------------------------------------
def frechet_distance(mu1, sigma1, mu2, sigma2, eps=1e-6):
    """Frechet distance between Gaussians N(mu1, sigma1) and N(mu2, sigma2).

    |mu1 - mu2|^2 + tr(sigma1 + sigma2 - 2 (sigma1 sigma2)^(1/2)). A singular product gets
    eps * I added to both covariances; an imaginary part of the square root from rounding is
    dropped (a large one is a ValueError).
    """
    from scipy import linalg
    mu1 = np.atleast_1d(np.asarray(mu1, np.float64))
    mu2 = np.atleast_1d(np.asarray(mu2, np.float64))
    sigma1 = np.atleast_2d(np.asarray(sigma1, np.float64))
    sigma2 = np.atleast_2d(np.asarray(sigma2, np.float64))
    if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape or \
            sigma1.shape != (len(mu1), len(mu1)):
        raise ValueError('frechet_distance: shapes do not match: mu %s %s, sigma %s %s'
                         % (mu1.shape, mu2.shape, sigma1.shape, sigma2.shape))
    diff = mu1 - mu2
    with warnings.catch_warnings():            # finiteness is checked below
        warnings.simplefilter('ignore', RuntimeWarning)
        covmean, _ = linalg.sqrtm(sigma1.dot(sigma2), disp=False)
        if not np.isfinite(covmean).all():
            offset = np.eye(len(mu1)) * eps
            covmean, _ = linalg.sqrtm((sigma1 + offset).dot(sigma2 + offset), disp=False)
    if not np.isfinite(covmean).all():
        raise ValueError('frechet_distance: the covariance product has no finite square root')
    if np.iscomplexobj(covmean):
        scale = max(1.0, np.abs(covmean).max())
        if np.abs(covmean.imag).max() > 1e-3 * scale:
            raise ValueError('frechet_distance: the covariance square root has a large imaginary '
                             'part (%g)' % np.abs(covmean.imag).max())
        covmean = covmean.real
    return float(diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2.0 * np.trace(covmean))


def activation_statistics(acts):
    """Mean and covariance (rows are samples) of an activation matrix."""
    acts = np.asarray(acts, np.float64)
    return acts.mean(axis=0), np.cov(acts, rowvar=False)


def inception_activations(images, model, batch=50):
    """2048-d pool activations of uint8 RGB images resized to 299x299 (bilinear)."""
    import cv2
    from keras.applications.inception_v3 import preprocess_input
    out = []
    for s in range(0, len(images), batch):
        chunk = np.stack([cv2.resize(im, (299, 299), interpolation=cv2.INTER_LINEAR)
                          for im in images[s:s + batch]]).astype(np.float32)
        out.append(model.predict(preprocess_input(chunk), batch_size=len(chunk)))
    return np.concatenate(out)


def load_inception(weights_path):
    """InceptionV3 (no top, average pooling) from a local weights file; never downloads."""
    if not weights_path or not os.path.isfile(str(weights_path)):
        raise FileNotFoundError('Inception-v3 weights file %s not found; FID needs a local copy of '
                                'the no-top InceptionV3 .h5 weights (nothing is downloaded)'
                                % weights_path)
    from keras.applications.inception_v3 import InceptionV3
    return InceptionV3(include_top=False, pooling='avg', weights=str(weights_path),
                       input_shape=(299, 299, 3))


def fid(a, b, inception_weights_path, batch=50):
    """FID between two uint8 RGB sets with user-supplied Inception-v3 weights (optional metric)."""
    a, b = _check(a, 'a'), _check(b, 'b')
    model = load_inception(inception_weights_path)
    mu1, s1 = activation_statistics(inception_activations(a, model, batch))
    mu2, s2 = activation_statistics(inception_activations(b, model, batch))
    return frechet_distance(mu1, s1, mu2, s2)
