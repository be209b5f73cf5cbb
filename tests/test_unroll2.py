"""Second-order unrolling: the unrolled graph matches Keras' own D updates, its generator gradient
differs from the first-order one exactly when k > 0, and a step neither grows the graph nor moves
D past its first round."""
import os
import sys

import numpy as np
import pytest

from conftest import ROOT
from gan import GAN, Config, backend
from gan.gan import second_order_step
from gan.unroll import SecondOrderUnroll, UnsupportedLayer, draw_batches, functional_forward

sys.path.insert(0, os.path.join(ROOT, 'bench'))
import toy  # noqa: E402  (bench/toy.py)

pytestmark = pytest.mark.slow   # numerics only: run on Python 3.7 in CI (see pytest.ini)


def _toy_gan(k, seed=1, threads=0):
    backend.setup(seed, intra_threads=threads, inter_threads=threads)
    config = Config(batch_size=16, latent_dim=3, unroll_steps=k, lr=1e-2, label_smoothing=0.2,
                    flip_prob=0.1, seed=seed)
    return GAN(config, generator=toy.mlp_generator(3, (16, 16)),
               discriminator=toy.mlp_discriminator((16, 16), activation='leaky_relu'))


def _sample(n, rng):
    return toy.ring().sample(n, rng)


def _warm_up(gan):
    for _ in range(2):       # D's Adam state becomes non-trivial
        gan._d_round(_sample)


def _first_and_second_order_gradients(gan):
    """G's gradients on one drawn set of batches, first-order and second-order, after warm-up."""
    _warm_up(gan)
    second = SecondOrderUnroll(gan, updates=False)
    first = SecondOrderUnroll(gan, first_order=True, updates=False)
    batches = second.draw(_sample)
    g1, g2 = first.generator_gradients(batches), second.generator_gradients(batches)
    assert len(g1) == len(gan.generator.trainable_weights) == len(g2)
    assert all(np.all(np.isfinite(g)) for g in g1 + g2)
    return g1, g2


def _assert_gradients_differ(g1, g2):
    diff = max(np.abs(a - b).max() for a, b in zip(g1, g2))
    scale = max(np.abs(a).max() for a in g1)
    assert diff > 1e-3 * scale, (diff, scale)


@pytest.mark.parametrize('k', [0, 1])
def test_second_order_gradient_differs_from_first_order_only_when_unrolled(k):
    g1, g2 = _first_and_second_order_gradients(_toy_gan(k))
    if k == 0:
        assert all(np.array_equal(a, b) for a, b in zip(g1, g2))
    else:
        _assert_gradients_differ(g1, g2)


def test_unrolled_weights_equal_keras_own_discriminator_updates():
    """Runs _unrolled_matches_keras in a fresh process: TF sizes its thread pools when a process
    opens its first session, so a single-threaded session is only possible there."""
    import os
    import subprocess
    import sys
    here = os.path.dirname(os.path.abspath(__file__))
    code = ('import sys; sys.path[:0] = [%r, %r]; import test_unroll2 as t; '
            't._unrolled_matches_keras(); print("MATCHED")' % (here, os.path.dirname(here)))
    r = subprocess.run([sys.executable, '-c', code], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True, timeout=600)
    assert r.returncode == 0 and 'MATCHED' in r.stdout, r.stderr[-3000:]


def _unrolled_matches_keras():
    """theta_k of the graph = D's weights after k real train_on_batch rounds on the same batches
    (the same loss, smoothing, flips and Adam arithmetic).

    Single-threaded: Keras' Adam reads its step counter unordered with its own increment, and
    with several threads the read occasionally lands before it (bias correction of t = n + 1
    instead of the usual n + 2); one thread gives the usual order every time."""
    import keras.backend as K
    gan = _toy_gan(2, threads=1)
    _warm_up(gan)
    unroll = SecondOrderUnroll(gan, first_order=True, updates=False)
    batches = unroll.draw(_sample)
    theta_k = K.get_session().run(unroll.theta_k, feed_dict=unroll.feed(batches))
    real, y_real, z_unroll, y_fake = batches[:4]
    D = gan.discriminator
    before = D.get_weights()
    for i in range(2):
        D.train_on_batch(real[i], y_real[i])
        D.train_on_batch(gan.generator.predict(z_unroll[i]), y_fake[i])
    for ours, keras_w in zip(theta_k, [K.get_value(w) for w in unroll.params]):
        assert np.allclose(ours, keras_w, rtol=1e-4, atol=1e-6)
    D.set_weights(before)


def test_step_keeps_d_at_its_first_round_and_the_graph_fixed():
    import keras.backend as K
    gan = _toy_gan(1)
    gan.generator.predict(np.zeros((1, 3), np.float32))
    record = {}
    original = gan._d_round

    def d_round(sample_real):
        logs = original(sample_real)
        record['d'] = gan.discriminator.get_weights()
        record['d_opt'] = K.batch_get_value(gan.discriminator.optimizer.weights)
        return logs
    gan._d_round = d_round
    sizes = []
    for _ in range(4):
        g_before = gan.generator.get_weights()
        logs = second_order_step(gan, _sample)
        assert all(np.array_equal(a, b) for a, b in zip(gan.discriminator.get_weights(), record['d']))
        assert all(np.array_equal(a, b) for a, b in
                   zip(K.batch_get_value(gan.discriminator.optimizer.weights), record['d_opt']))
        assert not all(np.array_equal(a, b) for a, b in zip(gan.generator.get_weights(), g_before))
        sizes.append(backend.graph_size())
    assert sizes[0] == sizes[-1], sizes
    assert set(logs) == {'d_loss_real', 'd_loss_fake', 'd_acc_real', 'd_acc_fake', 'g_loss'}
    assert all(np.isfinite(v) for v in logs.values())
    # D's Adam made 2 updates per step (the first round only); G's Adam one per step
    assert K.get_value(gan.discriminator.optimizer.iterations) == 2 * 4
    assert K.get_value(gan.combined.optimizer.iterations) == 4


def test_draws_follow_the_first_order_step():
    """The second-order step consumes gan.rng exactly as GAN.train_step does (same batches)."""
    states = []
    for mode in ('first', 'second'):
        gan = _toy_gan(3)
        if mode == 'first':
            gan.train_step(_sample)
        else:
            gan._d_round(_sample)
            batches = draw_batches(gan, _sample, 3)
            assert [b.shape for b in batches] == [(3, 8, 2), (3, 8, 1), (3, 8, 3), (3, 8, 1),
                                                  (16, 3), (16, 1)]
        states.append(gan.rng.randint(0, 2 ** 31 - 1, 4).tolist())
    assert states[0] == states[1]


def test_functional_forward_matches_keras_in_training_mode():
    import keras.backend as K
    from keras.layers import BatchNormalization, Conv2D, Dense, Flatten, LeakyReLU, Reshape
    from keras.models import Sequential
    backend.setup(0)
    D = Sequential([Reshape((4, 4, 2), input_shape=(32,)), Conv2D(3, 3, strides=2, padding='same'),
                    BatchNormalization(momentum=0.8, epsilon=1e-3), LeakyReLU(0.2), Flatten(),
                    Dense(1, activation='sigmoid')])
    x = np.random.RandomState(0).normal(size=(8, 32)).astype(np.float32)
    K.get_session().run([w.assign(w + 0.1) for w in D.layers[2].weights[:2]])   # gamma, beta != 1, 0
    keras_out = K.function([D.input, K.learning_phase()], [D.output])([x, 1])[0]
    ours = K.get_session().run(functional_forward(D, K.constant(x)))
    assert np.allclose(ours, keras_out, atol=1e-5)


def test_maxout_discriminator_unrolls_second_order():
    """The toy maxout D (Dense, Reshape, Lambda max): the substituted-weights forward equals
    Keras' own, and the second-order G gradient differs from the first-order one at k = 1."""
    import keras.backend as K
    backend.setup(1)
    config = Config(batch_size=16, latent_dim=3, unroll_steps=1, lr=1e-2, seed=1)
    gan = GAN(config, generator=toy.mlp_generator(3, (16,)),
              discriminator=toy.mlp_discriminator((8, 8), activation='maxout', pieces=3))
    x = np.random.RandomState(0).normal(size=(10, 2)).astype(np.float32)
    ours = K.get_session().run(functional_forward(gan.discriminator, K.constant(x)))
    assert np.allclose(ours, gan.discriminator.predict(x), atol=1e-6)
    _assert_gradients_differ(*_first_and_second_order_gradients(gan))


def test_unsupported_layer_is_named():
    from keras.layers import Dense, MaxPooling1D, Reshape
    from keras.models import Sequential
    import keras.backend as K
    backend.setup(0)
    D = Sequential([Reshape((4, 1), input_shape=(4,)), MaxPooling1D(2), Dense(1)])
    with pytest.raises(UnsupportedLayer, match='MaxPooling1D'):
        functional_forward(D, K.constant(np.zeros((2, 4), np.float32)))


def test_second_order_step_with_the_recipes_layer_kinds():
    """Conv2D, BatchNormalization, LeakyReLU and the package's seeded Dropout in D, BatchNorm in
    G: a second-order step runs, is finite, advances G's BN statistics and D's dropout counter
    once, and does not grow the graph."""
    import keras.backend as K
    from keras.layers import (BatchNormalization, Conv2D, Dense, Flatten, LeakyReLU, Reshape)
    from keras.models import Sequential
    from gan.networks import Dropout
    backend.setup(1)
    G = Sequential([Dense(16, input_dim=3), BatchNormalization(), LeakyReLU(0.2), Reshape((4, 4, 1))])
    D = Sequential([Conv2D(2, 3, strides=2, padding='same', input_shape=(4, 4, 1)),
                    BatchNormalization(momentum=0.8, epsilon=1e-3), LeakyReLU(0.2), Dropout(0.25),
                    Flatten(), Dense(1, activation='sigmoid')])
    gan = GAN(Config(batch_size=8, latent_dim=3, unroll_steps=1, seed=1), generator=G, discriminator=D)
    rng_images = np.random.RandomState(0).normal(size=(20, 4, 4, 1)).astype(np.float32)
    sample = lambda n, rng: rng_images[rng.randint(0, 20, n)]   # noqa: E731
    sizes = []
    for _ in range(3):
        moving = K.get_value(G.layers[1].moving_mean)
        logs = second_order_step(gan, sample)
        assert not np.array_equal(moving, K.get_value(G.layers[1].moving_mean))
        sizes.append(backend.graph_size())
    assert all(np.isfinite(v) for v in logs.values())
    assert sizes[0] == sizes[-1]
    # per step: 2 D updates (+2 counts) and one run of the unrolled function (+1)
    assert K.get_value(D.layers[3].seed_counter) == 3 * 3
