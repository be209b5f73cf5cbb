"""Update schemes: the ways one training step updates D and G, each a class with one interface.

A scheme is built once from the GAN's networks and optimizers (`Nets`), its config and its draws
(`batches.Draws`, the one source of host random numbers); `step(sample_real)` runs one step and
returns its named losses. Graph functions are made when the scheme is built or on its first step,
never per step, so the graph does not grow.

- `AlternatingScheme` (--scheme alternating, the original's): 1 + k D rounds, the first one kept
  by an in-graph snapshot, then G through the combined model, then D restored; its D rounds run
  as one session call (--execution fused) or as the original's separate Keras calls ('keras').
- `SecondOrderScheme` (--unroll-mode second-order): one D round, then G's gradient through k
  symbolic D updates (unroll.SecondOrderUnroll).
- `SummedScheme` (--scheme alternating-summed, PyTorch DCGAN) and `SimultaneousScheme`
  (--scheme simultaneous, the TF2 tutorial): their own functions, with loss-threshold gates.
"""
import warnings
from typing import NamedTuple

import keras.backend as K
import tensorflow as tf

from .fused import FusedRounds
from .recipes import probability_loss
from .unroll import SecondOrderUnroll, Snapshot


class Nets(NamedTuple):
    """What a scheme updates: the networks, the combined model G -> frozen D, and the optimizers
    of D and of the combined model (whose state checkpoints save)."""
    generator: object
    discriminator: object
    combined: object
    d_optimizer: object
    g_optimizer: object


class Scheme(object):
    """One way of updating D and G per step; subclasses build their functions in __init__.

    `config` is read at every step (the GAN hands on a changed one: thresholds, epoch length).
    """

    snapshot = None          # the in-graph copy of D restored after the G update, if any

    def __init__(self, nets, config, draw):
        self.nets, self.config, self.draw = nets, config, draw

    def step(self, sample_real):
        """One training step; `sample_real(n, rng)` gives n real images. Returns named losses."""
        raise NotImplementedError

    def extra_g_step(self, logs, g_step):
        """GANime: call `g_step` once more (fresh latents) when logs['g_loss'] is above
        --g-extra-threshold; logs['g_steps'] counts the G updates."""
        c = self.config
        if c.g_extra_threshold:
            logs['g_steps'] = 1.0
            if logs['g_loss'] > c.g_extra_threshold:
                g_step()
                logs['g_steps'] = 2.0


def make_keras_functions(nets):
    """Make the Keras functions the alternating schemes call, now, with the intended `trainable`.

    Keras 2.3.1 collects trainable weights at compile time and model updates (BatchNorm
    statistics) when the train function is first made: the combined model's (made while D is
    frozen) updates G only, D's own updates D. Making a function twice is a no-op.
    """
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        nets.combined._make_train_function()
        nets.discriminator.trainable = True
        nets.discriminator._make_train_function()
        nets.generator._make_predict_function()


def keras_round(nets, draw, sample_real):
    """One D round as the original runs it: fakes from generator.predict (BatchNorm in inference
    mode), then D.train_on_batch on the real half batch and on the fake one. Returns its logs."""
    real, y_real, z, y_fake = draw.d_round(sample_real)
    fake = nets.generator.predict(z, batch_size=len(z))
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        loss_real, acc_real = nets.discriminator.train_on_batch(real, y_real)
        loss_fake, acc_fake = nets.discriminator.train_on_batch(fake, y_fake)
    return {'d_loss_real': float(loss_real), 'd_loss_fake': float(loss_fake),
            'd_acc_real': float(acc_real), 'd_acc_fake': float(acc_fake)}


class AlternatingScheme(Scheme):
    """The GAN_animation step (also GANime's): D rounds on real then fake half batches, the first
    one snapshotted, --unroll-steps more; G through the combined model on fresh latents (and one
    more G step above --g-extra-threshold); D restored to the snapshot (with its Adam state under
    --restore-optimizer). Logs: the first D round's and the G update's."""

    def __init__(self, nets, config, draw):
        super(AlternatingScheme, self).__init__(nets, config, draw)
        make_keras_functions(nets)
        watched = list(nets.discriminator.weights)
        if config.restore_optimizer:
            watched += list(nets.d_optimizer.weights)
        self.snapshot = Snapshot(watched, name='d_snapshot')
        self.fused = None       # built by the first step (loading a checkpoint to sample needs none)

    def d_rounds(self, sample_real):
        """The step's 1 + unroll_steps D rounds with the snapshot after the first: one session
        call (gan.fused) or three per round (execution 'keras'). Logs of the first round."""
        c = self.config
        if self.fused is None and c.execution == 'fused':
            self.fused = FusedRounds(self.nets, 1 + c.unroll_steps,
                                     after_first=self.snapshot.build_save)
        if self.fused is not None:
            return self.fused(*self.draw.d_rounds(sample_real, self.fused.rounds))
        logs = keras_round(self.nets, self.draw, sample_real)
        self.snapshot.save()
        for _ in range(c.unroll_steps):
            keras_round(self.nets, self.draw, sample_real)
        return logs

    def step(self, sample_real):
        combined = self.nets.combined
        logs = self.d_rounds(sample_real)
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            logs['g_loss'] = float(combined.train_on_batch(*self.draw.g_batch()))
            self.extra_g_step(logs, lambda: combined.train_on_batch(*self.draw.g_batch()))
        self.snapshot.restore()
        return logs


class SecondOrderScheme(Scheme):
    """Metz et al.'s unrolled GAN: the first D round persists (as in the alternating step), then
    G's update differentiates through k symbolic D updates on fresh draws; D itself moves only in
    its first round. The unrolled function is built on the first step."""

    def __init__(self, nets, config, draw):
        super(SecondOrderScheme, self).__init__(nets, config, draw)
        make_keras_functions(nets)
        self.unroll = None

    def g_update(self, sample_real):
        """G's update through the k unrolled D updates; returns G's loss (before the update)."""
        if self.unroll is None:
            self.unroll = SecondOrderUnroll(self)
        return self.unroll.apply(self.unroll.draw(sample_real))

    def step(self, sample_real):
        logs = keras_round(self.nets, self.draw, sample_real)
        logs['g_loss'] = self.g_update(sample_real)
        return logs


# -- the schemes with their own functions -------------------------------------------------------

def chained_calls(model, inputs):
    """model(x) for each x in turn, in training mode; returns (outputs, updates).

    Each call is made to run after the previous call's BatchNorm moving-statistics updates and
    random draws, so two calls in one function update the statistics one after the other (as
    PyTorch's or TF2's sequential calls do) and draw distinct dropout / noise masks.
    """
    outputs, updates, after = [], [], []
    for x in inputs:
        with tf.control_dependencies(after):
            y = model(x)
        own = list(model.get_updates_for(x))
        outputs.append(y)
        updates += own
        after = own + [y]
    return outputs, updates


class Update(object):
    """The optimizer's update of `params` from `loss`.

    Ungated, the update ops go into the forward function (`forward_updates`): one session run
    computes the losses and updates. Gated (`gated=True`), the forward function only stores the
    gradients in buffers, and `apply()` runs the optimizer on them: the host first sees the loss,
    and a skipped update leaves the weights and the optimizer state (step counter included)
    untouched. Either way the optimizer is the given Keras optimizer (its state is what
    checkpoints save), with get_updates called once.
    """

    def __init__(self, optimizer, loss, params, gated, name):
        params = list(params)
        self.gated = gated
        self._apply = None
        if not gated:
            self.forward_updates = list(optimizer.get_updates(loss=loss, params=params))
            return
        with tf.name_scope(name):
            grads = K.gradients(loss, params)
            buffers = [K.zeros(K.int_shape(p), dtype=K.dtype(p), name='grad_%d' % i)
                       for i, p in enumerate(params)]
            self.forward_updates = [K.update(b, g) for b, g in zip(buffers, grads)]
            # d/dp of sum(b * p) is b exactly: the optimizer applies the stored gradients.
            surrogate = tf.add_n([K.sum(K.stop_gradient(b) * p) for b, p in zip(buffers, params)])
            self._apply = tf.group(*optimizer.get_updates(loss=surrogate, params=params))

    def apply(self):
        K.get_session().run(self._apply)


def _accuracy(p, real):
    """Share of images D classes right (p > 0.5 is 'real', as Keras' binary accuracy rounds)."""
    return K.mean(K.cast(K.greater(p, 0.5) if real else K.less_equal(p, 0.5), K.floatx()))


class _OwnFunctionScheme(Scheme):
    """What the summed and simultaneous schemes share: placeholders, D's losses, gates, logs."""

    def __init__(self, nets, config, draw):
        super(_OwnFunctionScheme, self).__init__(nets, config, draw)
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            nets.generator._make_predict_function()
        self.G, self.D = nets.generator, nets.discriminator
        self.G.trainable = True
        self.D.trainable = True
        x_shape = tuple(K.int_shape(self.D.inputs[0])[1:])
        self.real = K.placeholder(shape=(None,) + x_shape, name='real')
        self.y_real = K.placeholder(shape=(None, 1), name='y_real')
        self.z = K.placeholder(shape=(None, config.latent_dim), name='z')
        self.y_fake = K.placeholder(shape=(None, 1), name='y_fake')
        self.y_g = K.placeholder(shape=(None, 1), name='y_g')

    def _d_losses(self, p_real, p_fake):
        kind = self.config.loss
        l_real = probability_loss(kind, p_real, self.y_real, True)
        l_fake = probability_loss(kind, p_fake, self.y_fake, False)
        return l_real, l_fake, l_real + l_fake

    @staticmethod
    def _gate(update, loss, threshold):
        """Apply a gated update when the loss is above the threshold; True when applied."""
        if not update.gated:
            return True
        if loss > threshold:
            update.apply()
            return True
        return False

    def _logs(self, l_real, l_fake, a_real, a_fake, g_loss, d_updated, g_updated):
        logs = {'d_loss_real': float(l_real), 'd_loss_fake': float(l_fake),
                'd_acc_real': float(a_real), 'd_acc_fake': float(a_fake), 'g_loss': float(g_loss)}
        if self.d_update.gated:
            logs['d_updated'] = float(d_updated)
        if self.g_update.gated:
            logs['g_updated'] = float(g_updated)
        return logs


class SummedScheme(_OwnFunctionScheme):
    """'alternating-summed' (PyTorch DCGAN): one D update on loss(real) + loss(fake), each from its
    own forward pass (batch statistics per call), fakes from G in training mode; then one G update
    on fresh latents against the updated D. Every training-mode forward updates BatchNorm moving
    statistics, as PyTorch's do."""

    def __init__(self, nets, config, draw):
        super(SummedScheme, self).__init__(nets, config, draw)
        c, G, D = config, self.G, self.D
        lp = K.learning_phase()
        with tf.name_scope('scheme_summed_d'):
            fake = K.stop_gradient(G(self.z))
            fake.set_shape((None,) + tuple(G.output_shape[1:]))     # stop_gradient drops it
            g_bn = list(G.get_updates_for(self.z))
            (p_real, p_fake), d_bn = chained_calls(D, [self.real, fake])
            l_real, l_fake, d_loss = self._d_losses(p_real, p_fake)
            self.d_update = Update(nets.d_optimizer, d_loss, D.trainable_weights, c.d_threshold > 0, 'd_grads')
            self.d_forward = K.function(
                [self.real, self.y_real, self.z, self.y_fake, lp],
                [d_loss, l_real, l_fake, _accuracy(p_real, True), _accuracy(p_fake, False)],
                updates=g_bn + d_bn + self.d_update.forward_updates)
        self.z_g = K.placeholder(shape=(None, c.latent_dim), name='z_g')
        with tf.name_scope('scheme_summed_g'):
            fake = G(self.z_g)
            p = D(fake)
            bn = list(G.get_updates_for(self.z_g)) + list(D.get_updates_for(fake))
            g_loss = probability_loss(c.loss, p, self.y_g, True)
            self.g_update = Update(nets.g_optimizer, g_loss, G.trainable_weights,
                                   c.g_threshold > 0, 'g_grads')
            self.g_forward = K.function([self.z_g, self.y_g, lp], [g_loss],
                                        updates=bn + self.g_update.forward_updates)

    def _g_step(self):
        z, y = self.draw.g_batch()
        g_loss = float(self.g_forward([z, y, 1])[0])
        return g_loss, self._gate(self.g_update, g_loss, self.config.g_threshold)

    def step(self, sample_real):
        real, y_real, z, y_fake = self.draw.d_batch(sample_real)
        d_loss, l_real, l_fake, a_real, a_fake = self.d_forward([real, y_real, z, y_fake, 1])
        d_updated = self._gate(self.d_update, float(d_loss), self.config.d_threshold)
        g_loss, g_updated = self._g_step()
        logs = self._logs(l_real, l_fake, a_real, a_fake, g_loss, d_updated, g_updated)
        self.extra_g_step(logs, self._g_step)
        return logs


class SimultaneousScheme(_OwnFunctionScheme):
    """'simultaneous' (the TF2 DCGAN tutorial's GradientTape step): one forward pass, G(z), D(real)
    and D(G(z)) in training mode; D's gradient of loss(real) + loss(fake) and G's gradient of its
    loss on the same D(G(z)) are taken at the same weights and applied together."""

    def __init__(self, nets, config, draw):
        super(SimultaneousScheme, self).__init__(nets, config, draw)
        c, G, D = config, self.G, self.D
        with tf.name_scope('scheme_simultaneous'):
            fake = G(self.z)
            g_bn = list(G.get_updates_for(self.z))
            (p_real, p_fake), d_bn = chained_calls(D, [self.real, fake])
            l_real, l_fake, d_loss = self._d_losses(p_real, p_fake)
            g_loss = probability_loss(c.loss, p_fake, self.y_g, True)
            self.d_update = Update(nets.d_optimizer, d_loss, D.trainable_weights, c.d_threshold > 0, 'd_grads')
            self.g_update = Update(nets.g_optimizer, g_loss, G.trainable_weights,
                                   c.g_threshold > 0, 'g_grads')
            self.forward = K.function(
                [self.real, self.y_real, self.z, self.y_fake, self.y_g, K.learning_phase()],
                [d_loss, l_real, l_fake, _accuracy(p_real, True), _accuracy(p_fake, False), g_loss],
                updates=g_bn + d_bn + self.d_update.forward_updates + self.g_update.forward_updates)

    def step(self, sample_real):
        real, y_real, z, y_fake = self.draw.d_batch(sample_real)
        y_g = self.draw.g_targets()
        d_loss, l_real, l_fake, a_real, a_fake, g_loss = self.forward([real, y_real, z, y_fake, y_g, 1])
        d_updated = self._gate(self.d_update, float(d_loss), self.config.d_threshold)
        g_updated = self._gate(self.g_update, float(g_loss), self.config.g_threshold)
        return self._logs(l_real, l_fake, a_real, a_fake, g_loss, d_updated, g_updated)


SCHEMES = {'alternating': AlternatingScheme, 'alternating-summed': SummedScheme,
           'simultaneous': SimultaneousScheme}


def build_scheme(nets, config, draw):
    """The scheme of `config`: --scheme, and --unroll-mode for the alternating one."""
    cls = SecondOrderScheme if config.unroll_mode == 'second-order' else SCHEMES[config.scheme]
    return cls(nets, config, draw)
