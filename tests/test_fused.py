"""The fused execution of the D rounds computes what the separate Keras calls compute, and Adam's
bias correction uses the original's step number."""
import numpy as np
import pytest

from gan import GAN, backend
from gan.config import resolve
from gan.batches import to_float

pytestmark = pytest.mark.slow   # numerics only: run on Python 3.7 in CI (see pytest.ini)


def _sampler(images):
    return lambda n, rng: to_float(images[rng.randint(0, len(images), n)])


def _state(gan):
    """Every number a step can change: weights, BatchNorm statistics, both Adams, the snapshot,
    the dropout/noise counters."""
    import keras.backend as K
    variables = (gan.generator.weights + gan.discriminator.weights + gan.discriminator.optimizer.weights
                 + gan.combined.optimizer.weights)
    values = K.batch_get_value(variables) + gan._snapshot.values()
    return values, [int(v) for v in K.batch_get_value(gan.rng_counters())]


def _run(config, images, steps, seed=3):
    backend.setup(seed)
    gan = GAN(config)
    sample = _sampler(images)
    logs = [gan.train_step(sample) for _ in range(steps)]
    return logs, _state(gan)


def _assert_same_runs(config, images, steps):
    keras_logs, (keras_values, keras_counters) = _run(config._replace(execution='keras'), images, steps)
    fused_logs, (fused_values, fused_counters) = _run(config._replace(execution='fused'), images, steps)
    assert fused_logs == keras_logs
    assert fused_counters == keras_counters
    assert len(fused_values) == len(keras_values)
    for i, (a, b) in enumerate(zip(fused_values, keras_values)):
        np.testing.assert_array_equal(a, b, err_msg='variable %d' % i)


def test_fused_rounds_equal_separate_keras_calls(tiny_config, images):
    """Two steps of 1 + 2 rounds with flips and two-sided smoothing: the same losses and the
    same bits in every variable as predict + train_on_batch per half batch."""
    _assert_same_runs(tiny_config._replace(unroll_steps=2, flip_prob=0.25), images, steps=2)


def test_fused_rounds_equal_keras_calls_with_optimizer_restore_and_no_unrolling(tiny_config, images):
    _assert_same_runs(tiny_config._replace(unroll_steps=0), images, steps=2)
    _assert_same_runs(tiny_config._replace(unroll_steps=1, restore_optimizer=True), images, steps=2)


def test_fused_rounds_equal_keras_calls_for_ganime_noise_and_target_noise(images):
    """GANime's D: instance noise (counter-based draws), dropout, per-batch smoothing targets."""
    cfg = resolve('ganime', batch_size=4, seed=1, grid_size=2)
    _assert_same_runs(cfg, images, steps=1)


def test_fused_step_restores_discriminator_to_the_first_round(fresh_session, tiny_config, images):
    """The snapshot inside the fused call holds D after the first round, and D ends there."""
    import keras.backend as K
    gan = GAN(tiny_config._replace(unroll_steps=3))
    D = gan.discriminator
    before = K.batch_get_value(D.weights)              # the snapshot's order (not get_weights')
    gan.train_step(_sampler(images))
    after = K.batch_get_value(D.weights)
    saved = gan._snapshot.values()
    assert all(np.array_equal(a, s) for a, s in zip(after, saved))
    assert not all(np.array_equal(a, b) for a, b in zip(after, before))


def test_adam_first_update_uses_step_one(fresh_session, tiny_config, images):
    """With t = 1 Adam's first update is lr * g / (|g| + eps / sqrt(1 - b2)): lr for every weight
    with a large gradient. Keras 2.3.1's own Adam used t = 2 here (0.943 lr)."""
    gan = GAN(tiny_config)
    D = gan.discriminator
    before = D.get_weights()
    real = to_float(images[:4])
    D.train_on_batch(real, np.ones((4, 1), np.float32))
    steps = np.concatenate([np.abs(a - b).ravel() for a, b in zip(D.get_weights(), before)
                            if a.shape == b.shape])
    lr = tiny_config.lr
    big = steps[steps > 0.5 * lr]
    assert len(big) > 100
    assert np.median(big) == pytest.approx(lr, rel=1e-3)
    import keras.backend as K
    assert int(K.get_value(D.optimizer.iterations)) == 1
