"""The GAN class: builds and compiles the models and runs one unrolled training step."""
import os
import warnings

import numpy as np

from .config import Config, UserError, check


def flip_labels(y, prob, rng):
    """Flip int(prob * n) targets picked uniformly with replacement (duplicates flip once)."""
    y = np.array(y, copy=True)
    k = int(prob * len(y))
    if k > 0:
        idx = rng.randint(0, len(y), k)
        y[idx] = 1 - y[idx]
    return y


def to_uint8(images, config=None):
    """Generator output in [-1, 1] to uint8 RGB; with a `config`, from its range (--pixel-min 0:
    [0, 1]) and channel order (--channel-order bgr: turned back to RGB)."""
    images = np.asarray(images)
    if config is not None and config.channel_order == 'bgr':
        images = images[..., ::-1]
    if config is not None and config.pixel_min == 0.0:
        return np.clip(np.rint(images * 255.0), 0, 255).astype(np.uint8)
    return np.clip(np.rint((images + 1.0) * 127.5), 0, 255).astype(np.uint8)


def to_float(images, config=None):
    """uint8 RGB to the [-1, 1] float32 range the networks use; with a `config`, to its
    range (--pixel-min 0: [0, 1]) and channel order (--channel-order bgr: channels reversed)."""
    if config is not None and config.channel_order == 'bgr':
        images = images[..., ::-1]
    if config is not None and config.pixel_min == 0.0:
        return images.astype(np.float32) / 255.0
    return images.astype(np.float32) / 127.5 - 1.0


class GAN(object):
    """GAN_animation: a DCGAN whose generator trains against a discriminator unrolled k steps.

    Networks may be passed in; otherwise `build_generator` / `build_discriminator` make them from
    `config.arch`. Optimizers may be passed to `compile`; otherwise Adam from the config.
    """

    def __init__(self, config=None, generator=None, discriminator=None, compile=True):
        self.config = config if config is not None else Config()
        check(self.config)
        self.generator = generator if generator is not None else self.build_generator()
        self.discriminator = discriminator if discriminator is not None else self.build_discriminator()
        from .kernels import use_kernels
        self.generator = use_kernels(self.generator, self.config.kernels)
        self.discriminator = use_kernels(self.discriminator, self.config.kernels)
        self.combined = None
        self.rng = np.random.RandomState(self.config.seed)
        self._snapshot = None
        if compile:
            self.compile()

    # -- models -----------------------------------------------------------------------------
    def build_generator(self):
        from . import networks
        self._check_arch(networks.GENERATORS)
        return networks.build_generator(self.config.arch, self.config.latent_dim, init=self.config.init)

    def build_discriminator(self):
        from . import networks
        self._check_arch(networks.DISCRIMINATORS)
        return networks.build_discriminator(self.config.arch, init=self.config.init)

    def _check_arch(self, known):
        if self.config.arch not in known:
            raise UserError('--arch %s is unknown; choose one of: %s'
                            % (self.config.arch, ', '.join(sorted(known))))

    def _set_epoch(self, epoch):
        """Set what depends on the epoch (from 0): the instance-noise std, changed in place
        with K.set_value (no new graph ops), only when the epoch changes."""
        from . import recipes
        if self._noise_layers and epoch != self._epoch:
            sigma = recipes.noise_sigma(self.config, epoch)
            for layer in self._noise_layers:
                layer.set_stddev(sigma)
        self._epoch = epoch

    def _prepare_recipe(self):
        """Per-run recipe state: the instance-noise layers (at epoch 0's std) and the step count."""
        from . import recipes
        self._noise_layers = recipes.noise_layers(self.discriminator)
        if self.config.noise_sigma and not self._noise_layers:
            raise UserError('--noise-sigma needs a discriminator with an instance-noise layer '
                            '(--arch ganime); --arch %s has none' % self.config.arch)
        self._steps_done = 0
        self._epoch = None
        self._scheme = None
        self._set_epoch(0)

    def compile(self, d_optimizer=None, g_optimizer=None):
        """Compile D, then the combined model G -> frozen D, and build the training functions now.

        Keras 2.3.1 collects trainable weights at compile time and model updates (BatchNorm
        statistics) when the train function is first made, so both functions are made here with
        the intended `trainable` setting: the combined model updates G only, D updates itself.
        The 'alternating-summed' and 'simultaneous' schemes (gan/recipes.py) build their own
        functions instead, on the same two optimizers (what checkpoints save); Keras' train
        functions are then never made.
        """
        from keras.layers import Input
        from keras.losses import BinaryCrossentropy
        from keras.models import Model
        from . import recipes
        from .unroll import Snapshot
        c = self.config
        D, G = self.discriminator, self.generator
        D.trainable = True
        D.compile(loss=BinaryCrossentropy(label_smoothing=recipes.loss_smoothing(c)),
                  optimizer=d_optimizer or recipes.adam(c, 'd'), metrics=['accuracy'])
        D.trainable = False
        z = Input(shape=(c.latent_dim,))
        self.combined = Model(z, D(G(z)), name='gan')
        self.combined.compile(loss='binary_crossentropy', optimizer=g_optimizer or recipes.adam(c, 'g'))
        self._prepare_recipe()
        if c.scheme != 'alternating':
            with warnings.catch_warnings():
                warnings.simplefilter('ignore')
                G._make_predict_function()
            self._scheme = recipes.build_scheme(self)
            return self
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            self.combined._make_train_function()
            D.trainable = True
            D._make_train_function()
            G._make_predict_function()
        watched = list(D.weights)
        if c.restore_optimizer:
            watched += list(D.optimizer.weights)
        self._snapshot = Snapshot(watched, name='d_snapshot')
        self._fused = None      # built by the first step (loading a checkpoint to sample needs none)
        return self

    # -- training ---------------------------------------------------------------------------
    def _begin_step(self, step=None):
        """Count the step (1-based: as given, else the one after the last) and set its epoch's
        state (instance noise)."""
        from .config import epoch_of
        step = getattr(self, '_steps_done', 0) + 1 if step is None else step
        self._steps_done = step
        self._set_epoch(epoch_of(self.config, step))
        return step

    def _targets(self, real, n):
        """D targets of the alternating scheme: flips, per-batch and one-sided smoothing (the
        two-sided kind is in D's loss)."""
        from . import recipes
        return recipes.d_targets(self.config, real, n, self.rng, smoothing_in_loss=True)

    def _draw_round(self, sample_real):
        """The host draws of one D round, in the original's order: real half batch, its targets,
        latents, the fakes' targets."""
        c, rng = self.config, self.rng
        half = c.batch_size // 2
        real = sample_real(half, rng)
        y_real = self._targets(True, half)
        z = rng.normal(0.0, 1.0, (half, c.latent_dim)).astype(np.float32)
        y_fake = self._targets(False, half)
        return real, y_real, z, y_fake

    def _d_round(self, sample_real):
        """One discriminator update on a real half batch, then on a fresh fake half batch."""
        real, y_real, z, y_fake = self._draw_round(sample_real)
        fake = self.generator.predict(z, batch_size=len(z))
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            loss_real, acc_real = self.discriminator.train_on_batch(real, y_real)
            loss_fake, acc_fake = self.discriminator.train_on_batch(fake, y_fake)
        return {'d_loss_real': float(loss_real), 'd_loss_fake': float(loss_fake),
                'd_acc_real': float(acc_real), 'd_acc_fake': float(acc_fake)}

    def _d_rounds(self, sample_real):
        """The step's 1 + unroll_steps D rounds with the snapshot after the first: one session
        call (gan.fused) or three per round (execution 'keras'). Logs of the first round."""
        c = self.config
        if self._fused is None and c.execution == 'fused' and c.unroll_mode == 'first-order':
            from .fused import FusedRounds
            self._fused = FusedRounds(self, 1 + c.unroll_steps, after_first=self._snapshot.build_save)
        if self._fused is not None:
            draws = [self._draw_round(sample_real) for _ in range(self._fused.rounds)]
            return self._fused(*[np.stack(part) for part in zip(*draws)])
        logs = self._d_round(sample_real)
        self._snapshot.save()
        for _ in range(self.config.unroll_steps):
            self._d_round(sample_real)
        return logs

    def train_step(self, sample_real, step=None):
        """One step of the recipe; `sample_real(n, rng)` returns n real images in the networks'
        range. `step` (1-based) selects the epoch's instance noise; default: the next step.

        The 'alternating' scheme (the original's) is below; --scheme alternating-summed and
        simultaneous run their own step (gan/recipes.py). Returns the losses of the step's first
        discriminator round (the one that persists) and of the generator update.
        """
        c, rng = self.config, self.rng
        self._begin_step(step)
        if c.unroll_mode == 'second-order':
            from .unroll import second_order_step
            return second_order_step(self, sample_real)
        if getattr(self, '_scheme', None) is not None:
            return self._scheme.step(sample_real)
        logs = self._d_rounds(sample_real)
        z = rng.normal(0.0, 1.0, (c.batch_size, c.latent_dim)).astype(np.float32)
        y = flip_labels(np.ones((c.batch_size, 1), np.float32), c.flip_prob, rng)
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            logs['g_loss'] = float(self.combined.train_on_batch(z, y))
            if c.g_extra_threshold:          # GANime: one more G step while G is losing badly
                logs['g_steps'] = 1.0
                if logs['g_loss'] > c.g_extra_threshold:
                    from .recipes import g_targets
                    z = rng.normal(0.0, 1.0, (c.batch_size, c.latent_dim)).astype(np.float32)
                    self.combined.train_on_batch(z, g_targets(c, c.batch_size, rng))
                    logs['g_steps'] = 2.0
        self._snapshot.restore()
        return logs

    def train(self, images, steps=None, hooks=(), start_step=0):
        """Train on uint8 RGB `images` (N, 64, 64, 3) for `steps` (default: config.steps).

        A recipe counted in epochs gets its epoch length from len(images) here, unless the config
        already has one (config.plan_epochs; best called before config.json is written).
        """
        from .config import plan_epochs
        from .loop import run
        from .recipes import RealImages
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
        """n standard-normal latents from `seed` (fixed grids), or from the training RNG."""
        rng = np.random.RandomState(seed) if seed is not None else self.rng
        return rng.normal(0.0, 1.0, (n, self.config.latent_dim)).astype(np.float32)

    def generate(self, latents=None, n=None, seed=None, batch_size=128):
        """uint8 RGB images (inference mode) from given latents, or n latents drawn from seed."""
        if latents is None:
            if n is None:
                raise ValueError('generate() needs latents or n')
            latents = self.latents(n, seed)
        return to_uint8(self.generator.predict(np.asarray(latents, np.float32), batch_size=batch_size),
                        self.config)

    # -- persistence ------------------------------------------------------------------------
    def save_model(self, run_dir, step, keep=None, milestone=None, extra=None):
        """Write weight/{generator,discriminator,gan}_epoch_<step>.h5 and the training state
        (state_epoch_<step>.npz) under run_dir, atomically; `extra` is stored with the state."""
        from . import io
        return io.save_checkpoint(self, run_dir, step, keep=keep, milestone=milestone, extra=extra)

    @classmethod
    def load_model(cls, path, step=None, config=None):
        """Load a GAN from a run folder (latest or given step), or a weight file.

        Reads this package's checkpoints and the original GAN_animation's tf.keras HDF5 files
        (their weights are loaded into the same architecture, layer by layer).
        """
        from . import io
        return io.load_gan(cls, path, step=step, config=config)

    # -- resumable state --------------------------------------------------------------------
    def _rng_counters(self):
        """Per-layer random-stream counters (the seeded dropout layers'), in model order."""
        layers = list(self.generator.layers) + list(self.discriminator.layers)
        return [l.seed_counter for l in layers if getattr(l, 'seed_counter', None) is not None]

    def get_state(self):
        """Everything besides the model weights that later steps depend on, as arrays and ints."""
        import keras.backend as K
        import random
        kind, keys, pos, has_gauss, gauss = self.rng.get_state()
        return {'d_optimizer': K.batch_get_value(self.discriminator.optimizer.weights),
                'g_optimizer': K.batch_get_value(self.combined.optimizer.weights),
                'rng_counters': K.batch_get_value(self._rng_counters()),
                'numpy_rng': {'keys': keys, 'pos': int(pos), 'has_gauss': int(has_gauss),
                              'gauss': float(gauss)},
                'python_random': random.getstate()}

    def set_state(self, state):
        """Inverse of get_state; shapes are checked so a wrong run cannot be half-restored."""
        import keras.backend as K
        import random
        pairs = []
        for key, variables in (('d_optimizer', self.discriminator.optimizer.weights),
                               ('g_optimizer', self.combined.optimizer.weights),
                               ('rng_counters', self._rng_counters())):
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


def describe_session():
    """Versions worth recording next to a run."""
    import keras
    import tensorflow as tf
    import h5py
    return {'tensorflow': tf.__version__, 'keras': keras.__version__, 'numpy': np.__version__,
            'h5py': h5py.__version__, 'tf_built_with_cuda': bool(tf.test.is_built_with_cuda()),
            'python': '%d.%d.%d' % tuple(__import__('sys').version_info[:3]),
            'TF_CUDNN_DETERMINISTIC': os.environ.get('TF_CUDNN_DETERMINISTIC')}
