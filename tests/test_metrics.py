"""Download-free metrics: SWD, MS-SSIM, nearest neighbours, checkerboard energy and the Frechet
distance."""
import cv2
import numpy as np
import pytest
from scipy import linalg

from gan.eval import metrics as M


def synthetic(n, seed):
    """Smooth colour gradients with random anti-aliased ellipses and lines, uint8 (n, 64, 64, 3)."""
    rng = np.random.RandomState(seed)
    out = np.empty((n, 64, 64, 3), np.uint8)
    yy, xx = np.mgrid[0:64, 0:64] / 63.0

    def colour():
        return tuple(float(v) for v in rng.uniform(0, 255, 3))

    for i in range(n):
        c0, c1 = rng.uniform(0, 255, 3), rng.uniform(0, 255, 3)
        w = (yy * rng.uniform(-1, 1) + xx * rng.uniform(-1, 1))[..., None]
        w = (w - w.min()) / (np.ptp(w) + 1e-9)
        img = np.ascontiguousarray(c0 * (1 - w) + c1 * w)
        for _ in range(rng.randint(3, 7)):
            centre = tuple(int(v) for v in rng.randint(0, 64, 2))
            axes = tuple(int(v) for v in rng.randint(3, 20, 2))
            cv2.ellipse(img, centre, axes, float(rng.uniform(0, 180)), 0, 360, colour(), -1,
                        cv2.LINE_AA)
        for _ in range(rng.randint(1, 4)):
            p0 = tuple(int(v) for v in rng.randint(0, 64, 2))
            p1 = tuple(int(v) for v in rng.randint(0, 64, 2))
            cv2.line(img, p0, p1, colour(), int(rng.randint(1, 3)), cv2.LINE_AA)
        out[i] = np.clip(img, 0, 255).astype(np.uint8)
    return out


def noisy(x, sigma, seed=0):
    rng = np.random.RandomState(seed)
    return np.clip(x + rng.randn(*x.shape) * sigma, 0, 255).astype(np.uint8)


def blurred(x, sigma):
    return np.stack([cv2.GaussianBlur(im, (0, 0), sigma) for im in x])


def uniform_noise(n, seed, size=64):
    return np.random.RandomState(seed).randint(0, 256, (n, size, size, 3)).astype(np.uint8)


@pytest.fixture(scope='module')
def sets():
    return synthetic(12, 1), synthetic(12, 2), synthetic(24, 3)


@pytest.fixture(scope='module')
def base_swd(sets):
    a, b, _ = sets
    return M.swd(a, b, seed=0)


@pytest.fixture(scope='module')
def floor(sets):
    return M.swd_floor(sets[2], seed=0)                # 12 vs 12 images, disjoint


# -- SWD ---------------------------------------------------------------------------------------
def test_laplacian_pyramid_levels():
    img = synthetic(1, 5)[0]
    pyr = M.laplacian_pyramid(img, 3)
    assert [p.shape for p in pyr] == [(64, 64, 3), (32, 32, 3), (16, 16, 3)]
    # the band-pass levels are near zero-mean, the coarsest is a blurred image
    assert abs(pyr[0].mean()) < 2 and abs(pyr[1].mean()) < 5
    assert abs(pyr[2].mean() - img.mean()) < 3
    # the pyramid reconstructs the image
    up = cv2.pyrUp(pyr[2], dstsize=(32, 32)) + pyr[1]
    assert np.allclose(cv2.pyrUp(up, dstsize=(64, 64)) + pyr[0], img, atol=1e-3)


def test_swd_report_and_determinism(sets, base_swd):
    a, b, _ = sets
    assert sorted(base_swd['levels']) == [16, 32, 64]
    assert base_swd['mean'] == pytest.approx(np.mean(list(base_swd['levels'].values())))
    assert all(v > 0 for v in base_swd['levels'].values())
    assert M.swd(a, b, seed=0) == base_swd


def test_swd_of_same_distribution_is_near_the_floor(sets, base_swd, floor):
    a, b, c = sets
    # independent sets from the same distribution sit at the floor
    assert 0.6 * floor['mean'] < base_swd['mean'] < 1.6 * floor['mean']
    # the same set (other patch centres) is below it
    assert M.swd(a, a, seed=0)['mean'] < floor['mean']


def swd_series(sets, base_swd, spoil, strengths):
    """SWD of set b spoiled ever more against set a: checks that the means grow, returns the 64-px
    levels (the unspoiled one first)."""
    a, b, _ = sets
    runs = [base_swd] + [M.swd(a, spoil(b, s), seed=0) for s in strengths]
    means = [r['mean'] for r in runs]
    assert means == sorted(means) and len(set(means)) == len(runs), means
    return [r['levels'][64] for r in runs]


def test_swd_grows_with_noise(sets, base_swd, floor):
    fine = swd_series(sets, base_swd, noisy, (8, 24, 64))
    assert fine == sorted(fine) and fine[-1] > 4 * fine[0], fine
    assert fine[2] > 3 * floor['levels'][64]


def test_swd_grows_with_blur(sets, base_swd):
    fine = swd_series(sets, base_swd, blurred, (1.0, 2.0, 4.0))
    assert fine == sorted(fine) and fine[-1] > 3 * fine[0], fine


def test_sliced_wasserstein_of_shifted_gaussians():
    # For a shift d along a random unit direction u the 1-D distance is |d . u|; averaged over
    # uniform directions in 2-D that is |d| * 2 / pi.
    rng = np.random.RandomState(0)
    x = rng.randn(5000, 2).astype(np.float32)
    y = (rng.randn(5000, 2) + [3.0, 0.0]).astype(np.float32)
    got = M.sliced_wasserstein(x, y, np.random.RandomState(1), repeats=4, directions=128)
    assert got == pytest.approx(3.0 * 2 / np.pi, rel=0.05)


# -- checkerboard energy -----------------------------------------------------------------------
CHECKER = np.where(np.add.outer(np.arange(64), np.arange(64)) % 2, 1, -1)[..., None]   # +-1


def checkerboard(n, amplitude, grey=128):
    """uint8 (n, 64, 64, 3): grey +- amplitude in a 1-pixel checkerboard."""
    return np.repeat((grey + amplitude * CHECKER)[None], n, 0).repeat(3, -1).astype(np.uint8)


def test_checkerboard_energy_of_a_pure_checkerboard_is_all_at_nyquist():
    e = M.checkerboard_energy(checkerboard(3, 20))
    assert e['checkerboard_rms'] == pytest.approx(20.0)        # its amplitude, in grey levels
    assert e['high_rms'] == pytest.approx(20.0)
    assert e['share'] == pytest.approx(1.0)
    assert e['checkerboard'].shape == (3,)


def test_checkerboard_energy_of_smooth_images_is_nearly_none():
    yy, xx = np.mgrid[0:64, 0:64]
    wave = 128 + 60 * np.cos(2 * np.pi * (3 * xx + 2 * yy) / 64.0)      # periodic, 3 cycles
    e = M.checkerboard_energy(np.repeat(np.rint(wave)[None, ..., None], 3, -1).astype(np.uint8))
    assert e['checkerboard_rms'] < 0.3 and e['share'] < 0.01       # rounding only
    # non-periodic images: their wrapped edges leave a little at every frequency
    smooth = M.checkerboard_energy(blurred(synthetic(8, 4), 2.0))
    assert smooth['checkerboard_rms'] < 1.0 and smooth['share'] < 0.02


def test_checkerboard_energy_is_the_2x2_periodic_part_and_adds_up():
    """The Nyquist power equals the variance of the 2x2-phase means; a checkerboard added to
    smooth images raises it by the checkerboard's power."""
    x = synthetic(6, 5)
    e = M.checkerboard_energy(x)
    f = x.astype(np.float64)
    phases = np.stack([f[:, i::2, j::2].mean(axis=(1, 2)) for i in (0, 1) for j in (0, 1)], 1)
    assert e['checkerboard'] == pytest.approx(phases.var(axis=1).mean(axis=-1), rel=1e-9)
    with_cb = np.clip(blurred(x, 2.0) * 0.8 + 25 + 10 * CHECKER, 0, 255).astype(np.uint8)
    e2 = M.checkerboard_energy(with_cb)
    assert 9.0 < e2['checkerboard_rms'] < 11.0 and e2['share'] > 0.5
    with pytest.raises(ValueError):
        M.checkerboard_energy(x[:, :63, :63])


# -- MS-SSIM -----------------------------------------------------------------------------------
def test_ms_ssim_identical_is_one_and_noise_near_zero():
    x = synthetic(1, 7)[0]
    assert abs(M.ms_ssim(x, x) - 1.0) < 1e-6
    n1, n2 = uniform_noise(2, 0)
    assert abs(M.ms_ssim(n1, n1) - 1.0) < 1e-6
    assert 0.0 <= M.ms_ssim(n1, n2) < 0.1
    assert M.ms_ssim(x, n1) == pytest.approx(M.ms_ssim(n1, x))


def test_ms_ssim_falls_with_distortion():
    x = synthetic(1, 8)[0]
    values = [M.ms_ssim(x, noisy(x[None], s)[0]) for s in (4, 16, 48)]
    assert 1.0 > values[0] > values[1] > values[2] > 0.0, values
    values = [M.ms_ssim(x, blurred(x[None], s)[0]) for s in (0.5, 1.5, 4)]
    assert 1.0 > values[0] > values[1] > values[2] > 0.0, values


def test_ssim_terms_match_a_direct_window_computation():
    rng = np.random.RandomState(3)
    x = rng.rand(1, 13, 12, 1) * 255
    y = np.clip(x + rng.randn(*x.shape) * 30, 0, 255)
    cs, full = M._ssim_terms(x, y)
    g = M._gaussian(11, 1.5)
    w = np.outer(g, g)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    cs_vals, ssim_vals = [], []
    for i in range(3):
        for j in range(2):
            px, py = x[0, i:i + 11, j:j + 11, 0], y[0, i:i + 11, j:j + 11, 0]
            mx, my = (w * px).sum(), (w * py).sum()
            vx, vy = (w * (px - mx) ** 2).sum(), (w * (py - my) ** 2).sum()
            cxy = (w * (px - mx) * (py - my)).sum()
            c = (2 * cxy + c2) / (vx + vy + c2)
            cs_vals.append(c)
            ssim_vals.append(c * (2 * mx * my + c1) / (mx * mx + my * my + c1))
    assert cs[0] == pytest.approx(np.mean(cs_vals), rel=1e-9)
    assert full[0] == pytest.approx(np.mean(ssim_vals), rel=1e-9)


def test_ms_ssim_small_images_shrink_the_window():
    x = synthetic(1, 9)[0]
    small = cv2.resize(x, (16, 16), interpolation=cv2.INTER_AREA)
    assert abs(M.ms_ssim(small, small) - 1.0) < 1e-6
    assert M.ms_ssim(small, noisy(small[None], 30)[0]) < 1.0
    with pytest.raises(ValueError):
        M.ms_ssim(small[:8, :8], small[:8, :8])


def test_ms_ssim_diversity():
    same = np.repeat(synthetic(1, 10), 6, axis=0)
    assert abs(M.ms_ssim_diversity(same) - 1.0) < 1e-6
    varied = synthetic(12, 11)
    near_duplicates = noisy(np.repeat(varied[:1], 12, axis=0), 6)
    d_varied = M.ms_ssim_diversity(varied)
    assert d_varied < M.ms_ssim_diversity(near_duplicates) < 1.0
    # default pairs are the disjoint consecutive ones: (0, 1), (2, 3), ...
    by_hand = np.mean([M.ms_ssim(varied[i], varied[i + 1]) for i in range(0, 12, 2)])
    assert d_varied == pytest.approx(by_hand, rel=1e-12)
    assert M.ms_ssim_diversity(varied, pairs=[(0, 5), (3, 4)]) == pytest.approx(
        (M.ms_ssim(varied[0], varied[5]) + M.ms_ssim(varied[3], varied[4])) / 2)
    assert M.ms_ssim_diversity(varied, pairs=20, seed=1) == M.ms_ssim_diversity(varied, pairs=20,
                                                                                seed=1)
    assert M.ms_ssim_diversity(uniform_noise(8, 1)) < 0.1


# -- memorisation ------------------------------------------------------------------------------
def test_nearest_neighbours_finds_copies_not_strangers():
    train = synthetic(40, 12)
    stranger = 255 - synthetic(1, 99)
    generated = np.concatenate([train[17:18], noisy(train[5:6], 3), stranger])
    got = M.nearest_neighbours(generated, train, chunk=7)
    assert got['index'][0] == 17 and got['distance'][0] == 0.0
    assert got['index'][1] == 5 and 0 < got['distance'][1] < M.NEAR_COPY_RMS
    assert got['distance'][2] > 0.1
    assert got['near_copies'] == 2 and got['near_copy_share'] == pytest.approx(2 / 3.0)
    assert got['threshold'] == M.NEAR_COPY_RMS and got['min'] == 0.0
    strict = M.nearest_neighbours(generated, train, threshold=1e-9)
    assert strict['near_copies'] == 1


def test_nearest_neighbours_matches_brute_force():
    train = synthetic(50, 13)
    generated = noisy(synthetic(20, 14), 10)
    got = M.nearest_neighbours(generated, train, chunk=7)
    g = generated.reshape(20, -1).astype(np.float64) / 255
    t = train.reshape(50, -1).astype(np.float64) / 255
    rms = np.sqrt(((g[:, None] - t[None]) ** 2).mean(axis=2))
    assert (got['index'] == rms.argmin(axis=1)).all()
    assert np.allclose(got['distance'], rms.min(axis=1), atol=1e-12)
    assert got['median'] == pytest.approx(np.median(rms.min(axis=1)))


# -- Frechet distance --------------------------------------------------------------------------
def test_frechet_distance_hand_computed():
    # 1-D: (1 - 3)^2 + 4 + 1 - 2 * sqrt(4 * 1) = 5
    assert M.frechet_distance([1.0], [[4.0]], [3.0], [[1.0]]) == pytest.approx(5.0)
    # diagonal: |mu1 - mu2|^2 + sum(s1 + s2 - 2 sqrt(s1 s2))
    mu1, mu2 = np.array([0.0, 1.0, -2.0]), np.array([1.0, 1.0, 2.0])
    s1, s2 = np.array([1.0, 9.0, 0.25]), np.array([4.0, 1.0, 0.25])
    want = 1 + 0 + 16 + (1 + 4 - 4) + (9 + 1 - 6) + 0
    assert M.frechet_distance(mu1, np.diag(s1), mu2, np.diag(s2)) == pytest.approx(want)


def test_frechet_distance_identical_singular_and_general():
    rng = np.random.RandomState(0)
    a = rng.randn(40, 6)
    s1 = a.T.dot(a) / 40
    mu = rng.randn(6)
    assert abs(M.frechet_distance(mu, s1, mu, s1)) < 1e-6
    zero = np.zeros((6, 6))
    assert M.frechet_distance(mu, zero, mu + 1, zero) == pytest.approx(6.0, abs=1e-4)
    rank2 = rng.randn(6, 2)
    rank2 = rank2.dot(rank2.T)                          # singular covariance
    assert np.isfinite(M.frechet_distance(mu, rank2, mu, s1))
    b = rng.randn(40, 6) * 2
    s2 = b.T.dot(b) / 40
    r = linalg.sqrtm(s1)
    want = np.trace(s1) + np.trace(s2) - 2 * np.trace(linalg.sqrtm(r.dot(s2).dot(r)).real)
    assert M.frechet_distance(mu, s1, mu, s2) == pytest.approx(want, rel=1e-6)
    with pytest.raises(ValueError):
        M.frechet_distance(mu, s1, mu[:3], s1)


def test_fid_without_weights_names_the_file(tmp_path, sets):
    missing = tmp_path / 'inception_v3_notop.h5'
    with pytest.raises(FileNotFoundError, match='inception_v3_notop.h5'):
        M.fid(sets[0], sets[1], str(missing))
