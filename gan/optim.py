"""Keras 2.3.1's Adam with its step counter read before the increment, and its update as a function."""
import keras
import keras.backend as K
import numpy as np
import tensorflow as tf


def adam_updates(opt, params, grads, ms, vs, vhats):
    """The ops of one Adam update of `params` by `grads`, with the optimizer's hyperparameters.

    The math is Keras 2.3.1's (lr_t = lr sqrt(1 - b2^t) / (1 - b1^t), p -= lr_t m / (sqrt(v) + eps)),
    which is also tf.keras' Adam of the original. t = iterations + 1 is read before the counter is
    incremented: the increment runs after every other update of this call. Keras' own get_updates
    leaves that read unordered against its increment; in this package's graphs (resource variables)
    it ran after it, i.e. t = n + 2 on the (n+1)-th update, one step off the original's bias
    correction. Ops are created in the caller's control-dependency context, so a chain of updates
    can be ordered by the caller.
    """
    iterations = K.cast(opt.iterations, K.floatx())
    lr = opt.learning_rate
    if opt.initial_decay > 0:
        lr = lr * (1. / (1. + opt.decay * K.cast(opt.iterations, K.dtype(opt.decay))))
    t = iterations + 1
    lr_t = lr * (K.sqrt(1. - K.pow(opt.beta_2, t)) / (1. - K.pow(opt.beta_1, t)))
    updates = []
    for p, g, m, v, vhat in zip(params, grads, ms, vs, vhats):
        m_t = (opt.beta_1 * m) + (1. - opt.beta_1) * g
        v_t = (opt.beta_2 * v) + (1. - opt.beta_2) * K.square(g)
        if opt.amsgrad:
            vhat_t = K.maximum(vhat, v_t)
            p_t = p - lr_t * m_t / (K.sqrt(vhat_t) + opt.epsilon)
            updates.append(K.update(vhat, vhat_t))
        else:
            p_t = p - lr_t * m_t / (K.sqrt(v_t) + opt.epsilon)
        updates.append(K.update(m, m_t))
        updates.append(K.update(v, v_t))
        if getattr(p, 'constraint', None) is not None:
            p_t = p.constraint(p_t)
        updates.append(K.update(p, p_t))
    with tf.control_dependencies(updates):
        updates.append(K.update_add(opt.iterations, 1))
    return updates


class Adam(keras.optimizers.Adam):
    """keras.optimizers.Adam whose update reads t before incrementing its counter (adam_updates).

    Same class name, config and slot variables as Keras' Adam, so saved models load in plain
    Keras. `slots` holds (ms, vs, vhats) once get_updates has run, for code that builds further
    updates of the same parameters (gan.fused).
    """

    @K.symbolic
    def get_updates(self, loss, params):
        grads = self.get_gradients(loss, params)
        ms = [K.zeros(K.int_shape(p), dtype=K.dtype(p), name='m_' + str(i))
              for i, p in enumerate(params)]
        vs = [K.zeros(K.int_shape(p), dtype=K.dtype(p), name='v_' + str(i))
              for i, p in enumerate(params)]
        if self.amsgrad:
            vhats = [K.zeros(K.int_shape(p), dtype=K.dtype(p), name='vhat_' + str(i))
                     for i, p in enumerate(params)]
        else:
            vhats = [K.zeros(1, name='vhat_' + str(i)) for i in range(len(params))]
        self.weights = [self.iterations] + ms + vs + vhats
        self.slots = (ms, vs, vhats)
        self.updates = adam_updates(self, params, grads, ms, vs, vhats)
        return self.updates


def zero_moments(opt):
    """Set the Adam moments (m, v and vhat) of `opt` to zero and keep its step counter: the state
    a tf.keras optimizer gives the variables of a rebuilt model (fresh slots), while the bias
    correction goes on from the counter (GANime's per-epoch rebuild under TF 2)."""
    K.batch_set_value([(w, np.zeros(K.int_shape(w), K.dtype(w)))
                       for w in opt.weights if w is not opt.iterations])
