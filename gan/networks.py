"""Pure Keras builders for the generator and discriminator of each recipe (no I/O, no compile)."""
from keras.initializers import TruncatedNormal
from keras.layers import (Activation, BatchNormalization, Conv2D, Conv2DTranspose, Dense,
                          Dropout, Flatten, LeakyReLU, Reshape)
from keras.models import Sequential

IMG_SHAPE = (64, 64, 3)


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


GENERATORS = {'gan_animation': gan_animation_generator}
DISCRIMINATORS = {'gan_animation': gan_animation_discriminator}


def build_generator(arch, latent_dim):
    return GENERATORS[arch](latent_dim)


def build_discriminator(arch):
    return DISCRIMINATORS[arch]()
