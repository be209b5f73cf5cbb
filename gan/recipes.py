"""The reusable training mechanisms the presets are made of (issue 5).

A preset (a file in gan/presets, read by gan/config.py) is a set of Config values; this module
and its neighbours turn those values into behaviour, with no code per preset:

- optimizers: `adam` (separate D and G learning rates);
- targets: `loss_smoothing` here; the targets themselves (flips, two-sided, one-sided and
  per-batch smoothing) are gan.batches' `d_targets` / `g_targets`, beside the draws that use them;
- instance noise: `noise_sigma` (the schedule) and `noise_layers` (the variables it sets);
- data: `RealImages` (uniform draws with replacement, or shuffled full passes, in [-1, 1] or
  [0, 1], RGB or BGR); the resizing rules (--resize) live in the loader, data.resize_image;
- losses on D's probabilities: `probability_loss` ('bce', 'torch-bce', 'log');
- update schemes (--scheme, --unroll-mode, loss-threshold gates, the extra G step): gan.schemes.

TensorFlow, Keras and the modules built on them are imported inside the functions that use them:
the CLI loads this module (through gan.gan) for --help and --dry-run.
"""
import numpy as np

from .batches import to_float
from .config import UserError


# -- optimizers ---------------------------------------------------------------------------------

def adam(cfg, net):
    """Keras Adam for net 'd' or 'g': its own learning rate (--d-lr / --g-lr) or --lr."""
    from .optim import Adam
    lr = {'d': cfg.d_lr, 'g': cfg.g_lr}[net] or cfg.lr
    return Adam(learning_rate=lr, beta_1=cfg.beta_1, beta_2=cfg.beta_2, epsilon=cfg.adam_epsilon)


# -- targets ------------------------------------------------------------------------------------

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
    the batches an uninterrupted one would. The last batch of a pass is short. The epoch length
    is the config's (config.plan_epochs); it must make one full pass over `images`.
    """

    def __init__(self, images, cfg):
        self.images, self.cfg = images, cfg
        self.n = len(images)
        self._order = (None, None)
        self.steps_per_epoch = spe = cfg.steps_per_epoch
        one_pass = spe and (spe - 1) * cfg.batch_size < self.n <= spe * cfg.batch_size
        if cfg.sampling == 'passes' and not one_pass:
            raise UserError('--steps-per-epoch %d with --batch-size %d is not one full pass over '
                            '%d images; leave --steps-per-epoch out and it is planned from the '
                            'data (config.plan_epochs)' % (spe, cfg.batch_size, self.n))

    def sample(self, n, rng):
        return to_float(self.images[rng.randint(0, self.n, n)], self.cfg)

    def order(self, epoch):
        if self._order[0] != epoch:
            seed = self.cfg.seed if self.cfg.seed is not None else 0
            self._order = (epoch, np.random.RandomState([seed, 2, epoch]).permutation(self.n))
        return self._order[1]

    def batch(self, step):
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
