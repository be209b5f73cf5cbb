"""Immutable training options and their help, the named recipe presets (data), their checks, and
the one conversion of epochs to steps."""
import json
from typing import NamedTuple, Optional


class UserError(Exception):
    """A problem the user can fix; the CLI prints `Error: <message>` and exits 1."""


class Config(NamedTuple):
    preset: str = 'gan_animation'
    arch: str = 'gan_animation'
    steps: int = 30000
    batch_size: int = 256
    latent_dim: int = 200
    unroll_steps: int = 10
    unroll_mode: str = 'first-order'
    restore_optimizer: bool = False
    lr: float = 2e-4
    beta_1: float = 0.5
    beta_2: float = 0.999
    adam_epsilon: float = 1e-7
    label_smoothing: float = 0.2
    flip_prob: float = 0.05
    sample_interval: int = 5
    checkpoint_interval: int = 10
    history_interval: int = 5
    keep_checkpoints: int = 5
    milestone_interval: int = 1000
    milestone_steps: str = ''
    grid_size: int = 10
    data: str = 'data'
    out: str = 'save'
    seed: Optional[int] = None
    deterministic: bool = False
    scheme: str = 'alternating'
    loss: str = 'bce'
    d_lr: float = 0.0
    g_lr: float = 0.0
    d_threshold: float = 0.0
    g_threshold: float = 0.0
    g_extra_threshold: float = 0.0
    smoothing_mode: str = 'two-sided'
    target_noise: float = 0.0
    noise_sigma: float = 0.0
    noise_decay: float = 0.0
    noise_floor: float = 1e-6
    d_head_dropout: float = 0.5
    adam_reset: str = 'never'
    frozen_d_bn: str = 'batch'
    pixel_min: float = -1.0
    channel_order: str = 'rgb'
    resize: str = 'area'
    init: str = 'keras'
    sampling: str = 'replacement'
    data_epochs: int = 0
    sample_epochs: int = 0
    checkpoint_epochs: int = 0
    steps_per_epoch: int = 0
    execution: str = 'fused'
    kernels: str = 'fast'
    tensorboard: bool = True
    restart_every: int = 0

    def to_json(self):
        return json.dumps(self._asdict(), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, d):
        """Build from a dict (e.g. a run's config.json); unknown keys are an error."""
        unknown = sorted(set(d) - set(cls._fields))
        if unknown:
            raise UserError('unknown option(s) %s; known: %s' % (', '.join(unknown), ', '.join(cls._fields)))
        return cls(**d)


# What each option does: the help of its flag (train.py --help) and of its config.json key.
HELP = {
    'preset': 'recipe the defaults come from',
    'arch': "network pair in gan.networks ('tiny': small test stand-in)",
    'steps': 'training steps (the original\'s "epochs": one minibatch each)',
    'batch_size': 'latents per generator update; D sees half batches',
    'latent_dim': 'size of the standard-normal latent vector',
    'unroll_steps': 'extra D updates before the G update (0 = plain DCGAN)',
    'unroll_mode': "'first-order' (original) or 'second-order' "
                   "(G's gradient through the k updates)",
    'restore_optimizer': "also restore D's Adam state after the G update (original: no)",
    'lr': 'Adam learning rate, D and G',
    'beta_1': 'Adam beta_1',
    'beta_2': 'Adam beta_2',
    'adam_epsilon': 'Adam epsilon',
    'label_smoothing': 'D loss smoothing: targets 1/0 become 0.9/0.1',
    'flip_prob': 'share of targets flipped per batch (int(p * n) draws)',
    'sample_interval': 'write image/Faces_<step>.png every N steps',
    'checkpoint_interval': 'write weight/*_epoch_<step>.h5 every N steps',
    'history_interval': 'average losses over N steps into history.csv',
    'keep_checkpoints': 'keep the latest N checkpoints (0 = keep all)',
    'milestone_interval': '...and every checkpoint at a multiple of N (0 = none)',
    'milestone_steps': '...and a checkpoint at each of these steps, kept (comma-separated, e.g. '
                       "'75,149')",
    'grid_size': 'sample grid is grid_size x grid_size tiles',
    'data': 'folder of training images (searched recursively)',
    'out': 'parent of the numbered run folders',
    'seed': 'seeds Python, NumPy and TF; None draws one and records it',
    'deterministic': 'single-threaded TF (and cuDNN determinism): bit-identical runs',
    'scheme': "updates per step: 'alternating' (D rounds, then G: the original), "
              "'alternating-summed' (one D update on the real+fake loss, then G), 'simultaneous' "
              '(D and G from one forward pass)',
    'loss': "loss on D's probabilities: 'bce' (Keras), 'torch-bce' (PyTorch's BCELoss, log clamped"
            " at -100), 'log' (plain -log p, may reach inf/nan)",
    'd_lr': "D's Adam learning rate (0 = --lr)",
    'g_lr': "G's Adam learning rate (0 = --lr)",
    'd_threshold': 'update D only when its loss is above this (0 = always)',
    'g_threshold': 'update G only when its loss is above this (0 = always)',
    'g_extra_threshold': 'one more G step (fresh latents) when the G loss is above this '
                         '(0 = never)',
    'smoothing_mode': "how --label-smoothing s applies: 'two-sided' (targets y(1-s)+s/2) or "
                      "'one-sided' (1 becomes 1-s/2, 0 stays)",
    'target_noise': 'per-batch smoothing: real targets 1-u, fake targets u, u ~ U(0, N) drawn per '
                    'D batch (0 = off)',
    'noise_sigma': "instance noise: std of Gaussian noise on D's input in epoch 0 (0 = none; needs"
                   ' arch ganime)',
    'noise_decay': '...lowered by this much per epoch',
    'noise_floor': '...but never below this',
    'd_head_dropout': "rate of the Dropout after D's Flatten (archs gan_animation, tiny and "
                      "ganime; GANime's published run: 0.4)",
    'adam_reset': "'epoch': both Adams' moments set to zero at each epoch's first step, their step"
                  " counters kept (GANime's per-epoch rebuild under TF 2), or 'never'",
    'frozen_d_bn': "D's BatchNorm in G's update (the combined model, D frozen): 'batch' (Keras "
                   "2.3.1: the fake batch's statistics) or 'moving' (tf.keras in TF 2: a frozen "
                   'BatchNorm uses its moving statistics)',
    'pixel_min': 'value black maps to: -1 (images in [-1, 1]) or 0 (images in [0, 1])',
    'channel_order': "channel order of the images D sees and G makes: 'rgb' or 'bgr'",
    'resize': "images not 64x64: 'area' (bilinear to enlarge), 'bilinear', 'short-side-crop' "
              '(Resize(64), CenterCrop(64))',
    'init': "weight initialisation: 'keras' (layer defaults) or 'torch' (PyTorch's defaults; "
            'animefaceswithgan archs)',
    'sampling': "real batches: 'replacement' (uniform draws) or 'passes' (shuffled full passes "
                'over the data)',
    'data_epochs': 'train this many epochs instead of --steps (0 = use --steps)',
    'sample_epochs': 'write a grid every N epochs instead of every --sample-interval steps '
                     '(0 = steps)',
    'checkpoint_epochs': 'checkpoint every N epochs instead of every --checkpoint-interval steps '
                         '(0 = steps)',
    'steps_per_epoch': "steps in one epoch: int(images / batch) with 'replacement', a full pass "
                       "with 'passes' (0 = from the data)",
    'execution': "how the alternating step's D rounds run: 'fused' (one session call for all "
                 "rounds, same math) or 'keras' (predict + 2 train_on_batch per round, like the "
                 'original)',
    'kernels': "convolution kernels: 'fast' (on stock TF's CPU kernels: input gradients and small "
               'transposed convolutions as forward convolutions and matrix products, the same sums'
               " in another order; TF's own on oneDNN or a GPU) or 'stock' (always TF's own)",
    'tensorboard': 'write TensorBoard event files into <run>/events/',
    'restart_every': 'every N steps checkpoint and restart the process in place (--resume): '
                     'returns the memory the oneDNN build keeps (0 = never)',
}


# Presets are overrides of Config's defaults (the defaults are the GAN_animation recipe). Each one
# is a declarative description of a recipe built from the mechanisms in gan/recipes.py; the facts
# come from each project's code (issue 5). docs/presets.md explains every row.
_ANIMEFACESWITHGAN = {          # v1; the later versions change one thing each
    'arch': 'animefaceswithgan', 'init': 'torch', 'latent_dim': 128, 'batch_size': 128,
    'resize': 'short-side-crop', 'scheme': 'alternating-summed', 'loss': 'torch-bce',
    'unroll_steps': 0, 'lr': 2e-4, 'beta_1': 0.5, 'beta_2': 0.999, 'adam_epsilon': 1e-8,
    'label_smoothing': 0.0, 'flip_prob': 0.0, 'sampling': 'passes', 'data_epochs': 100,
    'sample_epochs': 1, 'checkpoint_epochs': 5, 'grid_size': 8,
}
# Its authors trained v1-v3 for 100 epochs and v4.1-v4.3 for 50 (their published grids' epochs).
_V4 = dict(_ANIMEFACESWITHGAN, arch='animefaceswithgan_leaky', data_epochs=50)
PRESETS = {
    'gan_animation': {},
    'ganime': {
        'arch': 'ganime', 'latent_dim': 100, 'batch_size': 64, 'unroll_steps': 0,
        'lr': 1e-5, 'g_lr': 5e-6, 'beta_1': 0.9, 'beta_2': 0.999, 'adam_epsilon': 1e-7,
        'label_smoothing': 0.0, 'flip_prob': 0.0, 'target_noise': 0.05, 'g_extra_threshold': 3.0,
        'noise_sigma': 0.75, 'noise_decay': 0.02, 'noise_floor': 1e-6,
        'sampling': 'replacement', 'data_epochs': 300, 'checkpoint_epochs': 10, 'sample_epochs': 1,
    },
    'dcgan-yernat': {
        'arch': 'dcgan_yernat', 'pixel_min': 0.0, 'latent_dim': 100, 'batch_size': 100,
        'scheme': 'simultaneous', 'loss': 'log', 'unroll_steps': 0,
        'lr': 1e-4, 'beta_1': 0.5, 'beta_2': 0.999, 'adam_epsilon': 1e-7,
        'label_smoothing': 0.0, 'flip_prob': 0.0,
        'sampling': 'passes', 'data_epochs': 500, 'sample_epochs': 1, 'checkpoint_epochs': 10,
    },
    'animefacesgan': {
        'arch': 'animefacesgan', 'latent_dim': 100, 'batch_size': 100, 'resize': 'bilinear',
        'scheme': 'simultaneous', 'loss': 'log', 'unroll_steps': 0,
        'lr': 2e-4, 'beta_1': 0.5, 'beta_2': 0.999, 'adam_epsilon': 1e-7,
        'label_smoothing': 0.0, 'flip_prob': 0.0,
        'sampling': 'passes', 'data_epochs': 50, 'sample_epochs': 1, 'checkpoint_epochs': 5,
        'grid_size': 4,
    },
    'animefaceswithgan-v1': dict(_ANIMEFACESWITHGAN),
    'animefaceswithgan-v2': dict(_ANIMEFACESWITHGAN, arch='animefaceswithgan_leaky'),
    'animefaceswithgan-v3': dict(_ANIMEFACESWITHGAN, arch='animefaceswithgan_leaky', d_threshold=0.2),
    'animefaceswithgan-v4.1': dict(_V4, d_threshold=0.1),
    'animefaceswithgan-v4.2': dict(_V4, d_threshold=0.3),
    'animefaceswithgan-v4.3': dict(_V4, d_threshold=0.2, g_threshold=4.0),
}

# (source project, what is distinctive): printed by --list-presets, tabled in docs/presets.md.
PRESET_NOTES = {
    'gan_animation': ('GAN_animation', 'unrolled D (10 extra rounds, restored after the G update), '
                      'smoothing 0.2 + 5% flips, batch 256, 30,000 steps (the default)'),
    'ganime': ('Henvezz95/GANime', 'instance noise 0.75 - 0.02/epoch on D, per-batch smoothing '
               'U(0, 0.05), D lr 1e-5 / G lr 5e-6, extra G step when g_loss > 3, 300 epochs'),
    'dcgan-yernat': ('yernat-assylbekov/Anime-Faces-with-DCGAN', 'data in [0, 1] (sigmoid G), '
                     'simultaneous G/D updates on -log losses, batch 100, 500 epochs'),
    'animefacesgan': ('bijmuj/AnimeFacesGAN', 'simultaneous G/D updates on -log losses, bilinear '
                      'resize, Adam 2e-4, batch 100, 50 epochs, 4x4 grids'),
    'animefaceswithgan-v1': ('yigitsevim/AnimeFacesWithGAN', 'PyTorch DCGAN (no biases, PyTorch '
                             'init and BN), D on summed real+fake BCE then G, ReLU G, batch 128'),
    'animefaceswithgan-v2': ('yigitsevim/AnimeFacesWithGAN', 'v1 with LeakyReLU(0.2) in G'),
    'animefaceswithgan-v3': ('yigitsevim/AnimeFacesWithGAN', 'v2, D updated only when loss_D > 0.2'),
    'animefaceswithgan-v4.1': ('yigitsevim/AnimeFacesWithGAN', 'v2, D updated only when loss_D > 0.1'),
    'animefaceswithgan-v4.2': ('yigitsevim/AnimeFacesWithGAN', 'v2, D updated only when loss_D > 0.3'),
    'animefaceswithgan-v4.3': ('yigitsevim/AnimeFacesWithGAN', 'v2, D only when loss_D > 0.2, G '
                               'only when loss_G > 4.0'),
}

# Each interval in steps and its counterpart in epochs: a preset may give either; a flag given on
# the command line wins over the preset's other unit.
EPOCH_COUNTERPARTS = (('steps', 'data_epochs'), ('sample_interval', 'sample_epochs'),
                      ('checkpoint_interval', 'checkpoint_epochs'))


def resolve(preset='gan_animation', **overrides):
    """Config for `preset` with `overrides` applied on top (None values are ignored)."""
    if preset not in PRESETS:
        raise UserError('unknown preset %r; choose one of: %s (see --list-presets)'
                        % (preset, ', '.join(sorted(PRESETS))))
    values = dict(PRESETS[preset], preset=preset)
    given = {k: v for k, v in overrides.items() if v is not None}
    for in_steps, in_epochs in EPOCH_COUNTERPARTS:
        if in_steps in given and in_epochs in given and given[in_epochs]:
            raise UserError('give --%s or --%s, not both' % (in_steps.replace('_', '-'),
                                                              in_epochs.replace('_', '-')))
        if in_steps in given:
            values[in_epochs] = 0          # counted in steps, as asked
    values.update(given)
    cfg = Config.from_dict(values)
    check(cfg)
    if cfg.steps_per_epoch:                # given: the epochs become steps now
        cfg = _in_steps(cfg, cfg.steps_per_epoch)
        check(cfg)
    return cfg


def uses_epochs(cfg):
    """Whether the recipe needs to know its epoch length (counts, schedules or full passes)."""
    return bool(cfg.data_epochs or cfg.sample_epochs or cfg.checkpoint_epochs or cfg.noise_decay
                or cfg.sampling == 'passes' or cfg.adam_reset == 'epoch')


def epoch_length(cfg, n_images):
    """Steps in one epoch: int(N / batch) with sampling 'replacement' (GANime's count), or the
    batches of one full pass, the last one short, with 'passes'."""
    if cfg.sampling == 'passes':
        return -(-n_images // cfg.batch_size)
    return n_images // cfg.batch_size


def plan_epochs(cfg, n_images):
    """The one place where epochs become steps, once the number of images is known.

    Sets steps_per_epoch, and steps / sample_interval / checkpoint_interval from their epoch
    counterparts; the config then records both. A config that already has steps_per_epoch (a
    resumed run, or one given on the command line) is returned as it is.
    """
    if not uses_epochs(cfg) or cfg.steps_per_epoch:
        return cfg
    spe = epoch_length(cfg, n_images)
    if spe < 1:
        raise UserError('%d images make no full batch of --batch-size %d, so an epoch has no '
                        'steps; add images or lower --batch-size' % (n_images, cfg.batch_size))
    cfg = _in_steps(cfg, spe)
    check(cfg)
    return cfg


def _in_steps(cfg, spe):
    changes = {'steps_per_epoch': spe}
    for in_steps, in_epochs in EPOCH_COUNTERPARTS:
        if getattr(cfg, in_epochs):
            changes[in_steps] = getattr(cfg, in_epochs) * spe
    return cfg._replace(**changes)


def epoch_of(cfg, step):
    """Epoch (from 0) of 1-based `step`; 0 while the epoch length is unknown."""
    return (step - 1) // cfg.steps_per_epoch if cfg.steps_per_epoch else 0


def milestone_steps(cfg):
    """The steps of --milestone-steps as a sorted tuple of ints."""
    text = (cfg.milestone_steps or '').replace(' ', '')
    try:
        steps = tuple(sorted({int(s) for s in text.split(',') if s}))
    except ValueError:
        raise UserError('--milestone-steps must be step numbers separated by commas (got %r)'
                        % cfg.milestone_steps)
    if steps and steps[0] < 1:
        raise UserError('--milestone-steps must be steps of 1 or more (got %d)' % steps[0])
    return steps


def check(cfg):
    """Reject option values that cannot run, naming the flag to change."""
    positive = ['steps', 'batch_size', 'latent_dim', 'sample_interval', 'checkpoint_interval',
                'history_interval', 'grid_size']
    for name in positive:
        if getattr(cfg, name) < 1:
            raise UserError('--%s must be at least 1 (got %r)' % (name.replace('_', '-'), getattr(cfg, name)))
    if cfg.batch_size < 2:
        raise UserError('--batch-size must be at least 2 (the discriminator trains on half batches)')
    for name in ['unroll_steps', 'keep_checkpoints', 'milestone_interval', 'restart_every']:
        if getattr(cfg, name) < 0:
            raise UserError('--%s must be 0 or more (got %r)' % (name.replace('_', '-'), getattr(cfg, name)))
    for name in ['flip_prob', 'label_smoothing']:
        if not 0.0 <= getattr(cfg, name) <= 1.0:
            raise UserError('--%s must be in [0, 1] (got %r)' % (name.replace('_', '-'), getattr(cfg, name)))
    milestone_steps(cfg)
    if cfg.unroll_mode not in ('first-order', 'second-order'):
        raise UserError("--unroll-mode must be 'first-order' or 'second-order' (got %r)" % cfg.unroll_mode)
    if not cfg.lr > 0:
        raise UserError('--lr must be positive (got %r)' % cfg.lr)
    for name in ['d_lr', 'g_lr', 'd_threshold', 'g_threshold', 'g_extra_threshold', 'noise_sigma',
                 'noise_decay', 'noise_floor', 'data_epochs', 'sample_epochs', 'checkpoint_epochs',
                 'steps_per_epoch']:
        if getattr(cfg, name) < 0:
            raise UserError('--%s must be 0 or more (got %r)' % (name.replace('_', '-'), getattr(cfg, name)))
    if cfg.pixel_min not in (-1.0, 0.0):
        raise UserError('--pixel-min must be -1 (images in [-1, 1]) or 0 (images in [0, 1]); got %r'
                        % cfg.pixel_min)
    if not 0.0 <= cfg.target_noise <= 0.5:
        raise UserError('--target-noise must be in [0, 0.5] (got %r)' % cfg.target_noise)
    for name, choices in CHOICES.items():
        if getattr(cfg, name) not in choices:
            raise UserError('--%s must be one of %s (got %r)' % (
                name.replace('_', '-'), ', '.join(repr(c) for c in choices), getattr(cfg, name)))
    if cfg.scheme == 'alternating':
        if cfg.loss != 'bce':
            raise UserError("--loss %s needs --scheme alternating-summed or simultaneous (the "
                            "alternating scheme trains through Keras' own BCE)" % cfg.loss)
        if cfg.d_threshold or cfg.g_threshold:
            raise UserError('--d-threshold and --g-threshold need --scheme alternating-summed or '
                            'simultaneous (the gate reads the loss before the update)')
        if cfg.sampling != 'replacement':
            raise UserError("--sampling passes needs --scheme alternating-summed or simultaneous "
                            "(the alternating scheme draws half batches with replacement)")
    else:
        for name in ('unroll_steps', 'restore_optimizer'):
            if getattr(cfg, name):
                raise UserError('--%s needs --scheme alternating (got --scheme %s)'
                                % (name.replace('_', '-'), cfg.scheme))
        if cfg.unroll_mode != 'first-order':
            raise UserError('--unroll-mode %s needs --scheme alternating' % cfg.unroll_mode)
    if not 0.0 <= cfg.d_head_dropout < 1.0:
        raise UserError('--d-head-dropout must be in [0, 1) (got %r)' % cfg.d_head_dropout)
    if cfg.frozen_d_bn != 'batch' and (cfg.scheme != 'alternating' or cfg.unroll_mode != 'first-order'):
        raise UserError('--frozen-d-bn %s needs --scheme alternating with --unroll-mode '
                        'first-order (the only scheme whose G update runs through a frozen D)'
                        % cfg.frozen_d_bn)
    if cfg.g_extra_threshold and cfg.scheme == 'simultaneous':
        raise UserError('--g-extra-threshold needs an alternating scheme (a simultaneous step has '
                        'no separate G step to repeat)')
    if cfg.loss == 'log' and (cfg.flip_prob or cfg.label_smoothing or cfg.target_noise):
        raise UserError('--loss log takes targets 1 and 0 as they are: set --flip-prob, '
                        '--label-smoothing and --target-noise to 0, or use --loss bce')


# The values each choice option accepts (the first is the default).
CHOICES = {
    'scheme': ('alternating', 'alternating-summed', 'simultaneous'),
    'loss': ('bce', 'torch-bce', 'log'),
    'smoothing_mode': ('two-sided', 'one-sided'),
    'channel_order': ('rgb', 'bgr'),
    'resize': ('area', 'bilinear', 'short-side-crop'),
    'init': ('keras', 'torch'),
    'sampling': ('replacement', 'passes'),
    'execution': ('fused', 'keras'),
    'kernels': ('fast', 'stock'),
    'adam_reset': ('never', 'epoch'),
    'frozen_d_bn': ('batch', 'moving'),
}
