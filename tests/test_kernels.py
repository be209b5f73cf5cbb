"""The fast kernels compute TF's sums in another order: equal to rounding, same layers and files."""
import numpy as np
import pytest

CONV_CASES = [  # (H, W, C_in, C_out, kernel, stride, padding)
    (64, 64, 3, 8, 3, 2, 'same'),      # GAN_animation's D layers
    (8, 8, 5, 7, 3, 2, 'same'),
    (4, 4, 5, 7, 3, 1, 'same'),
    (7, 7, 2, 3, 3, 2, 'same'),        # odd size: the last phase row is cropped
    (64, 64, 3, 4, 4, 2, 'same'),      # the sibling presets' 4x4 and 5x5 kernels
    (9, 9, 3, 4, 5, 2, 'same'),
    (10, 10, 3, 4, 4, 2, 'valid'),
    (9, 9, 3, 4, 3, 3, 'same'),
    (8, 8, 2, 2, 1, 3, 'same'),        # stride above the kernel size: phases no tap reaches
]


@pytest.fixture(scope='module')
def session():
    import tensorflow as tf
    return tf.compat.v1.Session(graph=tf.Graph())


def without_names(config):
    """A model config without its layers' names (Keras numbers them per build)."""
    if isinstance(config, dict):
        return {k: without_names(v) for k, v in config.items() if k != 'name'}
    if isinstance(config, list):
        return [without_names(v) for v in config]
    return config


def rel(a, b):
    return float(np.abs(a - b).max() / np.abs(a).max())


@pytest.mark.parametrize('case', CONV_CASES)
def test_conv2d_gradients_equal_tf_to_rounding(session, case):
    import tensorflow as tf
    from gan import kernels
    h, w, c_in, c_out, k, s, padding = case
    rng = np.random.RandomState(sum(case[:6]))
    with session.graph.as_default():
        x = tf.constant(rng.randn(3, h, w, c_in).astype(np.float32))
        kernel = tf.constant(rng.randn(k, k, c_in, c_out).astype(np.float32))
        y = tf.nn.conv2d(x, kernel, [1, s, s, 1], padding.upper())
        dy = tf.constant(rng.randn(*[int(d) for d in y.shape]).astype(np.float32))
        fast = kernels.conv2d_with_fast_gradients(x, kernel, (s, s), padding)
        ref = session.run([y] + tf.gradients(y, [x, kernel], dy))
        got = session.run([fast] + tf.gradients(fast, [x, kernel], dy))
    assert np.array_equal(ref[0], got[0])            # the forward op is TF's own
    assert rel(ref[1], got[1]) < 1e-6                # input gradient: same terms, other order
    assert rel(ref[2], got[2]) < 1e-6                # kernel gradient: TF's op, or a matmul


def test_output_size_follows_tf_shape_inference():
    import tensorflow as tf
    from gan.kernels import conv_output_size
    with tf.Graph().as_default():
        for size in range(1, 12):
            for k in (1, 2, 3, 5):
                for s in (1, 2, 3):
                    for padding in ('same', 'valid') if size >= k else ('same',):
                        y = tf.nn.conv2d(tf.zeros([1, size, 1, 1]), tf.zeros([k, 1, 1, 1]),
                                         [1, s, 1, 1], padding.upper())
                        assert conv_output_size(size, k, s, padding) == int(y.shape[1])


@pytest.mark.parametrize('s', [1, 2])
def test_gradients_arriving_without_a_static_shape(session, s):
    """An output gradient of unknown spatial size, as after the AddN of two paths in GANime's D."""
    import tensorflow as tf
    from gan import kernels
    rng = np.random.RandomState(s)
    with session.graph.as_default():
        x = tf.constant(rng.randn(2, 8, 8, 4).astype(np.float32))
        kernel = tf.constant(rng.randn(3, 3, 4, 3).astype(np.float32))
        y = tf.nn.conv2d(x, kernel, [1, s, s, 1], 'SAME')
        value = rng.randn(*[int(d) for d in y.shape]).astype(np.float32)
        dy = tf.compat.v1.placeholder(tf.float32, [None, None, None, 3])
        want = session.run(tf.gradients(y, [x, kernel], dy), {dy: value})
        got = [kernels.conv2d_input_gradient(dy, kernel, (8, 8), (s, s), 'same')]
        if s == 1:
            got.append(kernels.conv2d_kernel_gradient_shifted(x, dy, kernel.shape, 'same'))
        got = session.run(got, {dy: value})
    for a, b in zip(want, got):
        assert rel(a, b) < 1e-6


@pytest.mark.parametrize('case', [(16, 16, 8, 3, 3, 'same'), (9, 9, 4, 2, 5, 'same'),
                                  (10, 10, 3, 4, 4, 'same'), (7, 7, 3, 4, 4, 'valid')])
def test_stride1_kernel_gradient_as_matmul_equals_tf(session, case):
    import tensorflow as tf
    from gan import kernels
    h, w, c_in, c_out, k, padding = case
    rng = np.random.RandomState(h + k)
    with session.graph.as_default():
        x = tf.constant(rng.randn(3, h, w, c_in).astype(np.float32))
        kernel = tf.constant(rng.randn(k, k, c_in, c_out).astype(np.float32))
        y = tf.nn.conv2d(x, kernel, [1, 1, 1, 1], padding.upper())
        dy = tf.constant(rng.randn(*[int(d) for d in y.shape]).astype(np.float32))
        ref = session.run(tf.gradients(y, kernel, dy)[0])
        got = session.run(kernels.conv2d_kernel_gradient_shifted(x, dy, kernel.shape, padding))
    assert rel(ref, got) < 1e-6


@pytest.mark.parametrize('h,c_in,c_out,s', [(4, 6, 5, 2), (8, 3, 4, 2), (3, 2, 3, 3)])
def test_transposed_conv_as_matmul_equals_tf(session, h, c_in, c_out, s):
    import tensorflow as tf
    from gan import kernels
    rng = np.random.RandomState(h + s)
    with session.graph.as_default():
        x = tf.constant(rng.randn(2, h, h, c_in).astype(np.float32))
        kernel = tf.constant(rng.randn(s, s, c_out, c_in).astype(np.float32))
        ref = tf.nn.conv2d_transpose(x, kernel, [2, h * s, h * s, c_out], [1, s, s, 1], 'SAME')
        got = kernels.conv_transpose_as_matmul(x, kernel, s)
        dy = tf.constant(rng.randn(2, h * s, h * s, c_out).astype(np.float32))
        a = session.run([ref] + tf.gradients(ref, [x, kernel], dy))
        b = session.run([got] + tf.gradients(got, [x, kernel], dy))
    for r, g in zip(a, b):
        assert rel(r, g) < 1e-6


def test_fast_kernels_keep_layers_configs_and_files(fresh_session, tmp_path, real_config):
    """Switching kernels changes no class, config or weight; saved files load in plain Keras."""
    import keras
    from gan import GAN, kernels
    stock = GAN(real_config._replace(kernels='stock'), compile=False)
    fast = GAN(real_config._replace(kernels='fast'), compile=False)
    for a, b in ((stock.generator, fast.generator), (stock.discriminator, fast.discriminator)):
        assert without_names(a.get_config()) == without_names(b.get_config())
        assert [type(l) for l in a.layers] == [type(l) for l in b.layers]
    assert len(kernels.kernels_in_use(fast.discriminator)) == 6       # D's six Conv2D layers
    assert len(kernels.kernels_in_use(fast.generator)) == 5   # 4 Conv2DTranspose + the Conv2D
    assert kernels.kernels_in_use(stock.generator) == []
    back = kernels.use_kernels(fast.generator, 'stock')
    assert kernels.kernels_in_use(back) == [] and back.layers == fast.generator.layers
    path = str(tmp_path / 'g.h5')
    fast.generator = kernels.use_kernels(back, 'fast')
    fast.generator.save(path)
    loaded = keras.models.load_model(path, compile=False)
    for w, v in zip(fast.generator.get_weights(), loaded.get_weights()):
        assert np.array_equal(w, v)


def global_rel(a, b):
    """|a - b| / |a| over lists of arrays taken together."""
    return float(np.sqrt(sum(np.sum((x - y) ** 2) for x, y in zip(a, b))
                         / sum(np.sum(x ** 2) for x in a)))


@pytest.mark.slow
def test_gradients_and_step_with_fast_kernels_match_stock_to_rounding(real_config, images):
    """D's and G's gradients on the same batch (the recipe's networks), and one step's D losses.

    Weights after an update are no yardstick: Adam's first update is lr * sign(gradient), and the
    biases before BatchNorm have a gradient that is pure rounding noise (exactly 0 in exact
    arithmetic), so their signs, and those weights, differ between any two summation orders."""
    import keras.backend as K
    from gan import GAN, backend
    from gan.batches import to_float

    def sample(n, rng):
        return to_float(images[rng.randint(0, len(images), n)])
    rng = np.random.RandomState(0)
    real, z = sample(8, rng), rng.normal(size=(8, real_config.latent_dim)).astype(np.float32)
    y = np.ones((8, 1), np.float32)
    grads, logs = {}, {}
    for kind in ('stock', 'fast'):
        backend.setup(1)
        gan = GAN(real_config._replace(kernels=kind, unroll_steps=1))
        out = []
        for model, x in ((gan.discriminator, real), (gan.combined, z)):
            fn = K.function(model._feed_inputs + model._feed_targets + model._feed_sample_weights
                            + [K.learning_phase()],
                            K.gradients(model.total_loss, model._collected_trainable_weights))
            out.append(fn([x, y, np.ones(8, np.float32), 1]))
        grads[kind] = out
        logs[kind] = gan.train_step(sample)
    for stock, fast in zip(grads['stock'], grads['fast']):
        assert 0 < global_rel(stock, fast) < 1e-5       # not the same op, the same sums
    for key in ('d_loss_real', 'd_loss_fake'):
        assert abs(logs['stock'][key] - logs['fast'][key]) <= 1e-5 * abs(logs['stock'][key])


def test_unknown_kernels_are_rejected():
    from gan import Config
    from gan.config import UserError, check
    with pytest.raises(UserError, match='--kernels'):
        check(Config(kernels='turbo'))
