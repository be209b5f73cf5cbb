"""The sibling projects' recipes as presets (issue 5): networks match the facts, one step of each
runs, and every mechanism the presets are made of does what it says."""
import contextlib
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import ROOT
from gan import GAN, backend, recipes
from gan.batches import d_targets, flip_labels, g_targets, to_float, to_uint8
from gan.config import (PRESET_DIR, PRESET_FILES, PRESET_NOTES, PRESETS, Config, UserError, epoch_of,
                        plan_epochs, preset_table, resolve, uses_epochs)
from gan.data import load_images, resize_image
from gan.loop import Hook

IMAGES = (np.random.RandomState(0).rand(8, 64, 64, 3) * 255).astype(np.uint8)
BATCH = 4


class _Current(object):
    """The GAN of one preset (batch 4), reused by the tests that follow it in this file: model
    builds are the slow part, and a fresh graph per preset keeps TF's first runs fast. Asking for
    another preset resets the graph and builds that one (tests are grouped by preset)."""
    name, gan = None, None


def fresh_graph():
    """A new, empty graph and session (seed 1); the current preset's GAN is dropped. Grappler's
    graph rewriting is off, as in --deterministic mode: each function's first run, which is most
    of a one-step test, then costs a fraction."""
    import keras.backend as K
    import tensorflow as tf
    _Current.name, _Current.gan = None, None
    backend.setup(1)
    K.get_session().close()
    cfg = tf.compat.v1.ConfigProto()
    cfg.graph_options.rewrite_options.disable_meta_optimizer = True
    K.set_session(tf.compat.v1.Session(graph=tf.compat.v1.get_default_graph(), config=cfg))


def preset_gan(name):
    if _Current.name != name:
        fresh_graph()
        cfg = resolve(name, batch_size=BATCH, seed=1)
        if cfg.sampling == 'passes':       # RealImages(IMAGES, gan.config) reads a pass's length
            cfg = plan_epochs(cfg, len(IMAGES))
        _Current.gan = GAN(cfg)
        _Current.name = name
    return _Current.gan


@pytest.fixture(scope='module', autouse=True)
def _forget_gan():
    yield
    _Current.name, _Current.gan = None, None


@contextlib.contextmanager
def overridden(gan, **values):
    """Change config values the step reads (thresholds, epoch length) for one test."""
    saved = gan.config
    gan.config = saved._replace(**values)
    try:
        yield gan
    finally:
        gan.config = saved


def _weights(model, trainable=True):
    import keras.backend as K
    return K.batch_get_value(model.trainable_weights if trainable else model.weights)


def _same(a, b):
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b))


def _iterations(optimizer):
    import keras.backend as K
    return int(K.get_value(optimizer.iterations))


# -- networks: the facts ----------------------------------------------------------------

def _conv(cls, f, k, s, pad, **kw):
    return (cls, dict(filters=f, kernel_size=(k, k), strides=(s, s), padding=pad, **kw))


def _bn(momentum=0.99, epsilon=1e-3):
    return ('BatchNormalization', {'momentum': momentum, 'epsilon': epsilon})


def _lrelu(alpha):
    return ('LeakyReLU', {'alpha': alpha})


def _specs():
    relu = ('ReLU', {'negative_slope': 0.0, 'max_value': None})
    nb = {'use_bias': False}
    s = {}
    g = [('Dense', {'units': 8192}), _bn(0.85), _lrelu(0.1), ('Reshape', {'target_shape': (4, 4, 512)})]
    for f in (512, 256, 128, 64):
        g += [_conv('Conv2DTranspose', f, 4, 2, 'same'), _bn(0.85), _lrelu(0.1)]
    g += [_conv('Conv2D', 64, 3, 1, 'same'), _lrelu(0.1),
          _conv('Conv2D', 3, 7, 1, 'same', activation='tanh')]
    d = [('GaussianNoise', {})]
    for f in (64, 128, 256, 512):
        d += [_conv('Conv2D', f, 3, 2, 'same'), _bn(0.85), _lrelu(0.1)]
    d += [('Flatten', {}), ('Dropout', {'rate': 0.4}), ('Dense', {'units': 192}), _lrelu(0.1),
          ('Dropout', {'rate': 0.2}), ('Dense', {'units': 1, 'activation': 'sigmoid'})]
    s['ganime'] = ('ganime', g, d, 7858115, 3128065)       # head dropout 0.4: the published run's

    g = [('Dense', {'units': 4096}), _lrelu(0.3), _bn(), ('Reshape', {'target_shape': (4, 4, 256)})]
    for f in (128, 64, 32):
        g += [_conv('Conv2DTranspose', f, 5, 2, 'same', activation='relu'), _bn()]
    g += [_conv('Conv2DTranspose', 3, 5, 2, 'same', activation='sigmoid')]
    d = []
    for f in (32, 64, 128, 256):
        d += [_conv('Conv2D', f, 5, 2, 'same'), _lrelu(0.3), _bn(), ('Dropout', {'rate': 0.4})]
    d += [('Flatten', {}), ('Dense', {'units': 1, 'activation': 'sigmoid'})]
    s['dcgan_yernat'] = ('dcgan-yernat', g, d, 1508803, 1084097)

    g = [('Dense', {'units': 4096}), _bn(), ('Reshape', {'target_shape': (4, 4, 256)}), _lrelu(0.2)]
    for f in (128, 64, 32, 16):
        g += [_conv('Conv2DTranspose', f, 5, 2, 'same'), _bn(), _lrelu(0.2)]
    g += [_conv('Conv2D', 3, 3, 1, 'same', activation='tanh')]
    d = []
    for f in (32, 64, 128, 256):
        d += [_conv('Conv2D', f, 5, 2, 'same'), _bn(), _lrelu(0.2), ('Dropout', {'rate': 0.3})]
    d += [('Flatten', {}), ('Dense', {'units': 1, 'activation': 'sigmoid'})]
    s['animefacesgan'] = ('animefacesgan', g, d, 1519715, 1084097)

    d = []
    for f in (64, 128, 256, 512):
        d += [_conv('Conv2D', f, 4, 2, 'same', **nb), _bn(0.9, 1e-5), _lrelu(0.2)]
    d += [_conv('Conv2D', 1, 4, 1, 'valid', **nb), ('Flatten', {}), ('Activation', {'activation': 'sigmoid'})]
    for arch, preset, act in (('animefaceswithgan', 'animefaceswithgan-v1', relu),
                              ('animefaceswithgan_leaky', 'animefaceswithgan-v2', _lrelu(0.2))):
        g = [('Reshape', {'target_shape': (1, 1, 128)}), _conv('Conv2DTranspose', 512, 4, 1, 'valid', **nb),
             _bn(0.9, 1e-5), act]
        for f in (256, 128, 64):
            g += [_conv('Conv2DTranspose', f, 4, 2, 'same', **nb), _bn(0.9, 1e-5), act]
        g += [_conv('Conv2DTranspose', 3, 4, 2, 'same', **nb), ('Activation', {'activation': 'tanh'})]
        s[arch] = (preset, g, d, 3808000, 2767616)
    return s


SPECS = _specs()


def _check_layers(model, expected):
    assert [l.__class__.__name__ for l in model.layers] == [c for c, _ in expected]
    for layer, (cls, settings) in zip(model.layers, expected):
        cfg = layer.get_config()
        for k, v in settings.items():
            got = tuple(cfg[k]) if isinstance(cfg[k], list) else cfg[k]
            if isinstance(v, float):
                assert got == pytest.approx(v, rel=1e-6), (layer.name, k)
            else:
                assert got == v, (layer.name, k, got)


def _check_networks(gan, arch):
    """The preset's networks match the issue's facts: layers, settings, parameter counts."""
    preset, g_layers, d_layers, g_params, d_params = SPECS[arch]
    assert gan.config.arch == arch
    _check_layers(gan.generator, g_layers)
    _check_layers(gan.discriminator, d_layers)
    assert gan.generator.count_params() == g_params
    assert gan.discriminator.count_params() == d_params
    assert gan.generator.input_shape == (None, gan.config.latent_dim)
    assert gan.generator.output_shape == (None, 64, 64, 3)
    assert gan.discriminator.output_shape == (None, 1)


class _Grab(Hook):
    def on_step_end(self, step, logs):
        self.logs = logs


def _one_step(name, gan=None):
    """One step of preset `name` through GAN.train on 8 random images, batch 4: finite named
    losses, and each net changed exactly when it was updated (gates may skip one)."""
    cfg = resolve(name, batch_size=BATCH, seed=1)
    gan = gan or preset_gan(name)
    saved = gan.config
    gan.config = cfg
    try:
        g0, d0 = _weights(gan.generator), _weights(gan.discriminator)
        grab = _Grab()
        gan.train(IMAGES, steps=1, hooks=[grab])           # plans the epochs on the 8 images
        assert gan.config.steps_per_epoch == (2 if uses_epochs(cfg) else 0)  # batch 4, both samplings
    finally:
        gan.config = saved
    logs = grab.logs
    assert {'d_loss_real', 'd_loss_fake', 'd_acc_real', 'd_acc_fake', 'g_loss'} <= set(logs)
    assert all(np.isfinite(v) for v in logs.values()), logs
    assert _same(_weights(gan.generator), g0) != bool(logs.get('g_updated', 1.0))
    assert _same(_weights(gan.discriminator), d0) != bool(logs.get('d_updated', 1.0))
    return logs


def _graph_does_not_grow(gan):
    sample = recipes.RealImages(IMAGES, gan.config).sample
    gan.train_step(sample)
    gan.generate(n=2, seed=0)
    size = backend.graph_size()
    for _ in range(2):
        gan.train_step(sample)
        gan.generate(n=2, seed=0)
    assert backend.graph_size() == size


def test_every_preset_is_tested_and_described():
    tested = {'ganime', 'dcgan-yernat', 'animefacesgan', 'animefaceswithgan-v1', 'animefaceswithgan-v2',
              'animefaceswithgan-v3', 'animefaceswithgan-v4.1', 'animefaceswithgan-v4.2',
              'animefaceswithgan-v4.3'}
    assert set(PRESETS) == tested | {'gan_animation'}     # the default: tests/test_step.py
    assert set(PRESET_NOTES) == set(PRESETS)
    for name in PRESETS:
        resolve(name)                                      # every preset passes check()


def test_latent_sizes_and_data_ranges():
    expect = {'ganime': (100, -1.0), 'dcgan-yernat': (100, 0.0), 'animefacesgan': (100, -1.0),
              'animefaceswithgan-v1': (128, -1.0), 'gan_animation': (200, -1.0)}
    for name, (latent, pixel_min) in expect.items():
        cfg = resolve(name)
        assert (cfg.latent_dim, cfg.pixel_min) == (latent, pixel_min), name


# -- ganime: instance noise, per-batch smoothing, separate lrs, extra G step -------------------

@pytest.mark.slow
def test_ganime_networks_and_one_step():
    gan = preset_gan('ganime')
    _check_networks(gan, 'ganime')
    logs = _one_step('ganime')
    assert logs['g_steps'] in (1.0, 2.0)


def test_separate_learning_rates_reach_the_two_optimizers():
    import keras.backend as K
    gan = preset_gan('ganime')
    d_opt, g_opt = gan.discriminator.optimizer, gan.combined.optimizer
    assert K.get_value(d_opt.learning_rate) == pytest.approx(1e-5)
    assert K.get_value(g_opt.learning_rate) == pytest.approx(5e-6)
    assert K.get_value(d_opt.beta_1) == pytest.approx(0.9)
    cfg = resolve('gan_animation', d_lr=3e-4)
    assert recipes.adam(cfg, 'd').get_config()['learning_rate'] == pytest.approx(3e-4)
    assert recipes.adam(cfg, 'g').get_config()['learning_rate'] == pytest.approx(2e-4)


def test_instance_noise_follows_its_schedule():
    import keras.backend as K
    gan = preset_gan('ganime')
    layer, = recipes.noise_layers(gan.discriminator)
    with overridden(gan, steps_per_epoch=3):
        for epoch in (0, 1, 10, 37, 38, 60, 2):
            for step in (3 * epoch + 1, 3 * epoch + 3):
                gan._begin_step(step)
                assert epoch_of(gan.config, step) == epoch
                want = max(0.75 - 0.02 * epoch, 1e-6)
                assert K.get_value(layer.stddev_variable) == pytest.approx(want, rel=1e-6, abs=1e-9)
                assert layer.get_config()['stddev'] == pytest.approx(want, rel=1e-6, abs=1e-9)
        gan._begin_step(1)


def test_instance_noise_is_active_in_training_only_and_in_the_g_step():
    import keras.backend as K
    gan = preset_gan('ganime')
    layer, = recipes.noise_layers(gan.discriminator)
    with overridden(gan, steps_per_epoch=3):
        gan._begin_step(1)                                   # epoch 0: sigma 0.75
    inp = gan.discriminator.inputs[0]     # the layer's output in this model (kernels may re-call it)
    node = [i for i in range(len(layer._inbound_nodes)) if layer.get_input_at(i) is inp]
    f = K.function([inp, K.learning_phase()], [layer.get_output_at(node[0])])
    x = np.zeros((4, 64, 64, 3), np.float32)
    noisy = f([x, 1])[0]
    assert 0.7 < noisy.std() < 0.8
    assert np.array_equal(f([x, 0])[0], x)
    count = lambda: int(K.get_value(layer.seed_counter))  # noqa: E731 (counts noise draws)
    before = count()
    gan.discriminator.predict(x)
    gan.generator.predict(np.zeros((2, 100), np.float32))
    assert count() == before                             # inference: no noise
    gan.combined.train_on_batch(np.zeros((2, 100), np.float32), np.ones((2, 1), np.float32))
    assert count() == before + 1                         # the G step sees noisy D inputs


def test_extra_generator_step_fires_only_above_the_threshold():
    gan = preset_gan('ganime')
    sample = recipes.RealImages(IMAGES, gan.config).sample
    for threshold, steps in ((1e-9, 2), (1e9, 1)):
        with overridden(gan, g_extra_threshold=threshold):
            before = _iterations(gan.combined.optimizer)
            logs = gan.train_step(sample)
            assert logs['g_loss'] > 1e-9 and logs['g_steps'] == steps
            assert _iterations(gan.combined.optimizer) == before + steps


# -- ganime's readings of its TF 2 run: Adam reset per epoch, frozen BatchNorm, head dropout ------

def _moments(optimizer):
    import keras.backend as K
    return [v for v in K.batch_get_value(optimizer.weights[1:])]


def test_adam_reset_zeroes_moments_at_epoch_starts_and_keeps_the_counters():
    gan = preset_gan('ganime')
    sample = recipes.RealImages(IMAGES, gan.config).sample
    opts = (gan.discriminator.optimizer, gan.combined.optimizer)
    with overridden(gan, adam_reset='epoch', steps_per_epoch=2, g_extra_threshold=0.0):
        gan.train_step(sample, step=1)
        gan.train_step(sample, step=2)
        counters = [_iterations(o) for o in opts]
        assert all(any(np.abs(m).max() > 0 for m in _moments(o)) for o in opts)
        gan._begin_step(4)                                   # mid-epoch (a resume): no reset
        assert all(any(np.abs(m).max() > 0 for m in _moments(o)) for o in opts)
        gan._begin_step(3)                                   # epoch 1 begins: fresh moments
        assert all(all(not np.any(m) for m in _moments(o)) for o in opts)
        assert [_iterations(o) for o in opts] == counters    # bias correction goes on from here
        gan.train_step(sample, step=3)                       # and training goes on
        assert [_iterations(o) for o in opts] == [c + n for c, n in zip(counters, (2, 1))]
    with overridden(gan, adam_reset='never', steps_per_epoch=2, g_extra_threshold=0.0):
        gan.train_step(sample, step=4)
        gan._begin_step(5)
        assert all(any(np.abs(m).max() > 0 for m in _moments(o)) for o in opts)
    assert resolve('ganime', adam_reset='epoch').adam_reset == 'epoch'
    assert plan_epochs(resolve('gan_animation', adam_reset='epoch'), 1000).steps_per_epoch == 3


def test_batchnorm_inference_context_uses_moving_statistics_and_keeps_dropout():
    import keras.backend as K
    from keras.layers import BatchNormalization, Dense, Dropout, Input
    from keras.models import Model, Sequential
    from gan.networks import batchnorm_inference
    fresh_graph()
    norm = Sequential([Dense(3, input_shape=(2,)), BatchNormalization()])
    drop = Sequential([Dense(3, input_shape=(2,)), BatchNormalization(), Dropout(0.5)])
    x = np.random.RandomState(0).randn(16, 2).astype(np.float32) * 3 + 1
    for model in (norm, drop):
        bn = model.layers[1]
        K.set_value(bn.moving_mean, np.array([0.5, -0.5, 1.0], np.float32))
        K.set_value(bn.moving_variance, np.array([2.0, 3.0, 4.0], np.float32))
    inp, other = Input(shape=(2,)), Input(shape=(2,))    # a model caches its output per input
    with batchnorm_inference(norm) as layers:
        assert len(layers) == 1
        frozen = K.function([inp, K.learning_phase()], [norm(inp)])
    plain = K.function([other, K.learning_phase()], [norm(other)])
    assert 'call' not in vars(norm.layers[1])                # the shadow is gone after the context
    assert np.allclose(frozen([x, 1])[0], norm.predict(x), atol=1e-6)      # moving statistics
    assert not np.allclose(plain([x, 1])[0], norm.predict(x), atol=1e-2)   # batch statistics
    with batchnorm_inference(drop):
        dropped = K.function([inp, K.learning_phase()], [drop(inp)])
    a, b = dropped([x, 1])[0], dropped([x, 1])[0]
    assert np.mean(a == 0) > 0.2 and not np.array_equal(a, b)             # dropout still active
    assert np.allclose(dropped([x, 0])[0], drop.predict(x), atol=1e-6)


def test_frozen_d_bn_moving_reaches_the_combined_model_only():
    import keras.backend as K
    fresh_graph()
    gan = GAN(resolve('ganime', batch_size=BATCH, seed=1, d_head_dropout=0.0, frozen_d_bn='moving'))
    twin = GAN(gan.config._replace(frozen_d_bn='batch'), generator=gan.generator,
               discriminator=gan.discriminator)
    layer, = recipes.noise_layers(gan.discriminator)
    layer.set_stddev(0.0)
    z = np.random.RandomState(1).randn(BATCH, 100).astype(np.float32)
    counters = gan.rng_counters()

    def output(model):            # same dropout masks for both: the counters are reset first
        K.batch_set_value([(c, 0) for c in counters])
        return K.function([model.inputs[0], K.learning_phase()], [model.output])([z, 1])[0]
    moving, batch = output(gan.combined), output(twin.combined)
    assert not np.allclose(moving, batch, atol=1e-4)
    d_before = _weights(gan.discriminator, trainable=False)
    gan.combined.train_on_batch(z, np.ones((BATCH, 1), np.float32))
    assert _same(d_before, _weights(gan.discriminator, trainable=False))  # D and its statistics kept
    with pytest.raises(UserError, match='frozen-d-bn'):
        resolve('dcgan-yernat', frozen_d_bn='moving')


def test_head_dropout_sets_the_rate_after_flatten():
    from gan import networks
    fresh_graph()
    for arch in networks.HEAD_DROPOUT_ARCHS:
        d = GAN(Config(arch=arch, batch_size=4, d_head_dropout=0.4), compile=False).discriminator
        kinds = [type(l).__name__ for l in d.layers]
        head = d.layers[kinds.index('Flatten') + 1]
        assert type(head).__name__ == 'Dropout' and head.rate == pytest.approx(0.4), arch
    with pytest.raises(UserError, match='d-head-dropout'):
        GAN(resolve('animefacesgan', d_head_dropout=0.4), compile=False)
    with pytest.raises(UserError, match='d-head-dropout'):
        resolve('ganime', d_head_dropout=1.0)
    # an option the architecture lacks is the user's error, naming the flags (not a traceback)
    with pytest.raises(UserError, match="--arch gan_animation with --init torch: init 'torch' is offered"):
        GAN(Config(arch='gan_animation', init='torch', batch_size=4), compile=False)


# -- the other presets' networks and a step; dcgan-yernat: [0, 1] data, simultaneous updates ------

@pytest.mark.slow
@pytest.mark.parametrize('preset, arch', [('dcgan-yernat', 'dcgan_yernat'), ('animefacesgan', 'animefacesgan'),
                                          ('animefaceswithgan-v1', 'animefaceswithgan'),
                                          ('animefaceswithgan-v2', 'animefaceswithgan_leaky')])
def test_networks_and_one_step(preset, arch):
    _check_networks(preset_gan(preset), arch)
    _one_step(preset)


def test_simultaneous_updates_come_from_one_forward_pass():
    gan = preset_gan('dcgan-yernat')
    scheme = gan._scheme
    calls = []
    forward = scheme.forward
    scheme.forward = lambda inputs: calls.append(1) or forward(inputs)
    try:
        g0, d0 = _weights(gan.generator), _weights(gan.discriminator)
        it_d, it_g = _iterations(gan.discriminator.optimizer), _iterations(gan.combined.optimizer)
        gan.train_step(recipes.RealImages(IMAGES, gan.config).sample)
    finally:
        scheme.forward = forward
    assert len(calls) == 1                               # one session run for both nets
    assert not _same(_weights(gan.generator), g0) and not _same(_weights(gan.discriminator), d0)
    assert _iterations(gan.discriminator.optimizer) == it_d + 1
    assert _iterations(gan.combined.optimizer) == it_g + 1
    # D's fake loss and G's loss read the same D(G(z)) (D has dropout, so a second forward pass
    # would differ): with one latent, p = exp(-g_loss) and 1 - p = exp(-d_loss_fake).
    real = to_float(IMAGES[:2], gan.config)
    z = np.random.RandomState(3).normal(size=(1, 100)).astype(np.float32)
    one, zero = np.ones((2, 1), np.float32), np.zeros((1, 1), np.float32)
    out = scheme.forward([real, one, z, zero, np.ones((1, 1), np.float32), 1])
    d_loss, l_real, l_fake, g_loss = out[0], out[1], out[2], out[5]
    assert np.exp(-g_loss) + np.exp(-l_fake) == pytest.approx(1.0, abs=1e-5)
    assert d_loss == pytest.approx(l_real + l_fake, rel=1e-6)


def test_generate_maps_the_sigmoid_range_to_uint8():
    gan = preset_gan('dcgan-yernat')
    out = gan.generator.predict(gan.latents(3, seed=0))
    assert out.min() >= 0.0 and out.max() <= 1.0
    images = gan.generate(n=3, seed=0)
    assert images.dtype == np.uint8 and np.array_equal(images, np.rint(out * 255).astype(np.uint8))


def test_simultaneous_scheme_does_not_grow_the_graph():
    _graph_does_not_grow(preset_gan('dcgan-yernat'))


def test_sibling_discriminators_end_in_a_sigmoid_accurate_in_the_tails():
    """TF 1.15's float32 sigmoid is exactly 0 below x = -18 (a bare log of it is -inf) and off by
    up to 2^-25 above; the sibling D's end in networks.sigmoid, accurate to exp's underflow as
    PyTorch's and TF 2's are, and saved as Keras' own 'sigmoid'."""
    import keras.backend as K
    from gan import networks
    x = np.array([-87, -50, -30, -20, -18, -16, -9, 0, 9, 16, 30], np.float32)
    t = K.constant(x)
    p = networks.sigmoid(t)
    p, grad = K.get_session().run([p, K.gradients(K.sum(-K.log(p)), [t])[0]])
    exact = 1.0 / (1.0 + np.exp(-x.astype(np.float64)))
    assert np.allclose(p, exact, rtol=1e-5, atol=0)
    assert np.allclose(grad, exact - 1.0, rtol=1e-4, atol=1e-6)     # d(-log p)/dx = p - 1
    for arch in ('dcgan_yernat', 'animefacesgan', 'animefaceswithgan'):
        last = networks.build_discriminator(arch).layers[-1]
        assert last.activation is networks.sigmoid and last.get_config()['activation'] == 'sigmoid'


def test_bare_log_losses_are_finite_at_logit_minus_30():
    """A D that puts every image at logit -30: the -log losses are 30 (TF 1.15's sigmoid made them
    inf, and the NaN guard stopped animefacesgan at step 69); the TF2 originals reach inf only
    below about -87."""
    gan = preset_gan('animefacesgan')
    dense = gan.discriminator.layers[-1]
    kernel, bias = dense.get_weights()
    dense.set_weights([np.zeros_like(kernel), np.full_like(bias, -30.0)])
    try:
        logs = gan.train_step(recipes.RealImages(IMAGES, gan.config).sample)
    finally:
        fresh_graph()                       # the step moved the preset's weights: rebuild it next time
    assert logs['d_loss_real'] == pytest.approx(30.0, rel=1e-5)
    assert logs['g_loss'] == pytest.approx(30.0, rel=1e-5)
    assert logs['d_loss_fake'] == pytest.approx(0.0, abs=1e-6)


# -- animefaceswithgan: PyTorch DCGAN, summed D loss, gates -------------------------------------

def test_pytorch_adam_settings():
    import keras.backend as K
    gan = preset_gan('animefaceswithgan-v1')
    for opt in (gan.discriminator.optimizer, gan.combined.optimizer):
        assert K.get_value(opt.learning_rate) == pytest.approx(2e-4)
        assert K.get_value(opt.beta_1) == pytest.approx(0.5)
        assert K.get_value(opt.beta_2) == pytest.approx(0.999)
        assert opt.epsilon == pytest.approx(1e-8)


def test_pytorch_initialisation():
    """animefaceswithgan presets use PyTorch's default init: kernels U(+-1/sqrt(fan_in))."""
    from gan import networks
    gan = preset_gan('animefaceswithgan-v1')
    assert gan.config.init == 'torch'
    fresh = (networks.build_generator('animefaceswithgan', 128, init='torch').layers +
             networks.build_discriminator('animefaceswithgan', init='torch').layers)
    used = gan.generator.layers + gan.discriminator.layers
    convs = 0
    for layer, new in zip(used, fresh):
        if layer.__class__.__name__ not in ('Conv2D', 'Conv2DTranspose'):
            continue
        convs += 1
        init = layer.get_config()['kernel_initializer']
        assert init == new.get_config()['kernel_initializer']
        assert init['class_name'] == 'VarianceScaling'
        assert init['config']['mode'] == 'fan_in' and init['config']['distribution'] == 'uniform'
        assert init['config']['scale'] == pytest.approx(1.0 / 3.0)
        kernel = new.get_weights()[0]                      # as initialised (the preset's has trained)
        kh, kw, fan_channels = kernel.shape[0], kernel.shape[1], kernel.shape[2]
        bound = 1.0 / np.sqrt(kh * kw * fan_channels)      # ConvT: out channels, as PyTorch counts
        assert 0.9 * bound < np.abs(kernel).max() <= bound
    assert convs == 10
    assert resolve('animefaceswithgan-v1', init='keras').init == 'keras'


def test_summed_scheme_one_d_update_with_batch_statistics_per_pass():
    """PyTorch-style: D's real loss is computed on the real batch alone (its own BatchNorm batch
    statistics), one D update per step on real + fake, then one G update."""
    import keras.backend as K
    gan = preset_gan('animefaceswithgan-v1')
    x = to_float(IMAGES[:BATCH], gan.config)
    f = K.function([gan.discriminator.inputs[0], K.learning_phase()], [gan.discriminator.outputs[0]])
    p = f([x, 1])[0]
    expected = float(np.mean(-np.maximum(np.log(p), -100.0)))
    it_d, it_g = _iterations(gan.discriminator.optimizer), _iterations(gan.combined.optimizer)
    logs = gan.train_step(lambda n, rng: x)
    assert logs['d_loss_real'] == pytest.approx(expected, rel=1e-4)
    assert _iterations(gan.discriminator.optimizer) == it_d + 1
    assert _iterations(gan.combined.optimizer) == it_g + 1


@pytest.mark.slow
def test_animefaceswithgan_v3_v4_1_v4_2_one_step():
    """v4.1 and v4.2 build exactly v3's graph (same arch, D gated, G not); only the threshold
    differs, which the step reads from the config, so they run on v3's GAN with their own config."""
    gan = preset_gan('animefaceswithgan-v3')
    assert gan.config.arch == 'animefaceswithgan_leaky'
    logs = _one_step('animefaceswithgan-v3')
    assert 'd_updated' in logs and 'g_updated' not in logs
    v3 = resolve('animefaceswithgan-v3', batch_size=BATCH, seed=1)
    for name in ('animefaceswithgan-v4.1', 'animefaceswithgan-v4.2'):
        cfg = resolve(name, batch_size=BATCH, seed=1)
        differs = [k for k in Config._fields if getattr(cfg, k) != getattr(v3, k)]
        assert differs == ['preset', 'd_threshold']
        _one_step(name, gan)
    _graph_does_not_grow(gan)


@pytest.mark.slow
def test_animefaceswithgan_v4_3_one_step():
    gan = preset_gan('animefaceswithgan-v4.3')
    assert gan.config.arch == 'animefaceswithgan_leaky'
    logs = _one_step('animefaceswithgan-v4.3')
    assert 'd_updated' in logs and 'g_updated' in logs


def test_gates_skip_updates_and_leave_weights_and_optimizers_unchanged():
    import keras.backend as K
    gan = preset_gan('animefaceswithgan-v4.3')              # D and G both gated
    sample = recipes.RealImages(IMAGES, gan.config).sample
    d_opt, g_opt = gan.discriminator.optimizer, gan.combined.optimizer
    state = lambda: (_weights(gan.generator), _weights(gan.discriminator),  # noqa: E731
                     K.batch_get_value(d_opt.weights), K.batch_get_value(g_opt.weights))
    with overridden(gan, d_threshold=1e9, g_threshold=1e9):
        before = state()
        d_all = _weights(gan.discriminator, trainable=False)
        logs = gan.train_step(sample)
        after = state()
    assert logs['d_updated'] == 0.0 and logs['g_updated'] == 0.0
    assert all(_same(a, b) for a, b in zip(before, after))
    # the forward pass still ran in training mode: BatchNorm moving statistics moved, as PyTorch's
    assert not _same(_weights(gan.discriminator, trainable=False), d_all)
    with overridden(gan, d_threshold=1e-9, g_threshold=1e-9):
        logs = gan.train_step(sample)
    assert logs['d_updated'] == 1.0 and logs['g_updated'] == 1.0
    assert not _same(_weights(gan.discriminator), after[1]) and not _same(_weights(gan.generator), after[0])
    assert _iterations(d_opt) == int(after[2][0]) + 1 and _iterations(g_opt) == int(after[3][0]) + 1


# -- mechanisms without a model ----------------------------------------------------------------

def test_label_smoothing_and_flip_targets():
    rng = np.random.RandomState(0)
    base = Config(label_smoothing=0.2, flip_prob=0.0)
    two = d_targets(base, True, 8, rng), d_targets(base, False, 8, rng)
    assert np.allclose(two[0], 0.9) and np.allclose(two[1], 0.1)
    one_sided = base._replace(smoothing_mode='one-sided')
    assert np.allclose(d_targets(one_sided, True, 8, rng), 0.9)
    assert np.allclose(d_targets(one_sided, False, 8, rng), 0.0)
    assert recipes.loss_smoothing(base) == 0.2 and recipes.loss_smoothing(one_sided) == 0.0
    # smoothing done by the loss (the alternating scheme): targets stay 1 / 0
    assert np.array_equal(d_targets(base, True, 8, rng, smoothing_in_loss=True), np.ones((8, 1)))
    # per-batch: one u ~ U(0, 0.05) per call, real 1 - u, fake u
    per_batch = Config(label_smoothing=0.0, flip_prob=0.0, target_noise=0.05)
    us = []
    for _ in range(20):
        real, fake = d_targets(per_batch, True, 32, rng), d_targets(per_batch, False, 32, rng)
        assert len(np.unique(real)) == 1 and len(np.unique(fake)) == 1
        assert 0.95 <= real[0, 0] <= 1.0 and 0.0 <= fake[0, 0] <= 0.05
        us += [1.0 - real[0, 0], fake[0, 0]]
    assert len(set(np.round(us, 7))) == len(us)
    # flips: int(p * n) draws; G's targets are flipped too but never smoothed
    flips = Config(label_smoothing=0.2, flip_prob=0.25)
    y = d_targets(flips, True, 40, rng, smoothing_in_loss=True)
    assert 1 <= int((y == 0).sum()) <= 10
    y = g_targets(flips, 40, rng)
    assert set(np.unique(y)) <= {0.0, 1.0} and 1 <= int((y == 0).sum()) <= 10
    # the default's targets are exactly the original's flips, from the same draws
    default = d_targets(Config(), True, 128, np.random.RandomState(5), smoothing_in_loss=True)
    assert np.array_equal(default, flip_labels(np.ones((128, 1), np.float32), 0.05, np.random.RandomState(5)))


def test_torch_bce_matches_pytorch_on_saturated_outputs():
    import keras.backend as K
    import tensorflow as tf
    logits = K.placeholder(shape=(4, 1))
    y = K.placeholder(shape=(4, 1))
    p = tf.sigmoid(logits)
    loss = recipes.probability_loss('torch-bce', p, y, True)
    log_loss = recipes.probability_loss('log', p, y, False)
    f = K.function([logits, y], [loss, K.gradients(loss, [logits])[0], log_loss])
    lv = np.array([[-200.0], [0.0], [30.0], [2.0]], np.float32)
    yv = np.array([[1.0], [0.0], [0.0], [1.0]], np.float32)
    value, grad, log_value = f([lv, yv])
    pv = 1.0 / (1.0 + np.exp(-lv.astype(np.float64)))
    per = [100.0, np.log(2.0), 100.0, -np.log(pv[3, 0])]     # clamped at -100 where p is 0 or 1
    assert value == pytest.approx(np.mean(per), rel=1e-5)
    assert np.all(np.isfinite(grad))
    assert abs(grad[0, 0]) < 1e-20 and grad[2, 0] == 0.0       # PyTorch: saturated, no gradient
    assert grad[1, 0] == pytest.approx(0.5 / 4, rel=1e-5) and grad[3, 0] == pytest.approx((pv[3, 0] - 1) / 4, rel=1e-4)
    assert not np.isfinite(log_value)                          # the plain -log(1 - p) overflows


def test_epochs_convert_to_steps_in_one_place():
    cfg = resolve('ganime')
    assert cfg.steps_per_epoch == 0
    planned = plan_epochs(cfg, 1000)                       # int(1000 / 128) = 7 steps an epoch
    assert planned.steps_per_epoch == 7 and planned.steps == 300 * 7
    assert planned.checkpoint_interval == 10 * 7 and planned.sample_interval == 7
    assert plan_epochs(planned, 5) == planned              # planned once (a resumed run keeps it)
    passes = plan_epochs(resolve('dcgan-yernat'), 1001)    # full passes: ceil(1001 / 100)
    assert passes.steps_per_epoch == 11 and passes.steps == 500 * 11
    own = plan_epochs(resolve('ganime', steps=7), 1000)    # an explicit --steps wins
    assert own.steps == 7 and own.data_epochs == 0 and own.steps_per_epoch == 7
    assert resolve('ganime', steps_per_epoch=4).steps == 1200
    assert resolve('ganime', data_epochs=2, steps_per_epoch=4).steps == 8
    assert plan_epochs(Config(), 1000) == Config()        # the default counts steps only
    assert epoch_of(planned, 1) == 0 and epoch_of(planned, 7) == 0 and epoch_of(planned, 8) == 1
    with pytest.raises(UserError):
        resolve('ganime', steps=7, data_epochs=3)
    with pytest.raises(UserError):
        plan_epochs(cfg, 127)                              # no full batch of 128


def test_full_passes_cover_every_image_once_per_epoch():
    images = np.arange(10, dtype=np.uint8).reshape(10, 1, 1, 1).repeat(3, axis=3)
    cfg = Config(sampling='passes', scheme='simultaneous', unroll_steps=0, batch_size=4,
                 pixel_min=0.0, seed=3)
    real = recipes.RealImages(images, plan_epochs(cfg, len(images)))
    assert real.steps_per_epoch == 3
    seen = [np.rint(real.batch(s)[:, 0, 0, 0] * 255).astype(int) for s in (1, 2, 3)]
    assert [len(b) for b in seen] == [4, 4, 2]              # the last batch is short
    assert sorted(np.concatenate(seen).tolist()) == list(range(10))
    assert not np.array_equal(real.order(0), real.order(1))
    assert np.array_equal(recipes.RealImages(images, real.cfg).order(1), real.order(1))  # resumable
    for spe in (0, 2, 4, 5):              # unplanned, or not one full pass of 10 in batches of 4
        with pytest.raises(UserError, match='full pass'):
            recipes.RealImages(images, cfg._replace(steps_per_epoch=spe))


def test_data_range_and_channel_order():
    rng = np.random.RandomState(0)
    x = (rng.rand(2, 4, 4, 3) * 255).astype(np.uint8)
    default = Config()
    assert np.array_equal(to_float(x, default), to_float(x))
    assert np.array_equal(to_float(x), x.astype(np.float32) / 127.5 - 1.0)
    unit = Config(pixel_min=0.0)
    assert to_float(x, unit).min() >= 0.0 and np.allclose(to_float(x, unit), x / 255.0)
    bgr = Config(channel_order='bgr')
    assert np.array_equal(to_float(x, bgr), to_float(x[..., ::-1]))
    for cfg in (default, unit, bgr, Config(pixel_min=0.0, channel_order='bgr')):
        assert np.array_equal(to_uint8(to_float(x, cfg), cfg), x)
    assert np.array_equal(to_uint8(np.array([0.0, 0.5, 1.0]), unit), [0, 128, 255])


def test_resize_rules():
    img = (np.random.RandomState(0).rand(96, 80, 3) * 255).astype(np.uint8)
    for rule in ('area', 'bilinear', 'short-side-crop'):
        assert resize_image(img, rule).shape == (64, 64, 3)
    # torchvision Resize(64) + CenterCrop(64): 80x96 -> 64x76, crop rows 6..70
    from PIL import Image
    resized = np.asarray(Image.fromarray(img).resize((64, 76), Image.BILINEAR))
    assert np.array_equal(resize_image(img, 'short-side-crop'), resized[6:70])
    same = (np.random.RandomState(1).rand(64, 64, 3) * 255).astype(np.uint8)
    assert all(np.array_equal(resize_image(same, r), same) for r in ('area', 'bilinear', 'short-side-crop'))


def test_loader_applies_the_resize_rule_and_caches_each_rule_apart(tmp_path):
    import cv2
    img = (np.random.RandomState(2).rand(96, 80, 3) * 255).astype(np.uint8)
    folder = tmp_path / 'data'
    folder.mkdir()
    cv2.imwrite(str(folder / 'a.png'), img[..., ::-1])          # RGB on disk
    cache = str(tmp_path / 'cache')
    for _ in range(2):                                           # decoded, then from the cache
        for rule in ('area', 'short-side-crop'):
            got = load_images(str(folder), cache_dir=cache, resize=rule)
            assert np.array_equal(got[0], resize_image(img, rule)), rule
    assert len(os.listdir(cache)) == 2


def test_options_that_cannot_work_together_are_refused():
    bad = [dict(preset='dcgan-yernat', flip_prob=0.1),              # -log loss takes pure targets
           dict(preset='ganime', loss='torch-bce'),                  # Keras path: Keras BCE
           dict(preset='ganime', d_threshold=0.2),                   # gates need a custom scheme
           dict(preset='dcgan-yernat', unroll_steps=2),
           dict(preset='dcgan-yernat', g_extra_threshold=3.0),
           dict(preset='gan_animation', sampling='passes'),
           dict(preset='gan_animation', scheme='sideways'),
           dict(preset='gan_animation', target_noise=0.7),
           dict(preset='gan_animation', pixel_min=0.5)]
    for kw in bad:
        with pytest.raises(UserError):
            resolve(**kw)


def test_noise_needs_a_noise_layer():
    with pytest.raises(UserError, match='noise'):
        GAN(Config(arch='tiny', batch_size=4, noise_sigma=0.5))


# -- presets as files: gan/presets/NAME.json -----------------------------------------------------

# The recipes as docs/presets.md states them (its tables of presets and values, and "The networks"),
# written out by hand as overrides of Config's defaults (the GAN_animation recipe, docs/gan_animation.md).
_AFWG = dict(arch='animefaceswithgan', init='torch', latent_dim=128, batch_size=128,
             resize='short-side-crop', scheme='alternating-summed', loss='torch-bce', unroll_steps=0,
             lr=2e-4, beta_1=0.5, beta_2=0.999, adam_epsilon=1e-8, label_smoothing=0.0,
             flip_prob=0.0, sampling='passes', data_epochs=50, sample_epochs=1,
             checkpoint_epochs=5, grid_size=8)
_AFWG_V4 = dict(_AFWG, arch='animefaceswithgan_leaky')
DOCUMENTED = {
    'gan_animation': {},
    'ganime': dict(arch='ganime', latent_dim=100, batch_size=128, unroll_steps=0, lr=1e-5, g_lr=5e-6,
                   beta_1=0.9, beta_2=0.999, adam_epsilon=1e-7, label_smoothing=0.0, flip_prob=0.0,
                   target_noise=0.05, g_extra_threshold=3.0, noise_sigma=0.75, noise_decay=0.02,
                   noise_floor=1e-6, sampling='replacement', data_epochs=300, checkpoint_epochs=10,
                   sample_epochs=1, d_head_dropout=0.4, adam_reset='epoch', frozen_d_bn='moving'),
    'dcgan-yernat': dict(arch='dcgan_yernat', pixel_min=0.0, latent_dim=100, batch_size=100,
                         scheme='simultaneous', loss='log', unroll_steps=0, lr=1e-4, beta_1=0.5,
                         beta_2=0.999, adam_epsilon=1e-7, label_smoothing=0.0, flip_prob=0.0,
                         sampling='passes', data_epochs=500, sample_epochs=1, checkpoint_epochs=10),
    'animefacesgan': dict(arch='animefacesgan', latent_dim=100, batch_size=100, resize='bilinear',
                          scheme='simultaneous', loss='log', unroll_steps=0, lr=2e-4, beta_1=0.5,
                          beta_2=0.999, adam_epsilon=1e-7, label_smoothing=0.0, flip_prob=0.0,
                          sampling='passes', data_epochs=50, sample_epochs=1, checkpoint_epochs=5,
                          grid_size=4),
    'animefaceswithgan-v1': _AFWG,
    'animefaceswithgan-v2': dict(_AFWG, arch='animefaceswithgan_leaky'),
    'animefaceswithgan-v3': dict(_AFWG, arch='animefaceswithgan_leaky', d_threshold=0.2),
    'animefaceswithgan-v4.1': dict(_AFWG_V4, d_threshold=0.1),
    'animefaceswithgan-v4.2': dict(_AFWG_V4, d_threshold=0.3),
    'animefaceswithgan-v4.3': dict(_AFWG_V4, d_threshold=0.2, g_threshold=4.0),
}
# What --list-presets prints (source project, what is distinctive), as it was before the files.
NOTES = {
    'gan_animation': ('GAN_animation', 'unrolled D (10 extra rounds, restored after the G update), '
                      'smoothing 0.2 + 5% flips, batch 256, 30,000 steps (the default)'),
    'ganime': ('Henvezz95/GANime', 'instance noise 0.75 - 0.02/epoch on D, per-batch smoothing '
               'U(0, 0.05), D lr 1e-5 / G lr 5e-6, extra G step when g_loss > 3, batch 128, D head '
               'dropout 0.4, Adam moments fresh each epoch, frozen D on moving BatchNorm statistics '
               "in G's update (its published run on TF 2), 300 epochs"),
    'dcgan-yernat': ('yernat-assylbekov/Anime-Faces-with-DCGAN', 'data in [0, 1] (sigmoid G), '
                     'simultaneous G/D updates on -log losses, batch 100, 500 epochs'),
    'animefacesgan': ('bijmuj/AnimeFacesGAN', 'simultaneous G/D updates on -log losses, bilinear '
                      'resize, Adam 2e-4, batch 100, 50 epochs, 4x4 grids'),
    'animefaceswithgan-v1': ('yigitsevim/AnimeFacesWithGAN', 'PyTorch DCGAN (no biases, PyTorch '
                             'init and BN), D on summed real+fake BCE then G, ReLU G, batch 128'),
    'animefaceswithgan-v2': ('yigitsevim/AnimeFacesWithGAN', 'v1 with LeakyReLU(0.2) in G'),
    'animefaceswithgan-v3': ('yigitsevim/AnimeFacesWithGAN', 'v2, D updated only when loss_D > 0.2'),
    'animefaceswithgan-v4.1': ('yigitsevim/AnimeFacesWithGAN', 'v2, D updated only when loss_D > 0.1'),
    'animefaceswithgan-v4.2': ('yigitsevim/AnimeFacesWithGAN', 'v2, D updated only when loss_D > 0.3'),
    'animefaceswithgan-v4.3': ('yigitsevim/AnimeFacesWithGAN', 'v2, D only when loss_D > 0.2, G '
                               'only when loss_G > 4.0'),
}


def test_preset_files_resolve_to_the_documented_recipes():
    assert sorted(f for f in os.listdir(PRESET_DIR)) == sorted(n + '.json' for n in DOCUMENTED)
    assert list(PRESETS)[0] == 'gan_animation' and set(PRESETS) == set(DOCUMENTED)
    for name, values in DOCUMENTED.items():
        got, want = resolve(name)._asdict(), Config(**dict(values, preset=name))._asdict()
        assert got == want, name
        assert [type(v) for v in got.values()] == [type(v) for v in want.values()], name
    assert PRESET_NOTES == NOTES


def test_each_preset_file_holds_its_source_note_and_only_its_own_differences():
    bases = {name: doc['base'] for name, doc in PRESET_FILES.items() if doc['base']}
    assert bases == {'animefaceswithgan-v2': 'animefaceswithgan-v1',        # the versions chain
                     'animefaceswithgan-v3': 'animefaceswithgan-v2',
                     'animefaceswithgan-v4.1': 'animefaceswithgan-v2',
                     'animefaceswithgan-v4.2': 'animefaceswithgan-v2',
                     'animefaceswithgan-v4.3': 'animefaceswithgan-v2'}
    for name, doc in PRESET_FILES.items():
        below = resolve(doc['base'] or 'gan_animation')
        assert bool(doc['values']) == (name != 'gan_animation'), name   # the defaults: none
        for key, value in doc['values'].items():
            assert getattr(below, key) != value, (name, key)      # a real difference, nothing else
        assert doc['note'] and doc['source']['project'], name
        assert doc['source']['repository'].startswith('https://github.com/'), name
        assert set(doc['source'].get('values_from', {})) <= set(doc['values']), name
        with open(os.path.join(PRESET_DIR, name + '.json')) as f:   # plain JSON, in the key order
            assert list(json.load(f)) == ['base', 'source', 'note', 'values'], name


def test_docs_table_is_made_from_the_preset_files():
    text = open(os.path.join(ROOT, 'docs', 'presets.md')).read()
    begin, end = '<!-- presets table: made by gan.config.preset_table() -->', '<!-- end of table -->'
    table = text[text.index(begin) + len(begin):text.index(end)].strip()
    assert table == preset_table(), ('docs/presets.md is out of step with gan/presets/*.json; '
                                     'paste the output of: python -c "from gan.config import '
                                     'preset_table; print(preset_table())"')
    rows = table.splitlines()[2:]
    assert [r.split('`')[1] for r in rows] == list(PRESETS)
    assert all(NOTES[name][1] in row for name, row in zip(PRESETS, rows))


def _write(path, doc):
    path.write_text(json.dumps(doc))
    return str(path)


def test_a_users_preset_file_builds_on_a_package_preset(tmp_path, monkeypatch):
    mine = _write(tmp_path / 'mine.json', {'base': 'animefaceswithgan-v3', 'note': 'v3, smaller',
                                           'values': {'batch_size': 64, 'lr': 1}})
    cfg = resolve(mine)
    want = Config(**dict(DOCUMENTED['animefaceswithgan-v3'], batch_size=64, lr=1.0, preset=mine))
    assert cfg == want and type(cfg.lr) is float and cfg.preset == os.path.abspath(mine)
    assert resolve(mine, batch_size=32).batch_size == 32            # flags still win
    # a file's base may be another file beside it; a count in steps replaces the base's epochs
    on_mine = _write(tmp_path / 'on_mine.json', {'base': 'mine.json', 'values': {'steps': 7}})
    cfg = resolve(on_mine)
    assert cfg.steps == 7 and cfg.data_epochs == 0 and cfg.batch_size == 64
    assert cfg.sample_epochs == 1                                    # the other counts stay
    monkeypatch.chdir(str(tmp_path))
    assert resolve('mine.json').preset == mine                       # relative paths too
    assert resolve(os.path.join(PRESET_DIR, 'ganime.json'))._replace(preset='ganime') == resolve('ganime')


@pytest.mark.parametrize('doc,needle', [
    ({'values': {'batch_size': 64}, 'colour': 'red'}, 'unknown key(s) colour'),
    ({'values': {'batch_sise': 64}}, 'unknown values key(s) batch_sise'),
    ({'values': {'preset': 'ganime'}}, 'unknown values key(s) preset'),
    ({'values': {'batch_size': 6.5}}, '"batch_size" must be a whole number'),
    ({'values': {'lr': '2e-4'}}, '"lr" must be a number'),
    ({'values': {'deterministic': 1}}, '"deterministic" must be true or false'),
    ({'source': {'projet': 'x'}}, 'unknown source key(s) projet'),
    ({'source': {'values_from': {'lrr': 'x'}}}, 'values_from names no option lrr'),
    ({'base': 'nope'}, "base 'nope' is neither a preset"),
    ({'base': 'loop.json'}, 'cycle'),
    ({'base': 'ganime', 'values': {'steps': 5, 'data_epochs': 2}}, 'give steps or data_epochs'),
    ([1, 2], 'must hold a JSON object'),
])
def test_preset_file_errors_name_the_file(tmp_path, doc, needle):
    path = _write(tmp_path / 'loop.json', doc)
    with pytest.raises(UserError) as e:
        resolve(path)
    assert needle in str(e.value) and path in str(e.value)


def test_unreadable_or_missing_preset_files_are_user_errors(tmp_path):
    (tmp_path / 'bad.json').write_text('{"values": {"lr": 1e-4,}}')
    for path, needle in ((tmp_path / 'bad.json', 'not valid JSON'),
                         (tmp_path / 'none.json', 'cannot read preset file')):
        with pytest.raises(UserError, match=needle):
            resolve(str(path))
    with pytest.raises(UserError, match='--list-presets'):
        resolve('nope')                                   # no file, no preset of that name


# -- command line -------------------------------------------------------------------------------

def _run(args):
    env = dict(os.environ, PYTHONPATH=ROOT, TF_CPP_MIN_LOG_LEVEL='2')
    return subprocess.run([sys.executable, 'train.py'] + args, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True, timeout=300)


def test_cli_presets_list_dry_run_overrides_and_errors():
    r = _run(['--list-presets'])
    assert r.returncode == 0, r.stderr
    lines = r.stdout.strip().splitlines()
    assert [l.split()[0] for l in lines] == list(PRESETS)
    for line, name in zip(lines, PRESETS):
        assert PRESET_NOTES[name][0] in line
    r = _run(['--preset', 'ganime', '--dry-run', '--batch-size', '32', '--g-lr', '1e-6', '--pixel-min', '-1'])
    assert r.returncode == 0, r.stderr
    opts = json.loads(r.stdout)
    assert opts['preset'] == 'ganime' and opts['batch_size'] == 32 and opts['g_lr'] == 1e-6
    assert opts['pixel_min'] == -1.0
    assert opts['noise_sigma'] == 0.75 and opts['latent_dim'] == 100 and opts['data_epochs'] == 300
    r = _run(['--preset', 'animefaceswithgan-v4.3', '--dry-run', '--steps', '9'])
    opts = json.loads(r.stdout)
    assert opts['steps'] == 9 and opts['data_epochs'] == 0 and opts['g_threshold'] == 4.0
    r = _run(['--preset', 'nope', '--dry-run'])
    assert r.returncode == 1 and r.stderr.startswith('Error: ') and '--list-presets' in r.stderr


def test_cli_epoch_preset_plans_steps_before_config_grids_and_checkpoints(tmp_path):
    """An epoch-counted preset (full passes) run from the command line: config.json records the
    steps its epochs came to, and grids / the checkpoint fall on epoch boundaries."""
    import cv2
    data = tmp_path / 'data'
    data.mkdir()
    for i, img in enumerate((np.random.RandomState(3).rand(10, 64, 64, 3) * 255).astype(np.uint8)):
        cv2.imwrite(str(data / ('%d.png' % i)), img)
    out = tmp_path / 'save'
    r = _run(['--preset', 'animefaceswithgan-v1', '--arch', 'tiny', '--init', 'keras',
              '--batch-size', '4', '--data-epochs', '2', '--data', str(data), '--out', str(out),
              '--seed', '1'])
    assert r.returncode == 0, r.stderr
    run = out / '1'
    opts = json.loads((run / 'config.json').read_text())['options']
    assert opts['steps_per_epoch'] == 3 and opts['steps'] == 6 and opts['sample_interval'] == 3
    assert sorted(os.listdir(str(run / 'image'))) == ['Faces_3.png', 'Faces_6.png']
    assert os.path.exists(str(run / 'weight' / 'generator_epoch_6.h5'))
