"""One training step does what the recipe says: updates, snapshot/restore, flips, no graph growth."""
import numpy as np
import pytest

from gan import GAN, backend
from gan.batches import flip_labels, to_float


def _sampler(images):
    return lambda n, rng: to_float(images[rng.randint(0, len(images), n)])


def _equal(a, b):
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b))


def test_flip_changes_at_most_int_p_n_and_some():
    rng = np.random.RandomState(0)
    for n in (1, 10, 19, 20, 128, 256):
        k = int(0.05 * n)
        for _ in range(50):
            y0 = np.ones((n, 1), np.float32)
            y = flip_labels(y0, 0.05, rng)
            changed = int((y != y0).sum())
            assert changed <= k
            if k > 0:
                assert changed >= 1
            else:
                assert changed == 0
            assert set(np.unique(y)) <= {0.0, 1.0}
    y0 = np.zeros((40, 1), np.float32)
    assert flip_labels(y0, 0.05, rng).sum() >= 1   # zeros flip to ones
    assert y0.sum() == 0                           # input untouched


def test_combined_update_leaves_discriminator_unchanged(fresh_session, tiny_config, images):
    gan = GAN(tiny_config)
    d_before = gan.discriminator.get_weights()
    g_before = gan.generator.get_weights()
    z = np.random.RandomState(0).normal(size=(8, 200)).astype(np.float32)
    gan.combined.train_on_batch(z, np.ones((8, 1), np.float32))
    assert _equal(gan.discriminator.get_weights(), d_before)
    assert not _equal(gan.generator.get_weights(), g_before)


@pytest.mark.slow
def test_step_restores_discriminator_to_snapshot_after_first_round(fresh_session, real_config, images):
    gan = GAN(real_config._replace(execution='keras'))     # fused: tests/test_fused.py
    sample = _sampler(images)
    first = {}
    original_save = gan._snapshot.save

    def save_and_record():
        original_save()
        first['weights'] = gan.discriminator.get_weights()
    gan._snapshot.save = save_and_record
    before = gan.discriminator.get_weights()
    logs = gan.train_step(sample)
    after = gan.discriminator.get_weights()
    assert not _equal(first['weights'], before)          # the first round did update D
    assert _equal(after, first['weights'])               # ...and the unrolled rounds were undone
    assert set(logs) == {'d_loss_real', 'd_loss_fake', 'd_acc_real', 'd_acc_fake', 'g_loss'}
    assert all(np.isfinite(v) for v in logs.values())


@pytest.mark.slow
def test_optimizer_state_kept_by_default_restored_with_flag(fresh_session, tiny_config, images):
    import keras.backend as K
    sample = _sampler(images)
    gan = GAN(tiny_config)
    gan.train_step(sample)
    gan.train_step(sample)
    # 1 + unroll_steps rounds of (real, fake) per step, none undone: the original's behaviour
    assert K.get_value(gan.discriminator.optimizer.iterations) == 2 * 2 * (1 + tiny_config.unroll_steps)
    assert K.get_value(gan.combined.optimizer.iterations) == 2

    backend.setup(1)
    gan = GAN(tiny_config._replace(restore_optimizer=True))
    gan.train_step(sample)
    gan.train_step(sample)
    assert K.get_value(gan.discriminator.optimizer.iterations) == 2 * 2


@pytest.mark.slow
def test_unroll_changes_the_generator_update(fresh_session, tiny_config, images):
    """With k > 0 the generator is trained against a different (unrolled) discriminator."""
    sample = _sampler(images)
    results = []
    for k in (0, 2):
        backend.setup(1)
        gan = GAN(tiny_config._replace(unroll_steps=k))
        gan.train_step(sample)
        results.append(gan.generator.get_weights())
    assert not _equal(results[0], results[1])


@pytest.mark.slow
def test_graph_does_not_grow_between_steps(fresh_session, real_config, images):
    gan = GAN(real_config)
    sample = _sampler(images)
    sizes = []
    for step in range(1, 6):
        gan.train_step(sample)
        gan.generate(n=4, seed=0)
        sizes.append(backend.graph_size())
    assert sizes[1] == sizes[4], sizes


DETERMINISM_SCRIPT = """
import hashlib, sys
import numpy as np
from gan import GAN, Config, backend
backend.setup(7, deterministic=True)
gan = GAN(Config(batch_size=8, unroll_steps=2, seed=7, deterministic=True))
gan.train((np.random.RandomState(0).rand(24, 64, 64, 3) * 255).astype(np.uint8), steps=1)
h = hashlib.sha256()
for w in gan.generator.get_weights() + gan.discriminator.get_weights():
    h.update(w.tobytes())
print('HASH', h.hexdigest())
"""


@pytest.mark.slow
def test_same_seed_deterministic_mode_gives_identical_weights():
    """Two separate runs (TF fixes its thread pools per process, so one run per process)."""
    import subprocess
    import sys
    from conftest import ROOT
    hashes = []
    for _ in range(2):
        out = subprocess.check_output([sys.executable, '-c', DETERMINISM_SCRIPT], cwd=ROOT,
                                      universal_newlines=True, stderr=subprocess.DEVNULL)
        hashes.append([l for l in out.splitlines() if l.startswith('HASH')][0])
    assert hashes[0] == hashes[1]


def test_generate_is_uint8_and_seeded(fresh_session, tiny_config):
    gan = GAN(tiny_config)
    a = gan.generate(n=3, seed=5)
    b = gan.generate(n=3, seed=5)
    assert a.dtype == np.uint8 and a.shape == (3, 64, 64, 3)
    assert np.array_equal(a, b)
    with pytest.raises(ValueError):
        gan.generate()


def test_generate_with_batch_statistics_reads_each_batch_and_changes_nothing(fresh_session, tiny_config):
    import keras.backend as K
    gan = GAN(tiny_config)
    G = gan.generator
    bn = [l for l in G.layers if type(l).__name__ == 'BatchNormalization'][-1]
    K.set_value(bn.moving_mean, np.full(8, 0.3, np.float32))      # not the batch's mean
    weights = K.batch_get_value(G.weights)
    z = gan.latents(8, seed=3)
    moving = gan.generate(z, batch_size=4)
    assert np.array_equal(moving[:2], gan.generate(z[:2]))        # no image depends on the others
    both = gan.generate(z, batch_size=4, batchnorm='batch')
    halves = [gan.generate(z[:4], batch_size=4, batchnorm='batch'),
              gan.generate(z[4:], batch_size=4, batchnorm='batch')]
    assert np.array_equal(both, np.concatenate(halves))          # one batch of 4 at a time
    assert not np.array_equal(both, moving)                       # batch, not moving, statistics
    assert not np.array_equal(both[:2], gan.generate(z[:2], batchnorm='batch'))  # the batch matters
    assert _equal(weights, K.batch_get_value(G.weights))          # moving statistics untouched
    with pytest.raises(ValueError, match='batchnorm'):
        gan.generate(z, batchnorm='eval')
