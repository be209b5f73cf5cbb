"""Immutable training options and their help, the presets (read from gan/presets/*.json), their
checks, and the one conversion of epochs to steps."""
import json
import os
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
    'preset': "recipe the defaults come from: a preset's name (--list-presets) or a preset file, "
              'PATH.json (docs/presets.md)',
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


# -- presets: gan/presets/NAME.json ---------------------------------------------------------------
# A preset file holds its `base` (a preset's name; null: Config's defaults, the GAN_animation
# recipe), its `source` (the project and where values come from), a one-line `note` and the
# `values` that differ from its base. The package's files are read once, here; a user's own file
# (`--preset PATH.json`) is read the same way and may name a package preset as its base.
# docs/presets.md explains the presets and holds the table preset_table() makes.
PRESET_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'presets')
DEFAULT_PRESET = 'gan_animation'
PRESET_KEYS = ('base', 'source', 'note', 'values')
SOURCE_KEYS = ('project', 'repository', 'commit', 'file', 'line', 'where', 'values_from')

# Each interval in steps and its counterpart in epochs: a preset may give either; a flag given on
# the command line (or a value in a preset file) wins over its base's other unit.
EPOCH_COUNTERPARTS = (('steps', 'data_epochs'), ('sample_interval', 'sample_epochs'),
                      ('checkpoint_interval', 'checkpoint_epochs'))


def _on_top(values, given, name):
    """`values` with `given` on top; a count in steps given there zeroes the base's epoch count."""
    values = dict(values)
    for in_steps, in_epochs in EPOCH_COUNTERPARTS:
        if in_steps in given and given.get(in_epochs):
            raise UserError('%s: give %s or %s, not both' % (name, in_steps, in_epochs))
        if in_steps in given:
            values[in_epochs] = 0          # counted in steps, as asked
    values.update(given)
    return values


def _checked_value(path, key, value):
    """`value` of option `key` as Config's type (an int is taken for a float), or a UserError."""
    default = getattr(Config(), key)
    kind = int if default is None else type(default)
    if kind is float and type(value) is int:
        value = float(value)
    if type(value) is not kind and not (default is None and value is None):
        raise UserError('%s: "%s" must be %s (got %s)'
                        % (path, key, {int: 'a whole number', float: 'a number', str: 'a string',
                                       bool: 'true or false'}[kind], json.dumps(value)))
    return value


def read_preset_file(path):
    """The checked contents of one preset file: a dict with base, source, note and values."""
    try:
        with open(path) as f:
            doc = json.load(f)
    except (OSError, IOError) as e:
        raise UserError('cannot read preset file %s: %s' % (path, e.strerror or e))
    except ValueError as e:
        raise UserError('preset file %s is not valid JSON: %s' % (path, e))
    if not isinstance(doc, dict):
        raise UserError('preset file %s must hold a JSON object with %s' % (path, ', '.join(PRESET_KEYS)))
    unknown = sorted(set(doc) - set(PRESET_KEYS))
    if unknown:
        raise UserError('preset file %s: unknown key(s) %s; a preset file holds %s'
                        % (path, ', '.join(unknown), ', '.join(PRESET_KEYS)))
    base, source = doc.get('base'), doc.get('source') or {}
    note, values = doc.get('note') or '', doc.get('values') or {}
    if not (base is None or isinstance(base, str) and base):
        raise UserError('preset file %s: "base" must be a preset\'s name, a file or null' % path)
    if not isinstance(note, str):
        raise UserError('preset file %s: "note" must be a string' % path)
    options = [f for f in Config._fields if f != 'preset']
    for key, value, known in (('source', source, SOURCE_KEYS), ('values', values, options)):
        if not isinstance(value, dict):
            raise UserError('preset file %s: "%s" must be a JSON object' % (path, key))
        unknown = sorted(set(value) - set(known))
        if unknown:
            raise UserError('preset file %s: unknown %s key(s) %s; known: %s'
                            % (path, key, ', '.join(unknown), ', '.join(known)))
    unknown = sorted(set(source.get('values_from') or {}) - set(options))
    if unknown:
        raise UserError('preset file %s: source.values_from names no option %s'
                        % (path, ', '.join(unknown)))
    values = {k: _checked_value(path, k, v) for k, v in values.items()}
    return {'base': base, 'source': source, 'note': note, 'values': values}


def _base_path(base, path):
    """The file of `base`: a package preset by name, else a file beside the preset naming it."""
    own = os.path.join(PRESET_DIR, base + '.json')
    if os.sep not in base and '/' not in base and os.path.isfile(own):
        return own
    beside = os.path.join(os.path.dirname(path), base)
    if base.endswith('.json') and os.path.isfile(beside):
        return os.path.abspath(beside)
    raise UserError('preset file %s: its base %r is neither a preset (%s) nor a .json file beside it'
                    % (path, base, ', '.join(_package_names())))


def _resolve_file(path, chain=(), read=read_preset_file):
    """The values of the preset in `path`, its bases' first, as overrides of Config's defaults."""
    if path in chain:
        raise UserError('preset file %s: its bases form a cycle (%s)'
                        % (chain[0], ' -> '.join(chain + (path,))))
    doc = read(path)
    below = {} if doc['base'] is None else \
        _resolve_file(_base_path(doc['base'], path), chain + (path,), read)
    return _on_top(below, doc['values'], path)


def _package_names():
    """The package's presets: the default first, then by name."""
    names = sorted(f[:-len('.json')] for f in os.listdir(PRESET_DIR) if f.endswith('.json'))
    return sorted(names, key=lambda n: n != DEFAULT_PRESET)


def _read_package_presets():
    docs = {}

    def read(path):                        # each file once, though several build on it
        if path not in docs:
            docs[path] = read_preset_file(path)
        return docs[path]
    paths = {name: os.path.join(PRESET_DIR, name + '.json') for name in _package_names()}
    values = {name: _resolve_file(path, read=read) for name, path in paths.items()}
    return {name: docs[path] for name, path in paths.items()}, values


PRESET_FILES, PRESETS = _read_package_presets()      # name -> file contents / resolved values
# (source project, what is distinctive): printed by --list-presets, tabled in docs/presets.md.
PRESET_NOTES = {name: (doc['source'].get('project', ''), doc['note'])
                for name, doc in PRESET_FILES.items()}


def is_preset_file(preset):
    """Whether `preset` names a file (PATH.json, or an existing file) rather than a package preset."""
    return preset not in PRESETS and (preset.endswith('.json') or os.path.isfile(preset))


def preset_id(preset):
    """What a run records as its preset: the name of a package preset, the absolute path of a file."""
    return os.path.abspath(preset) if is_preset_file(preset) else preset


def preset_values(preset):
    """The overrides of Config's defaults that preset `preset` (a name or a file) makes."""
    if preset in PRESETS:
        return dict(PRESETS[preset])
    if is_preset_file(preset):
        return _resolve_file(os.path.abspath(preset))
    raise UserError('unknown preset %r; choose one of: %s (see --list-presets), or give a preset '
                    'file, PATH.json' % (preset, ', '.join(PRESETS)))


def preset_table(results='findings/equal-compute.md'):
    """The table of presets in docs/presets.md, one row per file (a test keeps the two in step);
    `results`: the page, beside it, whose anchor #NAME (dots dropped) holds each preset's run."""
    rows = ['| preset | based on | source project | what is distinctive | run it | on equal compute |',
            '| --- | --- | --- | --- | --- | --- |']
    for name, doc in PRESET_FILES.items():
        source = doc['source']
        project = source.get('project', '')
        if source.get('repository'):
            project = '[%s](%s)' % (project, source['repository'])
        if source.get('where'):
            project += ' (%s)' % source['where']
        default = name == DEFAULT_PRESET
        rows.append('| `%s`%s | %s | %s | %s | `python train.py%s` | [result](%s#%s) |' % (
            name, ' (default)' if default else '', '`%s`' % doc['base'] if doc['base'] else 'defaults',
            project, doc['note'], '' if default else ' --preset ' + name, results,
            name.replace('.', '')))
    return '\n'.join(rows)


def resolve(preset=DEFAULT_PRESET, **overrides):
    """Config for `preset` (a name or a preset file) with `overrides` on top (None values are
    ignored); a file's path is recorded as its absolute path."""
    values = dict(preset_values(preset), preset=preset_id(preset))
    given = {k: v for k, v in overrides.items() if v is not None}
    for in_steps, in_epochs in EPOCH_COUNTERPARTS:
        if in_steps in given and in_epochs in given and given[in_epochs]:
            raise UserError('give --%s or --%s, not both' % (in_steps.replace('_', '-'),
                                                              in_epochs.replace('_', '-')))
    cfg = Config.from_dict(_on_top(values, given, 'options'))
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
