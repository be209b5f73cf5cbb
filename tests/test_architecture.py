"""The networks match the GAN_animation recipe layer by layer, parameter counts included."""
import json
import os

import pytest

from gan import networks

# (class, key settings) in order, from the facts.
G_LAYERS = [('Dense', {'units': 4096, 'activation': 'linear'}), ('Reshape', {'target_shape': (4, 4, 256)})]
for f in (256, 128, 128, 64):
    G_LAYERS += [('Conv2DTranspose', {'filters': f, 'kernel_size': (2, 2), 'strides': (2, 2), 'padding': 'same'}),
                 ('BatchNormalization', {'momentum': 0.9, 'epsilon': 1e-5}),
                 ('LeakyReLU', {'alpha': 0.2})]
G_LAYERS += [('Conv2D', {'filters': 3, 'kernel_size': (3, 3), 'strides': (1, 1), 'padding': 'same'}),
             ('Activation', {'activation': 'tanh'})]

D_LAYERS = []
for f, s in [(64, 2), (128, 2), (256, 2), (256, 2), (256, 2), (512, 1)]:
    D_LAYERS += [('Conv2D', {'filters': f, 'kernel_size': (3, 3), 'strides': (s, s), 'padding': 'same'}),
                 ('BatchNormalization', {'momentum': 0.8, 'epsilon': 1e-3}),
                 ('LeakyReLU', {'alpha': 0.2}),
                 ('Dropout', {'rate': 0.25})]
D_LAYERS += [('Flatten', {}), ('Dropout', {'rate': 0.5}), ('Dense', {'units': 1, 'activation': 'sigmoid'})]


def init_name(cfg):
    """Keras 2.3.1 writes glorot_uniform as its VarianceScaling equivalent; tf.keras by name."""
    c = cfg.get('config', {})
    if cfg['class_name'] == 'VarianceScaling' and c.get('scale') == 1.0 and \
            c.get('mode') == 'fan_avg' and c.get('distribution') == 'uniform':
        return 'GlorotUniform'
    return cfg['class_name']


def _check(model, expected):
    assert len(model.layers) == len(expected)
    for layer, (cls, settings) in zip(model.layers, expected):
        assert layer.__class__.__name__ == cls
        cfg = layer.get_config()
        for k, v in settings.items():
            got = cfg[k]
            got = tuple(got) if isinstance(got, list) else got
            if isinstance(v, float):
                assert got == pytest.approx(v, rel=1e-6), (layer.name, k)
            else:
                assert got == v, (layer.name, k)


def test_generator_layers_and_parameters(fresh_session):
    g = networks.gan_animation_generator(200)
    _check(g, G_LAYERS)
    assert g.input_shape == (None, 200) and g.output_shape == (None, 64, 64, 3)
    assert g.count_params() == 1319427
    for layer in g.layers:
        if layer.__class__.__name__ == 'Conv2DTranspose':
            init = layer.get_config()['kernel_initializer']
            assert init['class_name'] == 'TruncatedNormal'
            assert init['config']['mean'] == 0.0 and init['config']['stddev'] == pytest.approx(0.02)
            assert layer.kernel_size == layer.strides  # no checkerboard overlap
        elif layer.__class__.__name__ in ('Dense', 'Conv2D'):
            assert init_name(layer.get_config()['kernel_initializer']) == 'GlorotUniform'


def test_discriminator_layers_and_parameters(fresh_session):
    d = networks.gan_animation_discriminator()
    _check(d, D_LAYERS)
    assert d.input_shape == (None, 64, 64, 3) and d.output_shape == (None, 1)
    assert d.count_params() == 2739073


def test_compiled_losses_and_optimizers(fresh_session, real_config):
    from gan import GAN
    gan = GAN(real_config._replace(batch_size=256))
    d_loss = gan.discriminator.loss
    assert d_loss.__class__.__name__ == 'BinaryCrossentropy'
    assert d_loss.get_config()['label_smoothing'] == pytest.approx(0.2)
    assert gan.combined.loss == 'binary_crossentropy'
    for opt in (gan.discriminator.optimizer, gan.combined.optimizer):
        cfg = opt.get_config()
        assert opt.__class__.__name__ == 'Adam'
        assert cfg['learning_rate'] == pytest.approx(2e-4)
        assert cfg['beta_1'] == pytest.approx(0.5) and cfg['beta_2'] == pytest.approx(0.999)
        assert cfg['epsilon'] == pytest.approx(1e-7)
    assert gan.discriminator.optimizer is not gan.combined.optimizer
    # the combined model trains the generator only
    assert len(gan.combined._collected_trainable_weights) == len(gan.generator.trainable_weights)


def test_matches_the_original_architecture_json(fresh_session, reference_dir):
    """Layer configs read from the original's checkpoint files agree with ours."""
    with open(os.path.join(reference_dir, 'architecture.json')) as f:
        ref = json.load(f)
    for key, model in (('generator', networks.gan_animation_generator(200)),
                       ('discriminator', networks.gan_animation_discriminator())):
        assert model.count_params() == ref[key]['count_params']
        ref_layers = [l for l in ref[key]['layers'] if l['class_name'] != 'InputLayer']
        assert [l['class_name'] for l in ref_layers] == [l.__class__.__name__ for l in model.layers]
        for r, layer in zip(ref_layers, model.layers):
            cfg = layer.get_config()
            for k, v in r.items():
                if k in ('class_name', 'batch_input_shape'):
                    continue
                if k == 'kernel_initializer':
                    assert init_name(cfg[k]) == v['class_name']
                    for ik in ('mean', 'stddev'):
                        if ik in v:
                            assert cfg[k]['config'][ik] == pytest.approx(v[ik])
                    continue
                got = cfg[k]
                if isinstance(v, list):
                    assert list(got) == v, (layer.name, k)
                elif isinstance(v, float):
                    assert got == pytest.approx(v, rel=1e-6), (layer.name, k)
                else:
                    assert got == v, (layer.name, k)
