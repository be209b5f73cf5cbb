"""Unrolling: in-graph snapshot and restore of the discriminator (first-order, the original's
method) and second-order unrolling that differentiates through the unrolled Adam updates."""
import keras.backend as K
import numpy as np
import tensorflow as tf
from keras import layers as L
from keras import losses
from keras.models import Sequential
from keras.optimizers import Adam
from keras.utils.generic_utils import has_arg


class Snapshot(object):
    """Shadow copies of `variables` with one op to save them and one to restore them.

    Both ops are built once, so calling them never grows the graph, and the values never
    leave the TensorFlow runtime (no get_weights/set_weights round trip through NumPy).
    """

    def __init__(self, variables, name='snapshot'):
        self.variables = list(variables)
        with tf.name_scope(name):
            self._shadows = [tf.Variable(tf.zeros(v.shape, dtype=v.dtype.base_dtype), trainable=False,
                                         name='shadow_%d' % i)
                             for i, v in enumerate(self.variables)]
            K.get_session().run([s.initializer for s in self._shadows])
            self._save_op = tf.group(*[s.assign(v) for s, v in zip(self._shadows, self.variables)])
            self._restore_op = tf.group(*[v.assign(s) for s, v in zip(self._shadows, self.variables)])

    def save(self):
        K.get_session().run(self._save_op)

    def build_save(self):
        """A new save op, made in the caller's control-dependency context (for fused functions)."""
        return tf.group(*[s.assign(v) for s, v in zip(self._shadows, self.variables)])

    def restore(self):
        K.get_session().run(self._restore_op)

    def values(self):
        """The saved values as NumPy arrays (for tests and diagnostics)."""
        return K.get_session().run(self._shadows)


# -- second-order unrolling (Metz et al., ICLR 2017) -------------------------------------------
#
# The first-order step (schemes.AlternatingScheme) really updates D k more times, trains G
# against that D, and restores D: G's gradient treats the unrolled weights theta_k as constants.
# Here the k updates are built symbolically instead, theta_i = Adam(theta_{i-1}, grad
# L_D(theta_{i-1})), so tf.gradients of the G loss at theta_k flows back through every update
# into G (the fakes the unrolled D sees depend on G): the second-order terms of the paper.

# The Adam update of the n-th step (counter n - 1 before it) uses t = n, as tf.keras' Adam in the
# original: gan.optim.Adam reads its counter before incrementing it. (Keras 2.3.1's own Adam left
# that read unordered; in this package's graphs it ran after the increment, t = n + 1.) The
# symbolic updates here use the same t; tests/test_unroll2.py checks them against train_on_batch.
ADAM_T_OFFSET = 0


class UnsupportedLayer(ValueError):
    """The functional forward cannot evaluate this layer with substituted weights."""


# Layer types functional_forward evaluates (Lambda is called as it is: it has no weights of its own).
SUPPORTED_LAYERS = ('Dense', 'Conv2D', 'BatchNormalization', 'LeakyReLU', 'ReLU', 'Activation',
                    'Dropout', 'Flatten', 'Reshape', 'Lambda', 'GaussianNoise')


def _floatx():
    return K.floatx()


def _dropout(layer, x, call_index, counters):
    """Dropout with the layer's rate in training mode.

    For the package's seeded Dropout (it has `salt` and `seed_counter`), masks come from a
    stateless generator seeded by (salt + 1 + call_index, counter), where the counter is advanced
    once per run of the function (so the masks, and resumed runs, stay deterministic); other
    Dropout layers use tf.nn.dropout (fresh random masks each run).
    """
    rate = float(layer.rate)
    if not 0.0 < rate < 1.0:
        return x
    noise_shape = layer._get_noise_shape(x)
    shape = tf.shape(x) if noise_shape is None else tf.stack(noise_shape)
    counter = getattr(layer, 'seed_counter', None)
    if counter is not None and hasattr(layer, 'salt'):
        if layer.name not in counters:
            counters[layer.name] = tf.compat.v1.assign_add(counter, 1)
        seed = tf.stack([tf.constant(int(layer.salt) + 1 + call_index, tf.int64), counters[layer.name]])
        keep = tf.random.stateless_uniform(shape, seed=seed, dtype=x.dtype) >= rate
    else:
        keep = tf.random.uniform(shape, dtype=x.dtype) >= rate
    return x * (1.0 / (1.0 - rate)) * tf.cast(keep, x.dtype)


def _batch_norm_training(layer, x, gamma, beta):
    """BatchNormalization in training mode: normalise with the batch's mean and (biased) variance,
    as Keras does; the moving statistics are neither used nor updated."""
    ndim = len(K.int_shape(x))
    axis = layer.axis % ndim
    reduction_axes = [i for i in range(ndim) if i != axis]
    mean, var = tf.nn.moments(x, reduction_axes, keepdims=True)
    shape = [1] * ndim
    shape[axis] = -1
    y = (x - mean) * tf.math.rsqrt(var + layer.epsilon)
    if gamma is not None:
        y = y * tf.reshape(gamma, shape)
    if beta is not None:
        y = y + tf.reshape(beta, shape)
    return y


def functional_forward(model, x, weights=None, call_index=0, counters=None):
    """Output of the Sequential `model` on tensor `x` in training mode, with the layers' trainable
    weights replaced by tensors: `weights` maps a variable to the tensor used in its place
    (variables not in the map are used as they are).

    Supported layers: SUPPORTED_LAYERS (BatchNormalization with batch statistics, Dropout at the
    layer's rate) and InputLayer. Any other layer raises UnsupportedLayer. Nothing is added to the
    layers' own update lists.
    """
    weights = weights or {}
    counters = {} if counters is None else counters

    def w(var):
        if var is None:
            return None
        return weights.get(var, var)

    layers = getattr(model, 'layers', None)
    if layers is None or not isinstance(model, Sequential):
        raise UnsupportedLayer('second-order unrolling needs a Sequential discriminator, got %s'
                               % type(model).__name__)
    for layer in layers:
        if isinstance(layer, L.InputLayer):
            continue
        if isinstance(layer, L.Conv2DTranspose) or type(layer).__name__ not in SUPPORTED_LAYERS:
            raise UnsupportedLayer(
                'second-order unrolling cannot evaluate layer %r (%s) with substituted weights; '
                'supported: %s' % (layer.name, type(layer).__name__, ', '.join(SUPPORTED_LAYERS)))
        if isinstance(layer, L.Dense):
            x = K.dot(x, w(layer.kernel))
            if layer.use_bias:
                x = K.bias_add(x, w(layer.bias), data_format='channels_last')
            x = layer.activation(x)
        elif isinstance(layer, L.Conv2D):
            x = K.conv2d(x, w(layer.kernel), strides=layer.strides, padding=layer.padding,
                         data_format=layer.data_format, dilation_rate=layer.dilation_rate)
            if layer.use_bias:
                x = K.bias_add(x, w(layer.bias), data_format=layer.data_format)
            x = layer.activation(x)
        elif isinstance(layer, L.BatchNormalization):
            x = _batch_norm_training(layer, x, w(layer.gamma) if layer.scale else None,
                                     w(layer.beta) if layer.center else None)
        elif isinstance(layer, L.Dropout):
            x = _dropout(layer, x, call_index, counters)
        elif isinstance(layer, L.GaussianNoise):
            x = x + K.random_normal(shape=tf.shape(x), mean=0.0, stddev=layer.stddev)
        else:   # LeakyReLU, ReLU, Activation, Flatten, Reshape, Lambda: no weights
            x = layer.call(x)
    return x


def _inference_forward(model, x):
    """`model` on tensor `x` in inference mode (BatchNorm moving statistics, no dropout), as
    `model.predict` computes it, but differentiable and without new Keras nodes or updates."""
    for layer in model.layers:
        if type(layer).__name__ == 'InputLayer':
            continue
        x = layer.call(x, training=False) if has_arg(layer.call, 'training') else layer.call(x)
    return x


def _loss_function(model):
    """The model's compiled loss as a scalar function of (y_true, y_pred) (batch mean)."""
    fn = losses.get(model.loss)
    if isinstance(fn, losses.Loss):
        return lambda y, p: fn(y, p)
    return lambda y, p: K.mean(fn(y, p))


class SecondOrderUnroll(object):
    """The generator update of Metz et al.'s unrolled GAN, differentiating through D's optimizer.

    One K.function, built once: from D's current weights theta_0 and Adam state (m, v,
    iterations) it builds k symbolic rounds (a real half batch, then fakes G(z_i) made with G in
    inference mode, as `generator.predict` makes them in the first-order step; each half batch its
    own Adam update with D's compiled loss, lr, betas and epsilon, D in training mode with its
    batch's statistics), then the G loss BCE(D(G(z); theta_k), y) (G in training mode, its
    BatchNorm statistics updated as by the combined model) and applies its full gradient w.r.t.
    G's trainable weights with the combined model's Adam. D's variables and Adam state are only
    read, never written.

    `source` is anything with `nets` (schemes.Nets), `config` and `draw` (batches.Draws): a scheme
    or a GAN. `first_order=True` builds the same graph with theta_k behind stop_gradient, i.e. the
    gradient the first-order step takes (for tests and comparisons). `updates=False` builds only
    the loss and gradients (no training function; nothing is changed in the combined model's
    optimizer).
    """

    def __init__(self, source, first_order=False, updates=True):
        c, nets = source.config, source.nets
        G, D = nets.generator, nets.discriminator
        self.source = source
        self.k = k = int(c.unroll_steps)
        self.half = half = c.batch_size // 2
        opt = nets.d_optimizer
        if not isinstance(opt, Adam):
            raise ValueError('second-order unrolling differentiates through Adam; the '
                             'discriminator was compiled with %s' % type(opt).__name__)
        if D.losses:
            raise ValueError('second-order unrolling does not support discriminators with '
                             'regularisation losses')
        params = list(getattr(D, '_collected_trainable_weights', D.trainable_weights))
        n = len(params)
        slots = list(opt.weights)
        if len(slots) != 1 + 3 * n:
            raise ValueError('unexpected Adam state for the discriminator (%d arrays for %d weights)'
                             % (len(slots), n))
        ms, vs, vhats = slots[1:1 + n], slots[1 + n:1 + 2 * n], slots[1 + 2 * n:]
        d_loss = _loss_function(D)
        g_loss_fn = _loss_function(nets.combined)
        floatx = _floatx()
        x_shape = tuple(K.int_shape(D.inputs[0])[1:])
        latent = c.latent_dim

        with tf.name_scope('second_order_unroll'):
            self.real = K.placeholder(shape=(k, None) + x_shape, name='real')
            self.y_real = K.placeholder(shape=(k, None, 1), name='y_real')
            self.z_unroll = K.placeholder(shape=(k, None, latent), name='z_unroll')
            self.y_fake = K.placeholder(shape=(k, None, 1), name='y_fake')
            self.z = K.placeholder(shape=(None, latent), name='z')
            self.y = K.placeholder(shape=(None, 1), name='y')

            theta = [tf.identity(p) for p in params]
            m = [tf.identity(s) for s in ms]
            v = [tf.identity(s) for s in vs]
            vhat = [tf.identity(s) for s in vhats]
            lr = opt.learning_rate
            b1, b2, eps = opt.beta_1, opt.beta_2, opt.epsilon
            iterations = K.cast(opt.iterations, floatx)
            counters = {}
            calls = 0
            self.unrolled_losses = []
            for i in range(k):
                fake = _inference_forward(G, self.z_unroll[i])
                for x, y in ((self.real[i], self.y_real[i]), (fake, self.y_fake[i])):
                    out = functional_forward(D, x, dict(zip(params, theta)), calls, counters)
                    calls += 1
                    loss = d_loss(y, out)
                    self.unrolled_losses.append(loss)
                    grads = tf.gradients(loss, theta)
                    if any(g is None for g in grads):
                        raise ValueError('a discriminator weight has no gradient in the unrolled loss')
                    # t as D's own update computes it (see ADAM_T_OFFSET), so theta_i equals
                    # the weights D's own i-th update would give.
                    iterations = iterations + 1.0
                    step_lr = lr
                    if opt.initial_decay > 0:
                        step_lr = lr * (1. / (1. + opt.decay * iterations))
                    t = iterations + float(ADAM_T_OFFSET)
                    lr_t = step_lr * (K.sqrt(1. - K.pow(b2, t)) / (1. - K.pow(b1, t)))
                    new_theta, new_m, new_v, new_vhat = [], [], [], []
                    for p, g, m_i, v_i, vh in zip(theta, grads, m, v, vhat):
                        m_t = b1 * m_i + (1. - b1) * g
                        v_t = b2 * v_i + (1. - b2) * K.square(g)
                        if opt.amsgrad:
                            vh = K.maximum(vh, v_t)
                            p_t = p - lr_t * m_t / (K.sqrt(vh) + eps)
                        else:
                            p_t = p - lr_t * m_t / (K.sqrt(v_t) + eps)
                        new_theta.append(p_t)
                        new_m.append(m_t)
                        new_v.append(v_t)
                        new_vhat.append(vh)
                    theta, m, v, vhat = new_theta, new_m, new_v, new_vhat
            if first_order:
                theta = [tf.stop_gradient(t) for t in theta]
            self.theta_k = theta
            fake = G(self.z)            # training mode (learning phase 1), as in the combined model
            out = functional_forward(D, fake, dict(zip(params, theta)), calls, counters)
            self.g_loss = g_loss_fn(self.y, out)

        g_params = list(G.trainable_weights)
        combined_params = list(getattr(nets.combined, '_collected_trainable_weights', g_params))
        if [id(p) for p in combined_params] != [id(p) for p in g_params]:
            raise ValueError('the combined model trains other weights than the generator\'s')
        self.params = params
        self.g_params = g_params
        self._gradients = None
        self._inputs = [self.real, self.y_real, self.z_unroll, self.y_fake, self.z, self.y,
                        K.learning_phase()]
        self._fn = None
        if updates:
            g_opt = nets.g_optimizer
            old_slots = list(g_opt.weights)
            g_updates = g_opt.get_updates(loss=self.g_loss, params=g_params)
            # get_updates made fresh slot variables (and points g_opt.weights at them): carry
            # the current state over, so a running or restored Adam state continues unchanged.
            new_slots = list(g_opt.weights)
            if len(old_slots) == len(new_slots):
                K.get_session().run([nw.assign(od) for nw, od in zip(new_slots, old_slots)
                                     if nw is not od])
            else:
                K.get_session().run([s.initializer for s in new_slots])
            for s in new_slots:
                s._keras_initialized = True
            all_updates = list(g_updates) + list(G.get_updates_for(self.z))
            self._fn = K.function(self._inputs, [self.g_loss], updates=all_updates)

    # -- batches, drawn in the first-order step's order ----------------------------------------
    def draw(self, sample_real):
        """The unrolled rounds' batches and the G batch, drawn as the first-order step draws them."""
        return draw_batches(self.source, sample_real, self.k)

    def feed(self, batches):
        return dict(zip(self._inputs, list(batches) + [1]))

    def generator_gradients(self, batches):
        """The gradient of the G loss w.r.t. G's trainable weights on given batches (no update)."""
        if self._gradients is None:
            self._gradients = tf.gradients(self.g_loss, self.g_params)
        return K.get_session().run(self._gradients, feed_dict=self.feed(batches))

    def apply(self, batches):
        """The G update on given batches; returns the G loss (at theta_k, before the update)."""
        if self._fn is None:
            raise RuntimeError('this SecondOrderUnroll was built with updates=False')
        return float(self._fn(list(batches) + [1])[0])


def draw_batches(source, sample_real, k):
    """[real, y_real, z_unroll, y_fake] stacked over k D rounds, then [z, y] of the G update, from
    `source.draw` exactly as the first-order step draws them after its first round (the unrolled
    rounds' fakes come from their latents inside the graph, so no draw is skipped or added)."""
    c, draw = source.config, source.draw
    rounds = draw.d_rounds(sample_real, k)
    z, y = draw.g_batch()
    if not rounds:
        x_shape = tuple(int(d) for d in K.int_shape(source.nets.discriminator.inputs[0])[1:])
        rounds = [np.zeros((0, c.batch_size // 2) + shape, np.float32)
                  for shape in (x_shape, (1,), (c.latent_dim,), (1,))]
    return rounds + [z, y]
