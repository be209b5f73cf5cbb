"""Image sets for the metrics, from anywhere: a folder, a grid PNG/JPEG or a .npy array."""
import os

import numpy as np

from ..data import load_images
from ..grids import split_grid

IMAGE_EXTENSIONS = ('.png', '.jpg', '.jpeg', '.bmp')


def _check_set(arr, name):
    arr = np.asarray(arr)
    if arr.ndim == 3 and arr.shape[-1] == 3:
        arr = arr[None]
    if arr.ndim != 4 or arr.shape[-1] != 3 or arr.dtype != np.uint8:
        raise ValueError('%s: expected uint8 images shaped (N, H, W, 3), got %s %s'
                         % (name, arr.dtype, arr.shape))
    return arr


def subsample(images, n=None, seed=0):
    """`n` images drawn without replacement with `seed`, kept in their original order."""
    if n is None or n >= len(images):
        if n is not None and n > len(images):
            raise ValueError('asked for %d images but the set has only %d' % (n, len(images)))
        return images
    idx = np.sort(np.random.RandomState(seed).choice(len(images), int(n), replace=False))
    return images[idx]


def load_image_set(source, n=None, seed=0):
    """Images as uint8 RGB (N, 64, 64, 3) from a folder, a grid PNG/JPEG or a .npy array.

    With `n`, a subset of n images drawn with `seed` (original order kept); asking for more
    images than the source holds is a ValueError.
    """
    if isinstance(source, np.ndarray):
        images = _check_set(source, 'array')
    else:
        path = str(source)
        if os.path.isdir(path):
            images = load_images(path, size=64)
        elif not os.path.exists(path):
            raise ValueError('image source %s does not exist' % path)
        elif path.lower().endswith('.npy'):
            try:
                images = np.load(path)
            except (OSError, ValueError) as e:
                raise ValueError('cannot read %s: %s' % (path, e))
            images = _check_set(images, path)
        elif path.lower().endswith(IMAGE_EXTENSIONS):
            images = split_grid(path)
        else:
            raise ValueError('image source %s is not a folder, a grid image (%s) or a .npy file'
                             % (path, ', '.join(IMAGE_EXTENSIONS)))
    return subsample(images, n, seed)
