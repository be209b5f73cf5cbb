"""The discriminator rounds of a step as one session call: same math as train_on_batch, in order."""
import inspect

import keras.backend as K
import tensorflow as tf
from keras.metrics import binary_accuracy

from .optim import Adam, adam_updates


def call_layers(model, x, training):
    """`model`'s layers applied to tensor x in order, with `training` given to every layer that
    takes it (BatchNorm, Dropout, GaussianNoise); returns (output, the calls' update ops)."""
    updates = []
    for layer in model.layers:
        takes = 'training' in inspect.signature(layer.call).parameters
        y = layer(x, training=training) if takes else layer(x)
        updates += list(layer.get_updates_for(x))
        x = y
    return x, updates


class FusedRounds(object):
    """`rounds` discriminator rounds of the alternating step, built once as one backend function.

    A round is what schemes.keras_round does with three session calls: G makes fakes from latents
    in inference mode (as generator.predict), then D is updated on the real half batch, then on the
    fake one (as D.train_on_batch: Keras' loss with its label smoothing and unit sample weights,
    BatchNorm in training mode with its moving statistics updated, D's own Adam). Here every op of
    a round runs after all updates of the one before (weights, Adam state, BatchNorm statistics,
    dropout/noise counters), so the chain computes exactly the sequence of separate calls, with
    the fakes never leaving TensorFlow. With `after_first`, those ops run right after the first
    round (the unrolling snapshot). Returns the first round's losses and accuracies.
    """

    def __init__(self, nets, rounds, after_first=None):
        G, D = nets.generator, nets.discriminator
        opt = nets.d_optimizer
        if not isinstance(opt, Adam) or getattr(opt, 'slots', None) is None:
            raise ValueError('fused rounds need D compiled with gan.optim.Adam and its train '
                             'function made (GAN.compile does both)')
        params = list(D._collected_trainable_weights)
        loss_fn = D.loss_functions[0]
        self.rounds = rounds
        shape = tuple(K.int_shape(D.inputs[0])[1:])
        latent = K.int_shape(G.inputs[0])[1]
        with tf.name_scope('fused_rounds'):
            self.real = K.placeholder(shape=(rounds, None) + shape, name='real')
            self.y_real = K.placeholder(shape=(rounds, None, 1), name='y_real')
            self.z = K.placeholder(shape=(rounds, None, latent), name='z')
            self.y_fake = K.placeholder(shape=(rounds, None, 1), name='y_fake')
            after, outputs = [], None

            def update_on(x, y, after):
                with tf.control_dependencies(after):
                    p, bn = call_layers(D, x, training=True)
                    weights = tf.ones_like(y[:, 0])
                    loss = K.mean(1. * loss_fn(y, p, sample_weight=weights))
                    acc = K.mean(binary_accuracy(y, p))
                    grads = opt.get_gradients(loss, params)
                    ops = adam_updates(opt, params, grads, *opt.slots) + bn
                return loss, acc, ops + [loss, acc]

            for r in range(rounds):
                with tf.control_dependencies(after):
                    fake, _ = call_layers(G, self.z[r], training=False)
                l_real, a_real, after = update_on(self.real[r], self.y_real[r], after + [fake])
                l_fake, a_fake, after = update_on(fake, self.y_fake[r], after)
                if r == 0:
                    outputs = [l_real, l_fake, a_real, a_fake]
                    if after_first is not None:
                        with tf.control_dependencies(after):
                            after = after + [after_first()]
            self._fn = K.function([self.real, self.y_real, self.z, self.y_fake], outputs,
                                  updates=[tf.group(*after)])

    def __call__(self, real, y_real, z, y_fake):
        """Arrays stacked per round: real (rounds, half, 64, 64, 3), targets (rounds, half, 1), z
        (rounds, half, latent). Returns the first round's logs."""
        l_real, l_fake, a_real, a_fake = self._fn([real, y_real, z, y_fake])
        return {'d_loss_real': float(l_real), 'd_loss_fake': float(l_fake),
                'd_acc_real': float(a_real), 'd_acc_fake': float(a_fake)}
