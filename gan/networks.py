"""Pure Keras builders for the generator and discriminator of each recipe (no I/O, no compile)."""
from keras.initializers import TruncatedNormal
from keras.layers import (Activation, BatchNormalization, Conv2D, Conv2DTranspose, Dense,
                          Flatten, LeakyReLU, Reshape)
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


def gan_animation_discriminator(img_shape=IMG_SHAPE):
    """GAN_animation D: 6 x [Conv2D(3x3) BN LReLU Dropout(.25)] -> Flatten -> Dropout(.5) -> sigmoid."""
    model = Sequential(name='discriminator')
    for i, (filters, stride) in enumerate([(64, 2), (128, 2), (256, 2), (256, 2), (256, 2), (512, 1)]):
        extra = {'input_shape': img_shape} if i == 0 else {}
        model.add(Conv2D(filters, kernel_size=3, strides=stride, padding='same', **extra))
        model.add(BatchNormalization(momentum=0.8, epsilon=1e-3))
        model.add(LeakyReLU(alpha=0.2))
        model.add(Dropout(0.25))
    model.add(Flatten())
    model.add(Dropout(0.5))
    model.add(Dense(1, activation='sigmoid'))
    return model


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


def tiny_discriminator(img_shape=IMG_SHAPE):
    """A small stand-in with the same layer kinds as GAN_animation's D (tests and smoke runs)."""
    model = Sequential(name='discriminator')
    for i, stride in enumerate((4, 4)):
        extra = {'input_shape': img_shape} if i == 0 else {}
        model.add(Conv2D(8, kernel_size=3, strides=stride, padding='same', **extra))
        model.add(BatchNormalization(momentum=0.8, epsilon=1e-3))
        model.add(LeakyReLU(alpha=0.2))
        model.add(Dropout(0.25))
    model.add(Flatten())
    model.add(Dropout(0.5))
    model.add(Dense(1, activation='sigmoid'))
    return model


GENERATORS = {'gan_animation': gan_animation_generator, 'tiny': tiny_generator}
DISCRIMINATORS = {'gan_animation': gan_animation_discriminator, 'tiny': tiny_discriminator}


def build_generator(arch, latent_dim):
    return GENERATORS[arch](latent_dim)


def build_discriminator(arch):
    return DISCRIMINATORS[arch]()
