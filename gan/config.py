"""Immutable training options and the named recipe presets (data, no logic)."""
import json
from typing import NamedTuple, Optional


class UserError(Exception):
    """A problem the user can fix; the CLI prints `Error: <message>` and exits 1."""


class Config(NamedTuple):
    preset: str = 'gan_animation'      # recipe the defaults come from
    arch: str = 'gan_animation'        # network pair in gan.networks ('tiny': small test stand-in)
    steps: int = 30000                 # training steps (the original's "epochs": one minibatch each)
    batch_size: int = 256              # latents per generator update; D sees half batches
    latent_dim: int = 200              # size of the standard-normal latent vector
    unroll_steps: int = 10             # extra D updates before the G update (0 = plain DCGAN)
    unroll_mode: str = 'first-order'   # 'first-order' (original) or 'second-order' (G's gradient through the k updates)
    restore_optimizer: bool = False    # also restore D's Adam state after the G update (original: no)
    lr: float = 2e-4                   # Adam learning rate, D and G
    beta_1: float = 0.5                # Adam beta_1
    beta_2: float = 0.999              # Adam beta_2
    adam_epsilon: float = 1e-7         # Adam epsilon
    label_smoothing: float = 0.2       # D loss smoothing: targets 1/0 become 0.9/0.1
    flip_prob: float = 0.05            # share of targets flipped per batch (int(p * n) draws)
    sample_interval: int = 5           # write image/Faces_<step>.png every N steps
    checkpoint_interval: int = 10      # write weight/*_epoch_<step>.h5 every N steps
    history_interval: int = 5          # average losses over N steps into history.csv
    keep_checkpoints: int = 5          # keep the latest N checkpoints (0 = keep all)
    milestone_interval: int = 1000     # ...and every checkpoint at a multiple of N (0 = none)
    grid_size: int = 10                # sample grid is grid_size x grid_size tiles
    data: str = 'data'                 # folder of training images (searched recursively)
    out: str = 'save'                  # parent of the numbered run folders
    seed: Optional[int] = None         # seeds Python, NumPy and TF; None draws one and records it
    deterministic: bool = False        # single-threaded TF (and cuDNN determinism): bit-identical runs

    def to_json(self):
        return json.dumps(self._asdict(), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, d):
        """Build from a dict (e.g. a run's config.json); unknown keys are an error."""
        unknown = sorted(set(d) - set(cls._fields))
        if unknown:
            raise UserError('unknown option(s) %s; known: %s' % (', '.join(unknown), ', '.join(cls._fields)))
        return cls(**d)


# Presets are overrides of Config's defaults (the defaults are the GAN_animation recipe).
PRESETS = {
    'gan_animation': {},
}


def resolve(preset='gan_animation', **overrides):
    """Config for `preset` with `overrides` applied on top (None values are ignored)."""
    if preset not in PRESETS:
        raise UserError('unknown preset %r; choose one of: %s (see --list-presets)'
                        % (preset, ', '.join(sorted(PRESETS))))
    values = dict(PRESETS[preset], preset=preset)
    values.update({k: v for k, v in overrides.items() if v is not None})
    cfg = Config.from_dict(values)
    check(cfg)
    return cfg


def check(cfg):
    """Reject option values that cannot run, naming the flag to change."""
    positive = ['steps', 'batch_size', 'latent_dim', 'sample_interval', 'checkpoint_interval',
                'history_interval', 'grid_size']
    for name in positive:
        if getattr(cfg, name) < 1:
            raise UserError('--%s must be at least 1 (got %r)' % (name.replace('_', '-'), getattr(cfg, name)))
    if cfg.batch_size < 2:
        raise UserError('--batch-size must be at least 2 (the discriminator trains on half batches)')
    for name in ['unroll_steps', 'keep_checkpoints', 'milestone_interval']:
        if getattr(cfg, name) < 0:
            raise UserError('--%s must be 0 or more (got %r)' % (name.replace('_', '-'), getattr(cfg, name)))
    for name in ['flip_prob', 'label_smoothing']:
        if not 0.0 <= getattr(cfg, name) <= 1.0:
            raise UserError('--%s must be in [0, 1] (got %r)' % (name.replace('_', '-'), getattr(cfg, name)))
    if cfg.unroll_mode not in ('first-order', 'second-order'):
        raise UserError("--unroll-mode must be 'first-order' or 'second-order' (got %r)" % cfg.unroll_mode)
    if not cfg.lr > 0:
        raise UserError('--lr must be positive (got %r)' % cfg.lr)
