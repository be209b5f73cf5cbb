"""Pure Keras builders for the generator and discriminator of each recipe (no I/O, no compile)."""
import contextlib

from keras.initializers import TruncatedNormal, VarianceScaling
from keras.layers import (Activation, BatchNormalization, Conv2D, Conv2DTranspose, Dense,
                          Flatten, LeakyReLU, ReLU, Reshape)
from keras.models import Sequential
import keras
import keras.backend as K
import numpy as np
import tensorflow as tf

IMG_SHAPE = (64, 64, 3)


class Dropout(keras.layers.Dropout):
    """keras.layers.Dropout with masks from a counter-based (stateless) random generator.

    The math is Keras' (keep with probability 1 - rate, scale kept values by 1 / (1 - rate)); only
    the random stream differs: masks are a function of (salt, counter), where the counter is a
    variable that counts this layer's training calls. Saving the counter lets a resumed run draw
    exactly the masks an uninterrupted run would. The class name stays 'Dropout', so the saved
    models load in plain Keras as ordinary Dropout.
    """

    def build(self, input_shape):
        self.salt = int(np.random.randint(2 ** 31 - 1))    # seeded through np.random, as Keras does
        counter = K.variable(0, dtype='int64', name='seed_counter')
        counter._tracked = True            # keep it out of the layer's weights (and snapshots)
        self.seed_counter = counter
        super(Dropout, self).build(input_shape)

    def call(self, inputs, training=None):
        if not 0.0 < self.rate < 1.0:
            return inputs

        def dropped():
            count = tf.compat.v1.assign_add(self.seed_counter, 1)
            seed = tf.stack([tf.constant(self.salt, tf.int64), count])
            shape = self._get_noise_shape(inputs)
            shape = tf.shape(inputs) if shape is None else tf.stack(shape)
            keep = tf.random.stateless_uniform(shape, seed=seed, dtype=inputs.dtype) >= self.rate
            return inputs * (1.0 / (1.0 - self.rate)) * tf.cast(keep, inputs.dtype)
        return K.in_train_phase(dropped, inputs, training=training)


def gan_animation_generator(latent_dim=200):
    """GAN_animation G: Dense(4096) -> 4x4x256 -> 4 x [ConvT(k2,s2) BN LReLU] -> Conv2D(3) -> tanh."""
    model = Sequential(name='generator')
    model.add(Dense(4 * 4 * 256, input_dim=latent_dim))
    model.add(Reshape((4, 4, 256)))
    for filters in (256, 128, 128, 64):
        model.add(Conv2DTranspose(filters, kernel_size=2, strides=2, padding='same',
                                  kernel_initializer=TruncatedNormal(mean=0.0, stddev=0.02)))
        model.add(BatchNormalization(momentum=0.9, epsilon=1e-5))
        model.add(LeakyReLU(alpha=0.2))
    model.add(Conv2D(3, kernel_size=3, strides=1, padding='same'))
    model.add(Activation('tanh'))
    return model


def _dropout_discriminator(blocks, img_shape, head_dropout=0.5):
    """GAN_animation's D shape: per (filters, stride) a Conv2D(3x3, same) BN(0.8, 1e-3) LReLU(0.2)
    Dropout(.25) block, then Flatten, Dropout(head_dropout) and a sigmoid Dense."""
    model = Sequential(name='discriminator')
    for i, (filters, stride) in enumerate(blocks):
        extra = {'input_shape': img_shape} if i == 0 else {}
        model.add(Conv2D(filters, kernel_size=3, strides=stride, padding='same', **extra))
        model.add(BatchNormalization(momentum=0.8, epsilon=1e-3))
        model.add(LeakyReLU(alpha=0.2))
        model.add(Dropout(0.25))
    model.add(Flatten())
    model.add(Dropout(head_dropout))
    model.add(Dense(1, activation='sigmoid'))
    return model


def gan_animation_discriminator(img_shape=IMG_SHAPE, head_dropout=0.5):
    """GAN_animation D: 6 x [Conv2D(3x3) BN LReLU Dropout(.25)] -> Flatten -> Dropout(.5) -> sigmoid."""
    return _dropout_discriminator([(64, 2), (128, 2), (256, 2), (256, 2), (256, 2), (512, 1)],
                                  img_shape, head_dropout)


def tiny_generator(latent_dim=200):
    """A small stand-in with the same layer kinds as GAN_animation's G (tests and smoke runs)."""
    model = Sequential(name='generator')
    model.add(Dense(4 * 4 * 8, input_dim=latent_dim))
    model.add(Reshape((4, 4, 8)))
    for _ in range(4):
        model.add(Conv2DTranspose(8, kernel_size=2, strides=2, padding='same',
                                  kernel_initializer=TruncatedNormal(mean=0.0, stddev=0.02)))
        model.add(BatchNormalization(momentum=0.9, epsilon=1e-5))
        model.add(LeakyReLU(alpha=0.2))
    model.add(Conv2D(3, kernel_size=3, padding='same'))
    model.add(Activation('tanh'))
    return model


def tiny_discriminator(img_shape=IMG_SHAPE, head_dropout=0.5):
    """A small stand-in with the same layer kinds as GAN_animation's D (tests and smoke runs)."""
    return _dropout_discriminator([(8, 4), (8, 4)], img_shape, head_dropout)


# -- the sibling projects' recipes (issue 5) ----------------------------------------------------

def sigmoid(x):
    """The logistic function accurate in float32 down to exp's underflow (x about -87), as
    PyTorch's and TF 2.x's kernels are; the sibling discriminators' output.

    TF 1.15's float32 kernel approximates sigmoid(x) - 0.5 on x clamped to [-18, 18]: its error is
    absolute (about 2^-25), so sigmoid(-16) comes out 6.0e-8 instead of 1.1e-7, and every x below
    -18 gives exactly 0, where a bare log(p) is -inf and PyTorch's BCELoss has no gradient. Named
    'sigmoid', so saved models name Keras' own and load in plain Keras.
    """
    negative = x < 0
    e = K.exp(tf.compat.v2.where(negative, x, -x))        # exp(-|x|): never overflows
    return tf.compat.v2.where(negative, e / (1.0 + e), 1.0 / (1.0 + e))


class GaussianNoise(keras.layers.GaussianNoise):
    """keras.layers.GaussianNoise whose standard deviation is a backend variable.

    `set_stddev` changes it in place (K.set_value), so an instance-noise schedule needs no rebuilt
    model and no new graph ops. Like Dropout above, the noise comes from a counter-based generator
    (salt, counter), so a resumed run draws the noise an uninterrupted one would. Active in the
    training phase only, as Keras' layer is. Saved configs hold the current value as a float, and
    the class name stays 'GaussianNoise', so plain Keras loads the saved models.
    """

    def build(self, input_shape):
        self.salt = int(np.random.randint(2 ** 31 - 1))
        counter = K.variable(0, dtype='int64', name='seed_counter')
        counter._tracked = True            # not a weight: kept out of weights, files and snapshots
        self.seed_counter = counter
        sigma = K.variable(float(self.stddev), name='stddev')
        sigma._tracked = True
        self.stddev_variable = sigma
        super(GaussianNoise, self).build(input_shape)

    def set_stddev(self, value):
        self.stddev = float(value)
        if getattr(self, 'stddev_variable', None) is not None:
            K.set_value(self.stddev_variable, self.stddev)

    def call(self, inputs, training=None):
        def noised():
            count = tf.compat.v1.assign_add(self.seed_counter, 1)
            seed = tf.stack([tf.constant(self.salt, tf.int64), count])
            noise = tf.random.stateless_normal(tf.shape(inputs), seed=seed, dtype=inputs.dtype)
            return inputs + tf.cast(self.stddev_variable, inputs.dtype) * noise
        return K.in_train_phase(noised, inputs, training=training)


# PyTorch's default initialisation of Conv2d / ConvTranspose2d / Linear weights is
# kaiming_uniform_(a=sqrt(5)), i.e. U(-b, b) with b = 1 / sqrt(fan_in). VarianceScaling(1/3,
# fan_in, uniform) draws U(-sqrt(3 * (1/3) / fan_in), ...) = the same bound. Keras computes fan_in
# of a Conv2DTranspose kernel (kh, kw, out, in) as kh * kw * out, which is also what PyTorch uses
# for its transposed-conv weights (in, out, kh, kw). BatchNorm starts at gamma 1, beta 0 in both.
INITS = ('keras', 'torch')


def _kernel_init(init):
    if init not in INITS:
        raise ValueError('unknown init %r; choose one of: %s' % (init, ', '.join(INITS)))
    if init == 'torch':
        return VarianceScaling(scale=1.0 / 3.0, mode='fan_in', distribution='uniform')
    return 'glorot_uniform'


def ganime_generator(latent_dim=100):
    """GANime G: Dense(8192) BN LReLU(.1) -> 4x4x512 -> 4 x [ConvT(f,4,s2) BN(.85) LReLU(.1)] ->
    Conv2D(64,3) LReLU(.1) -> Conv2D(3,7,tanh). 7,858,115 parameters."""
    model = Sequential(name='generator')
    model.add(Dense(4 * 4 * 512, input_dim=latent_dim))
    model.add(BatchNormalization(momentum=0.85))
    model.add(LeakyReLU(alpha=0.1))
    model.add(Reshape((4, 4, 512)))
    for filters in (512, 256, 128, 64):
        model.add(Conv2DTranspose(filters, kernel_size=4, strides=2, padding='same'))
        model.add(BatchNormalization(momentum=0.85))
        model.add(LeakyReLU(alpha=0.1))
    model.add(Conv2D(64, kernel_size=3, padding='same'))
    model.add(LeakyReLU(alpha=0.1))
    model.add(Conv2D(3, kernel_size=7, padding='same', activation='tanh'))
    return model


def ganime_discriminator(img_shape=IMG_SHAPE, noise_stddev=0.0, head_dropout=0.5):
    """GANime D: GaussianNoise (instance noise) -> 4 x [Conv2D(f,3,s2) BN(.85) LReLU(.1)] ->
    Flatten -> Dropout(.5; .4 in the published run) -> Dense(192) LReLU(.1) -> Dropout(.2) ->
    sigmoid. 3,128,065 parameters."""
    model = Sequential(name='discriminator')
    model.add(GaussianNoise(noise_stddev, input_shape=img_shape))
    for filters in (64, 128, 256, 512):
        model.add(Conv2D(filters, kernel_size=3, strides=2, padding='same'))
        model.add(BatchNormalization(momentum=0.85))
        model.add(LeakyReLU(alpha=0.1))
    model.add(Flatten())
    model.add(Dropout(head_dropout))
    model.add(Dense(192))
    model.add(LeakyReLU(alpha=0.1))
    model.add(Dropout(0.2))
    model.add(Dense(1, activation='sigmoid'))
    return model


def dcgan_yernat_generator(latent_dim=100):
    """dcgan-yernat G: Dense(4096) LReLU(.3) BN -> 4x4x256 -> 3 x [ConvT(f,5,s2,relu) BN] ->
    ConvT(3,5,s2,sigmoid): images in [0, 1]. 1,508,803 parameters."""
    model = Sequential(name='generator')
    model.add(Dense(4 * 4 * 256, input_dim=latent_dim))
    model.add(LeakyReLU(alpha=0.3))
    model.add(BatchNormalization())
    model.add(Reshape((4, 4, 256)))
    for filters in (128, 64, 32):
        model.add(Conv2DTranspose(filters, kernel_size=5, strides=2, padding='same', activation='relu'))
        model.add(BatchNormalization())
    model.add(Conv2DTranspose(3, kernel_size=5, strides=2, padding='same', activation='sigmoid'))
    return model


def _tf2_tutorial_discriminator(img_shape, alpha, rate, norm_first):
    """4 x [Conv2D(f,5,s2) with BN and LReLU(alpha) in either order, Dropout(rate)], f = 32..256,
    -> Flatten -> Dense(1, sigmoid): the D shape both TF2-tutorial projects use."""
    model = Sequential(name='discriminator')
    for i, filters in enumerate((32, 64, 128, 256)):
        extra = {'input_shape': img_shape} if i == 0 else {}
        model.add(Conv2D(filters, kernel_size=5, strides=2, padding='same', **extra))
        pair = [BatchNormalization(), LeakyReLU(alpha=alpha)]
        for layer in (pair if norm_first else pair[::-1]):
            model.add(layer)
        model.add(Dropout(rate))
    model.add(Flatten())
    model.add(Dense(1, activation=sigmoid))
    return model


def dcgan_yernat_discriminator(img_shape=IMG_SHAPE):
    """dcgan-yernat D: 4 x [Conv2D(f,5,s2) LReLU(.3) BN Dropout(.4)] -> Flatten -> sigmoid.
    1,084,097 parameters."""
    return _tf2_tutorial_discriminator(img_shape, alpha=0.3, rate=0.4, norm_first=False)


def animefacesgan_generator(latent_dim=100):
    """AnimeFacesGAN G: Dense(4096) BN -> 4x4x256 -> LReLU(.2) -> 4 x [ConvT(f,5,s2) BN LReLU(.2)]
    -> Conv2D(3,3,tanh). 1,519,715 parameters."""
    model = Sequential(name='generator')
    model.add(Dense(4 * 4 * 256, input_dim=latent_dim))
    model.add(BatchNormalization())
    model.add(Reshape((4, 4, 256)))
    model.add(LeakyReLU(alpha=0.2))
    for filters in (128, 64, 32, 16):
        model.add(Conv2DTranspose(filters, kernel_size=5, strides=2, padding='same'))
        model.add(BatchNormalization())
        model.add(LeakyReLU(alpha=0.2))
    model.add(Conv2D(3, kernel_size=3, padding='same', activation='tanh'))
    return model


def animefacesgan_discriminator(img_shape=IMG_SHAPE):
    """AnimeFacesGAN D: 4 x [Conv2D(f,5,s2) BN LReLU(.2) Dropout(.3)] -> Flatten -> sigmoid.
    1,084,097 parameters."""
    return _tf2_tutorial_discriminator(img_shape, alpha=0.2, rate=0.3, norm_first=True)


# PyTorch BatchNorm2d defaults in Keras terms: momentum 0.1 -> 0.9, eps 1e-5.
TORCH_BN = {'momentum': 0.9, 'epsilon': 1e-5}


def animefaceswithgan_generator(latent_dim=128, init='keras', leaky=False):
    """AnimeFacesWithGAN (Jovian 06b-anime-dcgan) G: latent as 1x1x128 -> ConvT(512,4,valid) BN
    act -> 3 x [ConvT(f,4,s2) BN act] -> ConvT(3,4,s2) -> tanh, no biases; act = ReLU (v1) or
    LeakyReLU(.2) (`leaky`, v2 on). 3,808,000 parameters as Keras counts them (BN: 4 per channel)."""
    kernel = _kernel_init(init)
    model = Sequential(name='generator')
    model.add(Reshape((1, 1, latent_dim), input_shape=(latent_dim,)))
    for i, filters in enumerate((512, 256, 128, 64)):
        model.add(Conv2DTranspose(filters, kernel_size=4, strides=1 if i == 0 else 2,
                                  padding='valid' if i == 0 else 'same', use_bias=False,
                                  kernel_initializer=kernel))
        model.add(BatchNormalization(**TORCH_BN))
        model.add(LeakyReLU(alpha=0.2) if leaky else ReLU())
    model.add(Conv2DTranspose(3, kernel_size=4, strides=2, padding='same', use_bias=False,
                              kernel_initializer=kernel))
    model.add(Activation('tanh'))
    return model


def animefaceswithgan_discriminator(img_shape=IMG_SHAPE, init='keras'):
    """AnimeFacesWithGAN D: 4 x [Conv2D(f,4,s2) BN LReLU(.2)] -> Conv2D(1,4,valid) -> Flatten ->
    sigmoid, no biases. 2,767,616 parameters."""
    kernel = _kernel_init(init)
    model = Sequential(name='discriminator')
    for i, filters in enumerate((64, 128, 256, 512)):
        extra = {'input_shape': img_shape} if i == 0 else {}
        model.add(Conv2D(filters, kernel_size=4, strides=2, padding='same', use_bias=False,
                         kernel_initializer=kernel, **extra))
        model.add(BatchNormalization(**TORCH_BN))
        model.add(LeakyReLU(alpha=0.2))
    model.add(Conv2D(1, kernel_size=4, padding='valid', use_bias=False, kernel_initializer=kernel))
    model.add(Flatten())
    model.add(Activation(sigmoid))
    return model


def _leaky_animefaceswithgan_generator(latent_dim=128, init='keras'):
    return animefaceswithgan_generator(latent_dim, init=init, leaky=True)


GENERATORS = {'gan_animation': gan_animation_generator, 'tiny': tiny_generator,
              'ganime': ganime_generator, 'dcgan_yernat': dcgan_yernat_generator,
              'animefacesgan': animefacesgan_generator,
              'animefaceswithgan': animefaceswithgan_generator,
              'animefaceswithgan_leaky': _leaky_animefaceswithgan_generator}
DISCRIMINATORS = {'gan_animation': gan_animation_discriminator, 'tiny': tiny_discriminator,
                  'ganime': ganime_discriminator, 'dcgan_yernat': dcgan_yernat_discriminator,
                  'animefacesgan': animefacesgan_discriminator,
                  'animefaceswithgan': animefaceswithgan_discriminator,
                  'animefaceswithgan_leaky': animefaceswithgan_discriminator}
# Architectures whose builders take init='torch' (PyTorch-default initialisation).
TORCH_INIT_ARCHS = ('animefaceswithgan', 'animefaceswithgan_leaky')
# Discriminators with a Dropout after Flatten whose rate is a parameter (head_dropout).
HEAD_DROPOUT_ARCHS = ('gan_animation', 'tiny', 'ganime')


class OptionError(ValueError):
    """A builder's option that the architecture does not offer."""


def build_generator(arch, latent_dim, init='keras'):
    if init != 'keras':
        if arch not in TORCH_INIT_ARCHS:
            raise OptionError('init %r is offered for %s only' % (init, ', '.join(TORCH_INIT_ARCHS)))
        return GENERATORS[arch](latent_dim, init=init)
    return GENERATORS[arch](latent_dim)


def build_discriminator(arch, init='keras', head_dropout=0.5):
    kwargs = {}
    if init != 'keras':
        if arch not in TORCH_INIT_ARCHS:
            raise OptionError('init %r is offered for %s only' % (init, ', '.join(TORCH_INIT_ARCHS)))
        kwargs['init'] = init
    if head_dropout != 0.5:
        if arch not in HEAD_DROPOUT_ARCHS:
            raise OptionError('a head dropout other than 0.5 is offered for %s only (a dropout '
                              'after Flatten)' % ', '.join(HEAD_DROPOUT_ARCHS))
        kwargs['head_dropout'] = head_dropout
    return DISCRIMINATORS[arch](**kwargs)


@contextlib.contextmanager
def batchnorm_inference(model):
    """A context in which calling `model` builds its BatchNormalization layers in inference mode
    (moving statistics, no statistics update), whatever the learning phase, while its other layers
    (dropout, noise) follow the learning phase: what tf.keras in TF 2 does with the BatchNorm
    layers of a frozen model. Keras runs a Sequential's layers through `layer.call`, so the
    context shadows that method on each BatchNorm instance and removes the shadow on exit."""
    layers = [l for l in model.layers if isinstance(l, BatchNormalization)]
    for layer in layers:
        layer.call = _inference_call(layer)
    try:
        yield layers
    finally:
        for layer in layers:
            del layer.call


def _inference_call(layer):
    def call(inputs, **kwargs):
        kwargs['training'] = False
        return type(layer).call(layer, inputs, **kwargs)
    return call
