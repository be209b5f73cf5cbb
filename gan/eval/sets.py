"""The image sets a comparison measures: loaded from folders, grids, arrays and published
references, or generated from checkpoints."""
import os
import sys

import numpy as np

from .. import backend, io
from ..config import UserError
from ..data import decode, find_images
from ..gan import GAN
from ..grids import ORIGINAL_FIGURE_PX, read_rgb, undraw_original
from . import references
from .imagesets import IMAGE_EXTENSIONS, load_image_set, subsample

# Keras is imported inside generate_from_checkpoint: compare.py --help loads no heavy library.

DEFAULT_N = 100


def is_checkpoint(path):
    """True for a run folder (has weight/), a folder of generator_epoch_<step>.h5 files, or an .h5."""
    path = str(path)
    if os.path.isdir(path):
        return os.path.isdir(os.path.join(path, 'weight')) or bool(io.checkpoint_steps(path))
    return path.lower().endswith('.h5')


def _folder_paths(folder, flag):
    paths = find_images(folder)
    if not paths:
        raise UserError('%s %s: no .jpg/.jpeg/.png/.bmp images found in that folder' % (flag, folder))
    return paths


def sample_folder(folder, count=None, seed=0, flag='--real'):
    """`count` images (None: all) of a folder, decoded in a seeded random order.

    Only the chosen files are decoded (a 60,000-image folder costs no more than its sample);
    an unreadable file is skipped with a warning and the next one in the order takes its place.
    The decoder is the training loader's (gan.data.decode), so pixels match training exactly.
    """
    paths = _folder_paths(folder, flag)
    order = np.random.RandomState(seed).permutation(len(paths))
    want = len(paths) if count is None else int(count)
    out = []
    for i in order:
        if len(out) == want:
            break
        try:
            out.append(decode(paths[i], 64))
        except (OSError, ValueError, MemoryError) as e:
            sys.stderr.write('warning: skipping %s: %s\n' % (paths[i], e))
    if not out:
        raise UserError('%s %s: none of its %d image files could be read (warnings above name each)'
                        % (flag, folder, len(paths)))
    return np.stack(out)


def load_set(path, n=None, seed=0, flag='SOURCE'):
    """Up to `n` images (None: all) from a folder, a grid PNG/JPEG, a .npy file or a published
    reference by name (gan.eval.references: 'original:1720', downloaded once into the cache).

    Folders are sampled in a seeded random order (see sample_folder), so consecutive images are
    independent draws, as MS-SSIM diversity's consecutive pairs assume. Grids are cut by
    gan.eval.references.tiles (by the catalogue's layout when the file is one of its images) and
    arrays read with gan.eval.imagesets.load_image_set; both keep their order (a grid's tiles come
    from independent latents); when they hold more than `n` images, `n` are drawn with `seed`.
    """
    path = str(path)
    if references.lookup(path) is not None or references.looks_like_name(path):
        images = references.tiles(path, flag=flag)
    elif not os.path.exists(path):
        raise UserError('%s %s does not exist' % (flag, path))
    elif os.path.isdir(path):
        return sample_folder(path, n, seed, flag)
    elif path.lower().endswith(IMAGE_EXTENSIONS):
        images = references.tiles(path, flag=flag)
    else:
        try:
            images = load_image_set(path)
        except ValueError as e:
            raise UserError('%s: %s' % (flag, e))
    if n is not None and len(images) > n:
        images = subsample(images, n, seed)
    return images


def load_undrawn(path, flag='SOURCE'):
    """The 100 images one of the original's 1152 x 1152 figures was drawn from
    (grids.undraw_original), or None when `path` is not an image file of that size. A
    reference name stands for its cached file."""
    path = str(path)
    if references.lookup(path) is not None:
        path = references.fetch(path)
    if os.path.isdir(path) or not path.lower().endswith(IMAGE_EXTENSIONS):
        return None
    try:
        image = read_rgb(path)
        if image.shape[:2] != (ORIGINAL_FIGURE_PX, ORIGINAL_FIGURE_PX):
            return None
        return undraw_original(image)[0]
    except ValueError as e:
        raise UserError('%s: %s' % (flag, e))


def load_real(path, count=None, seed=0, flag='--real'):
    """`count` real images (None: all) in a seeded random order, from a folder, grid or .npy."""
    if os.path.isdir(str(path)):
        return sample_folder(path, count, seed, flag)
    images = load_set(path, None, seed, flag)
    order = np.random.RandomState(seed).permutation(len(images))
    return images[order[:count] if count is not None else order]


def resolve_step(source, step=None):
    """(run_dir or None, step) of a checkpoint source, checked before TensorFlow starts.

    Without `step`, the latest checkpoint whose generator file exists (the manifest's step, or
    the largest one left when retention or a user removed it); a given step must exist.
    """
    run_dir, weight_dir, resolved = io.resolve_checkpoint(source, step)
    if run_dir is not None and not os.path.isdir(os.path.join(run_dir, 'weight')):
        run_dir = None
    if os.path.isdir(str(source)):
        have = io.checkpoint_steps(weight_dir)
        if step is None and resolved not in have and have:
            resolved = have[-1]
        if resolved not in have:
            raise UserError('%s: no checkpoint for step %d in %s (have: %s)'
                            % ('--step' if step is not None else 'SOURCE', resolved, weight_dir,
                               ', '.join(map(str, have)) or 'none'))
    return run_dir, resolved


def bn_label(bn_batch):
    """How a set was drawn, for labels: '' for inference mode, else the batch statistics."""
    if not bn_batch:
        return ''
    return 'BatchNorm on each batch of %d latents, as the authors drew' % bn_batch


def generate_from_checkpoint(path, n=DEFAULT_N, seed=0, step=None, bn_batch=0):
    """(images, step): `n` images from a checkpoint with latents drawn from `seed`.

    bn_batch 0: G in inference mode (BatchNorm on its moving statistics). k > 0: G's BatchNorm
    normalises each batch of k latents by that batch's statistics (GAN.generate's 'batch' mode),
    as a PyTorch generator not switched to eval() draws; the latents are drawn up to a whole
    number of batches and the first n images kept, so every image comes from a full batch.
    Opens a fresh seeded session (gan.backend.setup) and clears it afterwards, so one model at a
    time lives in memory.
    """
    import keras.backend as K
    if bn_batch < 0:
        raise ValueError('bn_batch must be 0 or a batch size, got %d' % bn_batch)
    backend.setup(seed)
    gan = GAN.load_model(path, step=step, compile=False)       # networks only: enough to generate
    try:
        if not bn_batch:
            return gan.generate(n=n, seed=seed), int(gan.step)
        whole = -(-n // bn_batch) * bn_batch
        images = gan.generate(n=whole, seed=seed, batch_size=bn_batch, batchnorm='batch')
        return images[:n], int(gan.step)
    finally:
        del gan
        K.clear_session()

