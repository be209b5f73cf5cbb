"""Toy 2-D problems of the mode-coverage benchmark: data, small MLP networks and the metrics.

Data and protocol follow PacGAN's code (Lin et al., NeurIPS 2018), which follows VEEGAN's
(Srivastava et al., NeurIPS 2017):

- ring: 8 Gaussians evenly spaced on the unit circle, std 0.01;
- grid: 25 Gaussians at {-4, -2, 0, 2, 4}^2, std 0.05;
- a generated sample is *high quality* when it lies within 3 std of its nearest mode;
- a mode is *captured* when at least one high-quality sample has it as nearest mode;
- reverse KL: KL(p_gen || uniform) of the histogram of the high-quality samples over the modes,
  sum_i p_i log(p_i * n_modes) over modes with p_i > 0 (0 when the generated samples spread
  evenly over all modes, log(n_modes) when they all sit at one mode).
"""
import numpy as np

# Keras is imported inside the network builders: the data and the metrics need none.

RING_RADIUS = 1.0
RING_STD = 0.01
GRID_STD = 0.05


def ring_modes(n_modes=8, radius=RING_RADIUS):
    angles = 2.0 * np.pi * np.arange(n_modes) / n_modes
    return np.stack([radius * np.cos(angles), radius * np.sin(angles)], axis=1).astype(np.float32)


def grid_modes(values=(-4.0, -2.0, 0.0, 2.0, 4.0)):
    return np.array([(x, y) for x in values for y in values], np.float32)


class Problem(object):
    """A mixture of equal-weight isotropic Gaussians at `modes` with `std`."""

    def __init__(self, name, modes, std):
        self.name, self.modes, self.std = name, np.asarray(modes, np.float32), float(std)

    def sample(self, n, rng):
        """n points: a uniformly chosen mode plus Gaussian noise (the real data)."""
        idx = rng.randint(0, len(self.modes), n)
        return (self.modes[idx] + rng.normal(0.0, self.std, (n, 2))).astype(np.float32)

    def evaluate(self, samples):
        return evaluate(samples, self.modes, self.std)


def ring():
    return Problem('ring', ring_modes(), RING_STD)


def grid():
    return Problem('grid', grid_modes(), GRID_STD)


PROBLEMS = {'ring': ring, 'grid': grid}


# -- metrics ------------------------------------------------------------------------------------
def assign_modes(samples, modes):
    """(index of the nearest mode, distance to it) for each sample."""
    samples = np.asarray(samples, np.float64).reshape(-1, 2)
    d = np.sqrt(((samples[:, None, :] - np.asarray(modes, np.float64)[None, :, :]) ** 2).sum(-1))
    nearest = d.argmin(axis=1)
    return nearest, d[np.arange(len(samples)), nearest]


def high_quality(samples, modes, std, n_std=3.0):
    """Boolean mask: the sample lies within n_std * std of its nearest mode."""
    _, dist = assign_modes(samples, modes)
    return dist <= n_std * std


def mode_histogram(samples, modes, std, n_std=3.0):
    """Count of high-quality samples per mode."""
    nearest, dist = assign_modes(samples, modes)
    hq = dist <= n_std * std
    return np.bincount(nearest[hq], minlength=len(modes))


def hq_share(samples, modes, std, n_std=3.0):
    """Share of high-quality samples, in [0, 1]."""
    return float(high_quality(samples, modes, std, n_std).mean()) if len(samples) else 0.0


def captured_modes(samples, modes, std, n_std=3.0):
    """Number of modes nearest to at least one high-quality sample."""
    return int((mode_histogram(samples, modes, std, n_std) > 0).sum())


def reverse_kl(counts):
    """KL(p || uniform) of a histogram of counts over the modes (inf when it is empty)."""
    counts = np.asarray(counts, np.float64)
    total = counts.sum()
    if total <= 0:
        return float('inf')
    p = counts / total
    p = p[p > 0]
    return float(np.sum(p * np.log(p * len(counts))))


def evaluate(samples, modes, std, n_std=3.0):
    """{'modes': captured, 'hq': percent high quality, 'rkl': reverse KL, 'n_modes': total}."""
    counts = mode_histogram(samples, modes, std, n_std)
    return {'modes': int((counts > 0).sum()), 'hq': 100.0 * hq_share(samples, modes, std, n_std),
            'rkl': reverse_kl(counts), 'n_modes': len(modes)}


# -- networks -----------------------------------------------------------------------------------
def mlp_generator(latent_dim=2, hidden=(128, 128, 128), activation='relu', name='generator'):
    """Latent -> hidden ReLU layers -> 2-D point (linear output)."""
    from keras.layers import Activation, Dense
    from keras.models import Sequential
    model = Sequential(name=name)
    for i, width in enumerate(hidden):
        extra = {'input_dim': latent_dim} if i == 0 else {}
        model.add(Dense(width, **extra))
        model.add(Activation(activation))
    model.add(Dense(2, **({} if hidden else {'input_dim': latent_dim})))
    return model


def mlp_discriminator(hidden=(128, 128), activation='relu', name='discriminator', pieces=5):
    """2-D point -> hidden layers -> probability of being real (sigmoid).

    activation: 'relu', 'leaky_relu' (slope 0.2) or 'maxout' (each unit the max of `pieces`
    linear units, as PacGAN's toy D).
    """
    from keras import backend as K
    from keras.layers import Activation, Dense, Lambda, LeakyReLU, Reshape
    from keras.models import Sequential
    model = Sequential(name=name)
    for i, width in enumerate(hidden):
        extra = {'input_dim': 2} if i == 0 else {}
        if activation == 'maxout':
            model.add(Dense(width * pieces, **extra))
            model.add(Reshape((width, pieces)))
            model.add(Lambda(lambda t: K.max(t, axis=-1), name='maxout_%d' % i))
            continue
        model.add(Dense(width, **extra))
        model.add(LeakyReLU(0.2) if activation == 'leaky_relu' else Activation(activation))
    model.add(Dense(1, activation='sigmoid', **({} if hidden else {'input_dim': 2})))
    return model
