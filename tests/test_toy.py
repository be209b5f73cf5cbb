"""Mode-coverage metrics of the 2-D benchmark on hand-made sample sets."""
import os
import sys

import numpy as np
import pytest

from conftest import ROOT

sys.path.insert(0, os.path.join(ROOT, 'bench'))
import toy  # noqa: E402  (bench/toy.py)


def test_modes_are_where_pacgan_puts_them():
    ring = toy.ring_modes()
    assert ring.shape == (8, 2)
    assert np.allclose(np.linalg.norm(ring, axis=1), 1.0)
    assert np.allclose(ring[0], [1, 0]) and np.allclose(ring[2], [0, 1], atol=1e-7)
    grid = toy.grid_modes()
    assert grid.shape == (25, 2)
    assert set(np.unique(grid)) == {-4.0, -2.0, 0.0, 2.0, 4.0}
    assert toy.ring().std == 0.01 and toy.grid().std == 0.05


@pytest.mark.parametrize('make', [toy.ring, toy.grid])
def test_all_samples_at_the_modes(make):
    p = make()
    samples = np.repeat(p.modes, 100, axis=0)
    r = p.evaluate(samples)
    assert r['modes'] == len(p.modes) and r['n_modes'] == len(p.modes)
    assert r['hq'] == 100.0
    assert r['rkl'] == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize('make', [toy.ring, toy.grid])
def test_real_data_scores_like_real_data(make):
    p = make()
    r = p.evaluate(p.sample(2500, np.random.RandomState(0)))
    assert r['modes'] == len(p.modes)
    assert r['hq'] > 98.0              # 3 std in 2-D holds 98.9% of a Gaussian
    assert r['rkl'] < 0.02


@pytest.mark.parametrize('make', [toy.ring, toy.grid])
def test_all_samples_at_one_mode(make):
    p = make()
    samples = p.modes[3] + np.random.RandomState(0).normal(0, p.std / 2, (2500, 2))
    r = p.evaluate(samples)
    assert r['modes'] == 1
    assert r['rkl'] == pytest.approx(np.log(len(p.modes)))


def test_far_away_points_are_low_quality_and_capture_nothing():
    ring, grid = toy.ring(), toy.grid()
    assert ring.evaluate(np.zeros((50, 2)))['hq'] == 0.0                 # ring centre
    assert ring.evaluate(np.zeros((50, 2)))['modes'] == 0
    assert grid.evaluate(np.full((50, 2), 1.0))['hq'] == 0.0            # between grid modes
    assert grid.evaluate(np.full((50, 2), 1.0))['rkl'] == float('inf')  # empty histogram


def test_three_std_threshold_and_nearest_mode():
    p = toy.ring()
    inside = p.modes[0] + [0.0299, 0.0]
    outside = p.modes[0] + [0.0301, 0.0]
    assert toy.high_quality([inside, outside], p.modes, p.std).tolist() == [True, False]
    nearest, dist = toy.assign_modes([[0.0, 0.9]], p.modes)
    assert nearest[0] == 2 and dist[0] == pytest.approx(0.1)
    # a low-quality sample does not capture its nearest mode
    assert toy.captured_modes([outside, p.modes[1]], p.modes, p.std) == 1
    assert toy.hq_share([outside, p.modes[1]], p.modes, p.std) == 0.5


def test_reverse_kl_of_a_known_histogram():
    # 8 modes, HQ counts 4, 2, 2 and five empty: p = (1/2, 1/4, 1/4)
    # KL(p || 1/8) = 1/2 ln 4 + 2 * 1/4 ln 2 = 1.5 ln 2
    counts = [4, 2, 2, 0, 0, 0, 0, 0]
    assert toy.reverse_kl(counts) == pytest.approx(1.5 * np.log(2))
    p = toy.ring()
    samples = np.concatenate([np.repeat(p.modes[:1], 40, 0), np.repeat(p.modes[1:3], 20, 0),
                              np.zeros((30, 2))])     # 30 low-quality samples are left out
    r = p.evaluate(samples)
    assert r['modes'] == 3
    assert r['hq'] == pytest.approx(100.0 * 80 / 110)
    assert r['rkl'] == pytest.approx(1.5 * np.log(2))


def test_samplers_are_seeded():
    p = toy.grid()
    a = p.sample(10, np.random.RandomState(3))
    b = p.sample(10, np.random.RandomState(3))
    assert a.dtype == np.float32 and a.shape == (10, 2) and np.array_equal(a, b)


def test_benchmark_run_decays_lr_and_records_history():
    import mode_coverage
    opts = dict(mode_coverage.DEFAULTS, steps=4, batch_size=16, threads=1, g_hidden=(8,),
                d_hidden=(8,), n_samples=50, lr_decay_at=0.5, lr_decay=0.1, eval_every=2)
    r = mode_coverage.run_one('ring', 1, 'first-order', 0, opts)
    assert [h[0] for h in r['history']] == [2, 4]
    assert r['lr_final'] == pytest.approx([5e-5, 5e-5])
    assert r['finite'] and r['n_modes'] == 8 and 0 <= r['modes'] <= 8
    del opts['lr_decay_at']
    assert mode_coverage.run_one('ring', 0, 'first-order', 0, opts)['lr_final'] == pytest.approx([5e-4] * 2)


def test_maxout_discriminator_takes_the_max_of_its_pieces():
    from gan import backend
    backend.setup(0)
    d = toy.mlp_discriminator((3,), activation='maxout', pieces=4)
    assert d.count_params() == (2 * 12 + 12) + (3 + 1)
    kernel = np.zeros((2, 12), np.float32)
    kernel[0, :] = np.arange(12)        # unit u's pieces are columns 4u..4u+3 of x0 * column
    d.layers[0].set_weights([kernel, np.zeros(12, np.float32)])
    d.layers[-1].set_weights([np.array([[1.0], [0.0], [0.0]], np.float32), np.zeros(1, np.float32)])
    x = np.array([[1.0, 0.0], [-1.0, 0.0]], np.float32)
    # unit 0 = max(0, 1, 2, 3) * x0: 3 for x0 = 1, 0 for x0 = -1; D = sigmoid(unit 0)
    assert d.predict(x)[:, 0] == pytest.approx(1.0 / (1.0 + np.exp(-np.array([3.0, 0.0]))), rel=1e-5)


def test_benchmark_options_reach_the_networks():
    import mode_coverage
    opts = dict(mode_coverage.DEFAULTS, steps=2, batch_size=16, threads=1, g_hidden=(8,),
                d_hidden=(8,), n_samples=50, latent_dim=5, d_activation='maxout')
    r = mode_coverage.run_one('grid', 1, 'first-order', 0, opts)
    assert r['finite'] and r['n_modes'] == 25
    with pytest.raises(SystemExit):
        mode_coverage.main(['--latent-dim', '0'])
