"""The GAN class: builds and compiles the models, hands them to its update scheme, generates,
saves and loads."""
import contextlib
import os
import random
import sys

import numpy as np

from . import io
from .batches import Draws, to_uint8
from .config import Config, UserError, check, epoch_of, plan_epochs
from .loop import run
from .recipes import RealImages, adam, loss_smoothing, noise_layers, noise_sigma

# TensorFlow, Keras and the package modules built on them (networks, kernels, schemes) are imported
# inside the methods that use them: `import gan`, and with it train.py --help and --dry-run, loads
# no TensorFlow.


class GAN(object):
    """GAN_animation: a DCGAN whose generator trains against a discriminator unrolled k steps.

    Networks may be passed in; otherwise `build_generator` / `build_discriminator` make them from
    `config.arch`. Optimizers may be passed to `compile`; otherwise Adam from the config. A step
    is run by the update scheme of the config (gan/schemes.py), built from the networks, the
    optimizers, the config and the GAN's draws (`draw`, all host random numbers, from `rng`).
    """

    def __init__(self, config=None, generator=None, discriminator=None, compile=True):
        from .kernels import use_kernels
        self.draw = self.nets = self._scheme = self._second_order = self._g_training_mode = None
        self.config = config if config is not None else Config()
        check(self.config)
        self.generator = generator if generator is not None else self.build_generator()
        self.discriminator = discriminator if discriminator is not None else self.build_discriminator()
        self.generator = use_kernels(self.generator, self.config.kernels)
        self.discriminator = use_kernels(self.discriminator, self.config.kernels)
        self.combined = None
        self.rng = np.random.RandomState(self.config.seed)
        self.draw = Draws(self.config, self.rng)
        self._snapshot = None
        if compile:
            self.compile()

    @property
    def config(self):
        """The options. A new value (epochs planned by `train`, a changed threshold) reaches the
        draws and the scheme too: they read it at every step."""
        return self._config

    @config.setter
    def config(self, config):
        self._config = config
        for part in (self.draw, self._scheme, self._second_order):
            if part is not None:
                part.config = config

    @property
    def scheme(self):
        """The update scheme that runs `train_step` (None before `compile`)."""
        return self._scheme

    # -- models -----------------------------------------------------------------------------
    def build_generator(self):
        from . import networks
        self._check_arch(networks.GENERATORS)
        c = self.config
        try:
            return networks.build_generator(c.arch, c.latent_dim, init=c.init)
        except networks.OptionError as e:
            raise UserError('--arch %s with --init %s: %s' % (c.arch, c.init, e))

    def build_discriminator(self):
        from . import networks
        self._check_arch(networks.DISCRIMINATORS)
        c = self.config
        try:
            return networks.build_discriminator(c.arch, init=c.init, head_dropout=c.d_head_dropout)
        except networks.OptionError as e:     # networks name no flags: say which ones
            raise UserError('--arch %s with --init %s --d-head-dropout %g: %s'
                            % (c.arch, c.init, c.d_head_dropout, e))

    def _check_arch(self, known):
        if self.config.arch not in known:
            raise UserError('--arch %s is unknown; choose one of: %s'
                            % (self.config.arch, ', '.join(sorted(known))))

    def _set_epoch(self, epoch):
        """Set what depends on the epoch (from 0): the instance-noise std, changed in place
        with K.set_value (no new graph ops), only when the epoch changes."""
        if self._noise_layers and epoch != self._epoch:
            sigma = noise_sigma(self.config, epoch)
            for layer in self._noise_layers:
                layer.set_stddev(sigma)
        self._epoch = epoch

    def _prepare_recipe(self):
        """Per-run recipe state: the instance-noise layers (at epoch 0's std) and the step count."""
        self._noise_layers = noise_layers(self.discriminator)
        if self.config.noise_sigma and not self._noise_layers:
            raise UserError('--noise-sigma needs a discriminator with an instance-noise layer '
                            '(--arch ganime); --arch %s has none' % self.config.arch)
        self._steps_done = 0
        self._epoch = None
        self._set_epoch(0)

    def compile(self, d_optimizer=None, g_optimizer=None):
        """Compile D, then the combined model G -> frozen D, and build the update scheme.

        The scheme (gan/schemes.py) gets the networks, D's optimizer and the combined model's
        (what checkpoints save) and makes its training functions now, or on its first step.
        """
        from keras.layers import Input
        from keras.losses import BinaryCrossentropy
        from keras.models import Model
        from .networks import batchnorm_inference
        from .schemes import Nets, build_scheme
        c = self.config
        D, G = self.discriminator, self.generator
        D.trainable = True
        D.compile(loss=BinaryCrossentropy(label_smoothing=loss_smoothing(c)),
                  optimizer=d_optimizer or adam(c, 'd'), metrics=['accuracy'])
        D.trainable = False
        z = Input(shape=(c.latent_dim,))
        with contextlib.ExitStack() as stack:
            if c.frozen_d_bn == 'moving':      # as tf.keras runs a frozen D's BatchNorm
                stack.enter_context(batchnorm_inference(D))
            self.combined = Model(z, D(G(z)), name='gan')
        self.combined.compile(loss='binary_crossentropy', optimizer=g_optimizer or adam(c, 'g'))
        self._prepare_recipe()
        self.nets = Nets(G, D, self.combined, D.optimizer, self.combined.optimizer)
        self._scheme = build_scheme(self.nets, c, self.draw)
        self._snapshot = self._scheme.snapshot
        return self

    # -- training ---------------------------------------------------------------------------
    def _begin_step(self, step=None):
        """Count the step (1-based: as given, else the one after the last) and set its epoch's
        state (instance noise; under --adam-reset epoch, zero Adam moments at an epoch's first
        step after the first epoch)."""
        step = getattr(self, '_steps_done', 0) + 1 if step is None else step
        self._steps_done = step
        self._set_epoch(epoch_of(self.config, step))
        spe = self.config.steps_per_epoch
        if self.config.adam_reset == 'epoch' and spe and step > 1 and (step - 1) % spe == 0:
            from .optim import zero_moments
            zero_moments(self.nets.d_optimizer)
            zero_moments(self.nets.g_optimizer)
        return step

    def _d_round(self, sample_real):
        """One discriminator round as the original runs it (schemes.keras_round)."""
        from .schemes import keras_round
        return keras_round(self.nets, self.draw, sample_real)

    def _second_order_scheme(self):
        """The second-order scheme: this GAN's own under --unroll-mode second-order, else one
        built on first use."""
        from .schemes import SecondOrderScheme
        if isinstance(self._scheme, SecondOrderScheme):
            return self._scheme
        if self._second_order is None:
            self._second_order = SecondOrderScheme(self.nets, self.config, self.draw)
        return self._second_order

    def train_step(self, sample_real, step=None):
        """One step of the recipe; `sample_real(n, rng)` returns n real images in the networks'
        range. `step` (1-based) selects the epoch's instance noise; default: the next step.

        The config's update scheme runs it (gan/schemes.py). Returns the named losses of the
        step's first discriminator round (the one that persists) and of the generator update.
        """
        self._begin_step(step)
        return self._scheme.step(sample_real)

    def train(self, images, steps=None, hooks=(), start_step=0):
        """Train on uint8 RGB `images` (N, 64, 64, 3) for `steps` (default: config.steps).

        A recipe counted in epochs gets its epoch length from `config.plan_epochs` (the one place
        where epochs become steps) on these images, unless the config already has one (the CLI
        plans before it writes config.json).
        """
        images = np.asarray(images)
        if images.ndim != 4 or len(images) == 0:
            raise UserError('train() needs a non-empty (N, H, W, C) image array')
        self.config = plan_epochs(self.config, len(images))
        real = RealImages(images, self.config)

        def one_step(step):
            self._steps_done = step - 1      # train_step(sample_real) counts on to `step`
            return self.train_step(real.for_step(step))

        total = self.config.steps if steps is None else steps
        return run(one_step, start_step, total, hooks)

    # -- sampling ---------------------------------------------------------------------------
    def latents(self, n, seed=None):
        """n standard-normal latents from `seed` (fixed grids), or drawn from the training RNG."""
        draw = self.draw if seed is None else Draws(self.config, np.random.RandomState(seed))
        return draw.latents(n)

    def generate(self, latents=None, n=None, seed=None, batch_size=128, batchnorm='moving'):
        """uint8 RGB images from given latents, or n latents drawn from seed.

        batchnorm 'moving' (default): G in inference mode, BatchNorm on its moving statistics.
        'batch': G's BatchNorm normalises each batch of `batch_size` latents by that batch's own
        statistics, as a PyTorch generator that was not switched to eval() draws its grid (the
        AnimeFacesWithGAN notebooks: 64 fixed latents); nothing of G is updated.
        """
        if latents is None:
            if n is None:
                raise ValueError('generate() needs latents or n')
            latents = self.latents(n, seed)
        z = np.asarray(latents, np.float32)
        if batchnorm == 'moving':
            out = self.generator.predict(z, batch_size=batch_size)
        elif batchnorm == 'batch':
            out = np.concatenate([self._batch_stats_output(z[i:i + batch_size])
                                  for i in range(0, len(z), batch_size)])
        else:
            raise ValueError("batchnorm must be 'moving' or 'batch' (got %r)" % (batchnorm,))
        return to_uint8(out, self.config)

    def _batch_stats_output(self, z):
        """G's output in training mode (batch statistics), without its update ops."""
        if self._g_training_mode is None:
            import keras.backend as K
            G = self.generator
            self._g_training_mode = K.function([G.inputs[0], K.learning_phase()], [G.outputs[0]])
        return self._g_training_mode([z, 1])[0]

    # -- persistence ------------------------------------------------------------------------
    def save_model(self, run_dir, step, keep=None, milestone=None, extra=None):
        """Write weight/{generator,discriminator,gan}_epoch_<step>.h5 and the training state
        (state_epoch_<step>.npz) under run_dir, atomically; `extra` is stored with the state."""
        return io.save_checkpoint(self, run_dir, step, keep=keep, milestone=milestone, extra=extra)

    @classmethod
    def load_model(cls, path, step=None, config=None, compile=True):
        """Load a GAN from a run folder (latest or given step), or a weight file.

        Reads this package's checkpoints and the original GAN_animation's tf.keras HDF5 files
        (their weights are loaded into the same architecture, layer by layer). `compile=False`
        builds the networks only, without optimizers and train models: enough to generate (1.0 s
        against 3.8 s for the recipe's checkpoints); `compile()` can follow.
        """
        return io.load_gan(cls, path, step=step, config=config, compile=compile)

    # -- resumable state --------------------------------------------------------------------
    def rng_counters(self):
        """Per-layer random-stream counters (the seeded dropout and noise layers'), in model order."""
        layers = list(self.generator.layers) + list(self.discriminator.layers)
        return [l.seed_counter for l in layers if getattr(l, 'seed_counter', None) is not None]

    def get_state(self):
        """Everything besides the model weights that later steps depend on, as arrays and ints."""
        import keras.backend as K
        kind, keys, pos, has_gauss, gauss = self.rng.get_state()
        return {'d_optimizer': K.batch_get_value(self.discriminator.optimizer.weights),
                'g_optimizer': K.batch_get_value(self.combined.optimizer.weights),
                'rng_counters': K.batch_get_value(self.rng_counters()),
                'numpy_rng': {'keys': keys, 'pos': int(pos), 'has_gauss': int(has_gauss),
                              'gauss': float(gauss)},
                'python_random': random.getstate()}

    def set_state(self, state):
        """Inverse of get_state; shapes are checked so a wrong run cannot be half-restored."""
        import keras.backend as K
        pairs = []
        for key, variables in (('d_optimizer', self.discriminator.optimizer.weights),
                               ('g_optimizer', self.combined.optimizer.weights),
                               ('rng_counters', self.rng_counters())):
            values = state[key]
            if len(values) != len(variables) or any(
                    tuple(v.shape) != tuple(int(d) for d in var.shape) for v, var in zip(values, variables)):
                raise UserError('saved %s state does not fit this model (%d arrays, expected %d)'
                                % (key, len(values), len(variables)))
            pairs += list(zip(variables, values))
        K.batch_set_value(pairs)
        r = state['numpy_rng']
        self.rng.set_state(('MT19937', np.asarray(r['keys'], np.uint32), r['pos'], r['has_gauss'], r['gauss']))
        random.setstate(state['python_random'])


def second_order_step(gan, sample_real):
    """One step of `gan` with second-order unrolling, whatever its --unroll-mode (to compare the
    two modes on one GAN): its first D round, then the G update through the k unrolled D updates
    (built on the first call)."""
    scheme = gan._second_order_scheme()
    logs = gan._d_round(sample_real)
    logs['g_loss'] = scheme.g_update(sample_real)
    return logs


def describe_session():
    """Versions worth recording next to a run."""
    import keras
    import tensorflow as tf
    import h5py
    return {'tensorflow': tf.__version__, 'keras': keras.__version__, 'numpy': np.__version__,
            'h5py': h5py.__version__, 'tf_built_with_cuda': bool(tf.test.is_built_with_cuda()),
            'python': '%d.%d.%d' % tuple(sys.version_info[:3]),
            'TF_CUDNN_DETERMINISTIC': os.environ.get('TF_CUDNN_DETERMINISTIC')}
