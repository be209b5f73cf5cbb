"""Host-side batches: pixel conversions, targets with their flips and smoothing, and the random
draws of a step (one RandomState, in the original's order)."""
import numpy as np


# -- pixels -------------------------------------------------------------------------------------
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


# -- targets ------------------------------------------------------------------------------------
def flip_labels(y, prob, rng):
    """Flip int(prob * n) targets picked uniformly with replacement (duplicates flip once)."""
    y = np.array(y, copy=True)
    k = int(prob * len(y))
    if k > 0:
        idx = rng.randint(0, len(y), k)
        y[idx] = 1 - y[idx]
    return y


def d_targets(cfg, real, n, rng, smoothing_in_loss=False):
    """Discriminator targets for n real (or fake) images, drawn from `rng`.

    1 for real, 0 for fake; then flips (int(flip_prob * n) draws, see flip_labels); then
    per-batch smoothing (--target-noise N: one u ~ U(0, N) per call, targets 1 become 1 - u and
    0 become u); then --label-smoothing s, 'two-sided' y(1-s) + s/2 or 'one-sided' y(1 - s/2).
    With `smoothing_in_loss` the two-sided smoothing is left to the loss (Keras'
    BinaryCrossentropy(label_smoothing=s) computes the same targets), as the original does.
    """
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
    return flip_labels(np.ones((n, 1), np.float32), cfg.flip_prob, rng)


# -- the draws of a step --------------------------------------------------------------------------
class Draws(object):
    """Every host-side random draw of a training step, from `rng` (the GAN's), in the original's
    order: resumed and seeded runs are bit-identical only if the same numbers are drawn when.

    `sample_real(n, rng)` gives n real images in the networks' range (recipes.RealImages). A D
    round draws a real half batch, its targets, latents, the fakes' targets; the alternating
    scheme's targets leave two-sided smoothing to D's loss, the others' (full batches) carry it.
    `config` is read at every draw (the GAN hands on a changed one).
    """

    def __init__(self, config, rng):
        self.config, self.rng = config, rng

    def latents(self, n):
        """n standard-normal latents."""
        return self.rng.normal(0.0, 1.0, (n, self.config.latent_dim)).astype(np.float32)

    def d_round(self, sample_real):
        """(real, y_real, z, y_fake) of one D round of the alternating scheme: half batches."""
        c, rng = self.config, self.rng
        half = c.batch_size // 2
        real = sample_real(half, rng)
        y_real = d_targets(c, True, half, rng, smoothing_in_loss=True)
        z = self.latents(half)
        y_fake = d_targets(c, False, half, rng, smoothing_in_loss=True)
        return real, y_real, z, y_fake

    def d_rounds(self, sample_real, n):
        """The draws of n D rounds in turn, each part stacked over the rounds (float32)."""
        rounds = [self.d_round(sample_real) for _ in range(n)]
        return [np.stack([np.asarray(a, np.float32) for a in part]) for part in zip(*rounds)]

    def d_batch(self, sample_real):
        """(real, y_real, z, y_fake) of the summed and simultaneous schemes: batch_size reals
        (fewer at the end of a pass), their targets, batch_size latents, the fakes' targets."""
        c, rng = self.config, self.rng
        real = np.asarray(sample_real(c.batch_size, rng), np.float32)
        y_real = d_targets(c, True, len(real), rng)
        z = self.latents(c.batch_size)
        y_fake = d_targets(c, False, c.batch_size, rng)
        return real, y_real, z, y_fake

    def g_targets(self):
        """batch_size generator targets."""
        return g_targets(self.config, self.config.batch_size, self.rng)

    def g_batch(self):
        """(z, y) of a generator update: batch_size latents, then their targets."""
        z = self.latents(self.config.batch_size)
        return z, self.g_targets()
