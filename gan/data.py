"""Training images: find, decode, resize to 64x64 RGB uint8, and cache the result."""
import hashlib
import os
import sys

import numpy as np

from .config import UserError
from .files import atomic_write, save_npy

# cv2 and PIL are imported inside the functions that use them: the CLI loads this module for
# --help.

EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp')
CACHE_VERSION = 1


def find_images(folder):
    """Image files under `folder`, recursively, sorted; symlinked folders are followed once."""
    if not os.path.isdir(folder):
        raise UserError('data folder %s does not exist or is not a folder; point --data at a folder '
                        'of .jpg/.jpeg/.png/.bmp images' % folder)
    found, seen = [], set()
    for root, dirs, files in os.walk(folder, followlinks=True):
        real = os.path.realpath(root)
        if real in seen:          # a symlink loop or a folder reached twice
            dirs[:] = []
            continue
        seen.add(real)
        dirs.sort()
        for name in sorted(files):
            if name.lower().endswith(EXTENSIONS):
                found.append(os.path.join(root, name))
    return found


MAX_PIXELS = 64 * 1024 * 1024   # larger images are refused before decoding (memory)
JPEG_SOF = set(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def header_size(buf):
    """(width, height) read from a PNG, JPEG or BMP header, or None when it cannot be read."""
    b = bytes(buf[:65536])
    if b[:8] == b'\x89PNG\r\n\x1a\n' and b[12:16] == b'IHDR' and len(b) >= 24:
        return int.from_bytes(b[16:20], 'big'), int.from_bytes(b[20:24], 'big')
    if b[:2] == b'BM' and len(b) >= 26:
        return (abs(int.from_bytes(b[18:22], 'little', signed=True)),
                abs(int.from_bytes(b[22:26], 'little', signed=True)))
    if b[:2] == b'\xff\xd8':
        i = 2
        while i + 9 <= len(b):
            if b[i] != 0xFF:
                return None
            marker = b[i + 1]
            if marker == 0xFF:                  # fill byte
                i += 1
                continue
            if marker in JPEG_SOF:
                return int.from_bytes(b[i + 7:i + 9], 'big'), int.from_bytes(b[i + 5:i + 7], 'big')
            if marker == 0x01 or 0xD0 <= marker <= 0xD9:
                i += 2
                continue
            i += 2 + int.from_bytes(b[i + 2:i + 4], 'big')
    return None


def resize_image(img, rule='area', size=64):
    """A decoded uint8 image (H, W, 3) as size x size, by a --resize rule.

    'area': area interpolation to shrink, bilinear to enlarge (the default; GAN_animation's data
    is already 64x64); 'bilinear': bilinear both ways (AnimeFacesGAN's tf.image.resize);
    'short-side-crop': torchvision's Resize(size) then CenterCrop(size) (AnimeFacesWithGAN): the
    short side becomes `size` with PIL's bilinear filter, the long side int(size * long / short),
    then the centre crop.
    """
    import cv2
    h, w = img.shape[:2]
    if rule == 'short-side-crop':
        from PIL import Image
        nh, nw = (int(size * h / w), size) if w <= h else (size, int(size * w / h))
        if (nh, nw) != (h, w):
            img = np.asarray(Image.fromarray(np.ascontiguousarray(img)).resize((nw, nh), Image.BILINEAR))
        top, left = int(round((nh - size) / 2.0)), int(round((nw - size) / 2.0))
        return np.ascontiguousarray(img[top:top + size, left:left + size])
    if (h, w) == (size, size):
        return img
    if rule == 'bilinear':
        return cv2.resize(img, (size, size), interpolation=cv2.INTER_LINEAR)
    if rule != 'area':
        raise ValueError('unknown resize rule %r' % rule)
    shrink = h >= size and w >= size
    return cv2.resize(img, (size, size), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)


def describe_resize(width, height, rule='area', size=64):
    """What resize_image does to a width x height image under `rule`, in words."""
    if (width, height) == (size, size):
        return 'used as is'
    aspect = '' if width == height else ', not square: stretched'
    if rule == 'short-side-crop':
        if width <= height:
            w, h = size, int(size * height / width)
        else:
            w, h = int(size * width / height), size
        steps = [] if (w, h) == (width, height) else \
            ['short side to %d (PIL bilinear), %dx%d' % (size, w, h)]
        if (w, h) != (size, size):
            steps.append('centre crop %dx%d (cuts %d px of the %s)'
                         % (size, size, max(w, h) - size, 'width' if w > h else 'height'))
        return ', '.join(steps)
    if rule == 'bilinear':
        return 'resized to %dx%d, bilinear (cv2.INTER_LINEAR)%s' % (size, size, aspect)
    if rule != 'area':
        raise ValueError('unknown resize rule %r' % rule)
    if width >= size and height >= size:
        return 'shrunk to %dx%d, area averaging (cv2.INTER_AREA)%s' % (size, size, aspect)
    return 'resized to %dx%d, bilinear (cv2.INTER_LINEAR: a side is under %d)%s' % (
        size, size, size, aspect)


def decode(path, size=64, resize='area'):
    """One image as uint8 RGB (size, size, 3); raises ValueError saying why it cannot be used.

    The file is decoded by decode_buffer and resized by resize_image with the `resize` rule.
    """
    with open(path, 'rb') as f:
        buf = np.frombuffer(f.read(), np.uint8)
    return resize_image(decode_buffer(buf), resize, size)


def decode_buffer(buf):
    """A file's bytes (uint8 array) as uint8 RGB (H, W, 3) at its own size; raises ValueError
    saying why it cannot be used.

    Decoding follows cv2.imread's colour mode, as the original did: grayscale becomes three
    channels, alpha is dropped, 16-bit is scaled to 8-bit, CMYK is converted. Empty, truncated
    and oversized files are refused before OpenCV sees them.
    """
    import cv2
    if buf.size == 0:
        raise ValueError('empty file')
    dims = header_size(buf)
    if dims is not None and dims[0] * dims[1] > MAX_PIXELS:
        raise ValueError('image is %dx%d, over the %d-megapixel limit; shrink it first'
                         % (dims[0], dims[1], MAX_PIXELS >> 20))
    if buf[:2].tobytes() == b'\xff\xd8' and b'\xff\xd9' not in buf[-256:].tobytes():
        raise ValueError('truncated JPEG (no end-of-image marker)')
    img = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    if img is None:
        raise ValueError('not a decodable image (corrupt, truncated or not an image)')
    return np.ascontiguousarray(img[..., ::-1])


def _cache_key(paths, size, resize='area'):
    h = hashlib.sha1(('v%d size=%d\n' % (CACHE_VERSION, size)).encode())
    if resize != 'area':                   # keeps the keys of existing 'area' caches
        h.update(('resize=%s\n' % resize).encode())
    for p in paths:
        st = os.stat(p)
        h.update(('%s\t%d\t%d\n' % (os.path.abspath(p), st.st_size, st.st_mtime_ns)).encode())
    return h.hexdigest()[:16]


def load_images(folder, size=64, cache_dir=None, warn=None, resize='area'):
    """All readable images under `folder` as uint8 (N, size, size, 3) RGB, resized by the
    `resize` rule (see resize_image).

    Unreadable files are skipped with a warning naming them. With `cache_dir`, the decoded array
    is stored there, keyed on the files' paths, sizes and mtimes, and reused on the next start.
    """
    warn = warn or (lambda msg: sys.stderr.write('warning: %s\n' % msg))
    paths = find_images(folder)
    if not paths:
        raise UserError('no .jpg/.jpeg/.png/.bmp images found under %s; point --data at your images '
                        '(see data/README.md)' % folder)
    cache = None
    if cache_dir:
        try:
            cache = os.path.join(cache_dir, 'images-%s.npy' % _cache_key(paths, size, resize))
        except OSError:
            cache = None
        if cache and os.path.exists(cache):
            try:
                arr = np.load(cache)
                if arr.ndim == 4 and arr.shape[1:] == (size, size, 3) and arr.dtype == np.uint8:
                    return arr
            except (OSError, ValueError):
                pass
            warn('ignoring unreadable cache file %s' % cache)
    images = np.empty((len(paths), size, size, 3), np.uint8)
    n = 0
    for p in paths:
        try:
            images[n] = decode(p, size, resize)
            n += 1
        except (OSError, ValueError, MemoryError) as e:
            warn('skipping %s: %s' % (p, e))
    if n == 0:
        raise UserError('none of the %d image files under %s could be read; check the files '
                        '(warnings above name each one)' % (len(paths), folder))
    images = images[:n]
    if cache:
        try:
            os.makedirs(cache_dir, exist_ok=True)
            atomic_write(cache, lambda tmp: save_npy(tmp, images))
        except OSError as e:
            warn('could not write the image cache %s: %s' % (cache, e))
    return images

