"""The reusable training mechanisms the presets are made of (issue 5).

A preset (gan/config.py PRESETS) is a set of Config values; this module turns those values into
behaviour, with no code per preset:

- optimizers: `adam` (separate D and G learning rates);
- targets: `d_targets` / `g_targets` (flips, two-sided, one-sided and per-batch smoothing);
- instance noise: `noise_sigma` (the schedule) and `noise_layers` (the variables it sets);
- data: `RealImages` (uniform draws with replacement, or shuffled full passes, in [-1, 1] or
  [0, 1], RGB or BGR); the resizing rules (--resize) live in the loader, data.resize_image;
- update schemes: `build_scheme` makes the 'alternating-summed' (PyTorch-style: one D update on
  the summed real and fake losses, then G) and 'simultaneous' (D and G from one forward pass)
  steps, with loss-threshold gates on either net and an extra G step above a loss threshold.
  The 'alternating' scheme (the GAN_animation step, also GANime's) is GAN.train_step itself.

Each scheme builds its Keras functions once, when the GAN is compiled; a step only runs them, so
the graph does not grow.
"""
import numpy as np

from .config import UserError, epoch_length


# -- optimizers ---------------------------------------------------------------------------------

def adam(cfg, net):
    """Keras Adam for net 'd' or 'g': its own learning rate (--d-lr / --g-lr) or --lr."""
    from .optim import Adam
    lr = {'d': cfg.d_lr, 'g': cfg.g_lr}[net] or cfg.lr
    return Adam(learning_rate=lr, beta_1=cfg.beta_1, beta_2=cfg.beta_2, epsilon=cfg.adam_epsilon)


# -- targets ------------------------------------------------------------------------------------

def d_targets(cfg, real, n, rng, smoothing_in_loss=False):
    """Discriminator targets for n real (or fake) images, drawn from `rng`.

    1 for real, 0 for fake; then flips (int(flip_prob * n) draws, see gan.flip_labels); then
    per-batch smoothing (--target-noise N: one u ~ U(0, N) per call, targets 1 become 1 - u and
    0 become u); then --label-smoothing s, 'two-sided' y(1-s) + s/2 or 'one-sided' y(1 - s/2).
    With `smoothing_in_loss` the two-sided smoothing is left to the loss (Keras'
    BinaryCrossentropy(label_smoothing=s) computes the same targets), as the original does.
    """
    from .gan import flip_labels
    y = np.ones((n, 1), np.float32) if real else np.zeros((n, 1), np.float32)
    y = flip_labels(y, cfg.flip_prob, rng)
    if cfg.target_noise:
        u = np.float32(rng.uniform(0.0, cfg.target_noise))
        y = np.where(y > 0.5, np.float32(1.0) - u, u).astype(np.float32)
    s = cfg.label_smoothing
    if s and cfg.smoothing_mode == 'one-sided':
        y = (y * np.float32(1.0 - s / 2.0)).astype(np.float32)
    elif s and not smoothing_in_loss:
        y = (y * np.float32(1.0 - s) + np.float32(s / 2.0)).astype(np.float32)
    return y


def g_targets(cfg, n, rng):
    """Generator targets: 1 ("real"), with the same flips as D's; never smoothed."""
    from .gan import flip_labels
    return flip_labels(np.ones((n, 1), np.float32), cfg.flip_prob, rng)


def loss_smoothing(cfg):
    """The label smoothing the Keras loss of D applies (the two-sided kind lives in the loss)."""
    return cfg.label_smoothing if cfg.smoothing_mode == 'two-sided' else 0.0


# -- instance noise -----------------------------------------------------------------------------

def noise_sigma(cfg, epoch):
    """Instance-noise std in `epoch` (from 0): max(noise_sigma - noise_decay * epoch, noise_floor),
    or 0 when the recipe has none."""
    if not cfg.noise_sigma:
        return 0.0
    return max(cfg.noise_sigma - cfg.noise_decay * epoch, cfg.noise_floor)


def noise_layers(model):
    """The model's instance-noise layers (networks.GaussianNoise, whose std is a variable)."""
    from .networks import GaussianNoise
    return [l for l in getattr(model, 'layers', []) if isinstance(l, GaussianNoise)]


# -- data ---------------------------------------------------------------------------------------

class RealImages(object):
    """Real batches from uint8 RGB `images`, in the network's range and channel order.

    sampling 'replacement': `sample(n, rng)` draws n images uniformly with replacement from rng
    (the original's way). 'passes': step s (from 1) gets batch (s - 1) % steps_per_epoch of a
    shuffled full pass; each epoch's order is a function of (seed, epoch), so a resumed run sees
    the batches an uninterrupted one would. The last batch of a pass is short.
    """

    def __init__(self, images, cfg):
        self.images, self.cfg = images, cfg
        self.n = len(images)
        self._order = (None, None)
        if cfg.sampling == 'passes':
            self.steps_per_epoch = epoch_length(cfg, self.n)
            if cfg.steps_per_epoch and cfg.steps_per_epoch != self.steps_per_epoch:
                raise UserError('a full pass over %d images in batches of %d takes %d steps, not '
                                '--steps-per-epoch %d' % (self.n, cfg.batch_size,
                                                          self.steps_per_epoch, cfg.steps_per_epoch))

    def sample(self, n, rng):
        from .gan import to_float
        return to_float(self.images[rng.randint(0, self.n, n)], self.cfg)

    def order(self, epoch):
        if self._order[0] != epoch:
            seed = self.cfg.seed if self.cfg.seed is not None else 0
            self._order = (epoch, np.random.RandomState([seed, 2, epoch]).permutation(self.n))
        return self._order[1]

    def batch(self, step):
        from .gan import to_float
        epoch, i = divmod(step - 1, self.steps_per_epoch)
        b = self.cfg.batch_size
        return to_float(self.images[self.order(epoch)[i * b:(i + 1) * b]], self.cfg)

    def for_step(self, step):
        """The `sample_real(n, rng)` GAN.train_step takes, for 1-based `step`."""
        if self.cfg.sampling == 'passes':
            return lambda n, rng: self.batch(step)
        return self.sample


# -- losses on D's probabilities ------------------------------------------------------------------

def _torch_bce(y, p):
    """PyTorch's BCELoss per element: each log clamped at -100, and its backward,
    (p - y) / max(p (1 - p), 1e-12), so a saturated sigmoid gives a finite loss and no NaN."""
    import tensorflow as tf

    @tf.custom_gradient
    def bce(p):
        loss = -(y * tf.maximum(tf.math.log(p), -100.0) + (1.0 - y) * tf.maximum(tf.math.log(1.0 - p), -100.0))

        def grad(dy):
            return dy * (p - y) / tf.maximum(p * (1.0 - p), 1e-12)
        return loss, grad
    return bce(p)


def probability_loss(kind, p, y, positive):
    """Mean loss of probabilities `p` against targets `y` (a tensor).

    'bce': Keras' binary_crossentropy (computed from the logits of D's sigmoid, as Keras does);
    'torch-bce': PyTorch's BCELoss; 'log': the plain -mean(log p) for the positive side and
    -mean(log(1 - p)) for the negative one (targets must be exactly 1 / 0; may reach inf / nan
    when the sigmoid saturates, as in the TF2 originals).
    """
    import keras.backend as K
    if kind == 'log':
        return -K.mean(K.log(p)) if positive else -K.mean(K.log(1.0 - p))
    if kind == 'torch-bce':
        return K.mean(_torch_bce(y, p))
    return K.mean(K.binary_crossentropy(y, p))


def _accuracy(p, real):
    """Share of images D classes right (p > 0.5 is 'real', as Keras' binary accuracy rounds)."""
    import keras.backend as K
    return K.mean(K.cast(K.greater(p, 0.5) if real else K.less_equal(p, 0.5), K.floatx()))


# -- update schemes -----------------------------------------------------------------------------

def chained_calls(model, inputs):
    """model(x) for each x in turn, in training mode; returns (outputs, updates).

    Each call is made to run after the previous call's BatchNorm moving-statistics updates and
    random draws, so two calls in one function update the statistics one after the other (as
    PyTorch's or TF2's sequential calls do) and draw distinct dropout / noise masks.
    """
    import tensorflow as tf
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
        import keras.backend as K
        import tensorflow as tf
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
        import keras.backend as K
        K.get_session().run(self._apply)


class _Scheme(object):
    """What the custom schemes share: placeholders, the G step, gates and the extra G step."""

    def __init__(self, gan):
        import keras.backend as K
        self.gan = gan
        c = gan.config
        self.G, self.D = gan.generator, gan.discriminator
        self.G.trainable = True
        self.D.trainable = True
        x_shape = tuple(K.int_shape(self.D.inputs[0])[1:])
        self.real = K.placeholder(shape=(None,) + x_shape, name='real')
        self.y_real = K.placeholder(shape=(None, 1), name='y_real')
        self.z = K.placeholder(shape=(None, c.latent_dim), name='z')
        self.y_fake = K.placeholder(shape=(None, 1), name='y_fake')
        self.y_g = K.placeholder(shape=(None, 1), name='y_g')

    def _d_losses(self, p_real, p_fake):
        kind = self.gan.config.loss
        l_real = probability_loss(kind, p_real, self.y_real, True)
        l_fake = probability_loss(kind, p_fake, self.y_fake, False)
        return l_real, l_fake, l_real + l_fake

    def _draw(self, sample_real):
        """The step's batches from gan.rng: reals (batch_size, fewer at the end of a pass), their
        targets, batch_size latents and their targets."""
        c, rng = self.gan.config, self.gan.rng
        real = np.asarray(sample_real(c.batch_size, rng), np.float32)
        y_real = d_targets(c, True, len(real), rng)
        z = rng.normal(0.0, 1.0, (c.batch_size, c.latent_dim)).astype(np.float32)
        y_fake = d_targets(c, False, c.batch_size, rng)
        return real, y_real, z, y_fake

    @staticmethod
    def _gate(update, loss, threshold):
        """Apply a gated update when the loss is above the threshold; True when applied."""
        if not update.gated:
            return True
        if loss > threshold:
            update.apply()
            return True
        return False

    def _logs(self, l_real, l_fake, a_real, a_fake, g_loss):
        return {'d_loss_real': float(l_real), 'd_loss_fake': float(l_fake),
                'd_acc_real': float(a_real), 'd_acc_fake': float(a_fake), 'g_loss': float(g_loss)}


class SummedScheme(_Scheme):
    """'alternating-summed' (PyTorch DCGAN): one D update on loss(real) + loss(fake), each from its
    own forward pass (batch statistics per call), fakes from G in training mode; then one G update
    on fresh latents against the updated D. Every training-mode forward updates BatchNorm moving
    statistics, as PyTorch's do."""

    def __init__(self, gan):
        import keras.backend as K
        import tensorflow as tf
        super(SummedScheme, self).__init__(gan)
        c, G, D = gan.config, self.G, self.D
        lp = K.learning_phase()
        with tf.name_scope('scheme_summed_d'):
            fake = K.stop_gradient(G(self.z))
            fake.set_shape((None,) + tuple(G.output_shape[1:]))     # stop_gradient drops it
            g_bn = list(G.get_updates_for(self.z))
            (p_real, p_fake), d_bn = chained_calls(D, [self.real, fake])
            l_real, l_fake, d_loss = self._d_losses(p_real, p_fake)
            self.d_update = Update(D.optimizer, d_loss, D.trainable_weights, c.d_threshold > 0, 'd_grads')
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
            self.g_update = Update(gan.combined.optimizer, g_loss, G.trainable_weights,
                                   c.g_threshold > 0, 'g_grads')
            self.g_forward = K.function([self.z_g, self.y_g, lp], [g_loss],
                                        updates=bn + self.g_update.forward_updates)

    def _g_step(self):
        c, rng = self.gan.config, self.gan.rng
        z = rng.normal(0.0, 1.0, (c.batch_size, c.latent_dim)).astype(np.float32)
        g_loss = float(self.g_forward([z, g_targets(c, c.batch_size, rng), 1])[0])
        return g_loss, self._gate(self.g_update, g_loss, c.g_threshold)

    def step(self, sample_real):
        c = self.gan.config
        real, y_real, z, y_fake = self._draw(sample_real)
        d_loss, l_real, l_fake, a_real, a_fake = self.d_forward([real, y_real, z, y_fake, 1])
        d_updated = self._gate(self.d_update, float(d_loss), c.d_threshold)
        g_loss, g_updated = self._g_step()
        logs = self._logs(l_real, l_fake, a_real, a_fake, g_loss)
        if self.d_update.gated:
            logs['d_updated'] = float(d_updated)
        if self.g_update.gated:
            logs['g_updated'] = float(g_updated)
        if c.g_extra_threshold:
            logs['g_steps'] = 1.0
            if g_loss > c.g_extra_threshold:
                self._g_step()
                logs['g_steps'] = 2.0
        return logs


class SimultaneousScheme(_Scheme):
    """'simultaneous' (the TF2 DCGAN tutorial's GradientTape step): one forward pass, G(z), D(real)
    and D(G(z)) in training mode; D's gradient of loss(real) + loss(fake) and G's gradient of its
    loss on the same D(G(z)) are taken at the same weights and applied together."""

    def __init__(self, gan):
        import keras.backend as K
        import tensorflow as tf
        super(SimultaneousScheme, self).__init__(gan)
        c, G, D = gan.config, self.G, self.D
        with tf.name_scope('scheme_simultaneous'):
            fake = G(self.z)
            g_bn = list(G.get_updates_for(self.z))
            (p_real, p_fake), d_bn = chained_calls(D, [self.real, fake])
            l_real, l_fake, d_loss = self._d_losses(p_real, p_fake)
            g_loss = probability_loss(c.loss, p_fake, self.y_g, True)
            self.d_update = Update(D.optimizer, d_loss, D.trainable_weights, c.d_threshold > 0, 'd_grads')
            self.g_update = Update(gan.combined.optimizer, g_loss, G.trainable_weights,
                                   c.g_threshold > 0, 'g_grads')
            self.forward = K.function(
                [self.real, self.y_real, self.z, self.y_fake, self.y_g, K.learning_phase()],
                [d_loss, l_real, l_fake, _accuracy(p_real, True), _accuracy(p_fake, False), g_loss],
                updates=g_bn + d_bn + self.d_update.forward_updates + self.g_update.forward_updates)

    def step(self, sample_real):
        c, rng = self.gan.config, self.gan.rng
        real, y_real, z, y_fake = self._draw(sample_real)
        y_g = g_targets(c, c.batch_size, rng)
        d_loss, l_real, l_fake, a_real, a_fake, g_loss = self.forward([real, y_real, z, y_fake, y_g, 1])
        logs = self._logs(l_real, l_fake, a_real, a_fake, g_loss)
        d_updated = self._gate(self.d_update, float(d_loss), c.d_threshold)
        g_updated = self._gate(self.g_update, float(g_loss), c.g_threshold)
        if self.d_update.gated:
            logs['d_updated'] = float(d_updated)
        if self.g_update.gated:
            logs['g_updated'] = float(g_updated)
        return logs


SCHEMES = {'alternating-summed': SummedScheme, 'simultaneous': SimultaneousScheme}


def build_scheme(gan):
    """The step object of gan.config.scheme, or None for 'alternating' (GAN.train_step's own)."""
    cls = SCHEMES.get(gan.config.scheme)
    return cls(gan) if cls is not None else None
