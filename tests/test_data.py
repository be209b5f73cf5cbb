"""The image loader: formats, resizing, warnings for bad files, clear errors, and the cache."""
import os

import numpy as np
import pytest

from gan import UserError
from gan.data import find_images, load_images


def _write(path, img):
    import cv2
    assert cv2.imwrite(str(path), img)


def test_formats_are_converted_to_64x64_rgb(tmp_path):
    import cv2
    bgr = np.zeros((64, 64, 3), np.uint8)
    bgr[..., 2] = 200                                   # red in BGR order
    _write(tmp_path / 'a.png', bgr)
    _write(tmp_path / 'b.jpg', cv2.resize(bgr, (128, 96)))
    _write(tmp_path / 'c.bmp', np.full((64, 64), 90, np.uint8))          # grayscale
    rgba = np.dstack([bgr, np.full((64, 64), 128, np.uint8)])
    _write(tmp_path / 'd.PNG', rgba)                                        # with alpha, upper-case
    _write(tmp_path / 'e.png', (bgr.astype(np.uint16) * 257))               # 16-bit
    os.makedirs(str(tmp_path / 'sub' / 'deeper'))
    _write(tmp_path / 'sub' / 'deeper' / 'f.jpeg', cv2.resize(bgr, (32, 32)))  # upscaled
    (tmp_path / 'notes.txt').write_text('not an image')
    imgs = load_images(str(tmp_path))
    assert imgs.shape == (6, 64, 64, 3) and imgs.dtype == np.uint8
    red = imgs[[0, 1, 3, 4, 5]]
    assert (red[..., 0] > 180).all() and (red[..., 2] < 20).all()   # RGB order after loading
    assert (imgs[2] == 90).all()


def test_bad_files_are_skipped_with_a_warning_naming_them(tmp_path):
    _write(tmp_path / 'good.png', np.zeros((64, 64, 3), np.uint8))
    (tmp_path / 'empty.jpg').write_bytes(b'')
    (tmp_path / 'noise.png').write_bytes(os.urandom(300))
    warnings = []
    imgs = load_images(str(tmp_path), warn=warnings.append)
    assert len(imgs) == 1
    assert any('empty.jpg' in w for w in warnings) and any('noise.png' in w for w in warnings)


def test_missing_or_empty_folders_are_errors_naming_the_folder(tmp_path):
    with pytest.raises(UserError, match='does not exist'):
        load_images(str(tmp_path / 'missing'))
    with pytest.raises(UserError, match=str(tmp_path)):
        load_images(str(tmp_path))
    (tmp_path / 'x.jpg').write_bytes(b'garbage')
    with pytest.raises(UserError, match='could be read'):
        load_images(str(tmp_path), warn=lambda m: None)


def test_symlink_loop_is_not_followed_forever(tmp_path):
    _write(tmp_path / 'a.png', np.zeros((64, 64, 3), np.uint8))
    os.symlink(str(tmp_path), str(tmp_path / 'loop'))
    assert len(find_images(str(tmp_path))) == 1


def test_cache_is_reused_and_invalidated(tmp_path):
    data, cache = tmp_path / 'data', tmp_path / 'cache'
    data.mkdir()
    _write(data / 'a.png', np.full((64, 64, 3), 10, np.uint8))
    first = load_images(str(data), cache_dir=str(cache))
    files = os.listdir(str(cache))
    assert len(files) == 1
    # a cached load does not decode: make the source unreadable as an image but keep its stat
    np.save(str(cache / files[0]), np.full((1, 64, 64, 3), 77, np.uint8))
    assert (load_images(str(data), cache_dir=str(cache)) == 77).all()
    _write(data / 'b.png', np.full((64, 64, 3), 20, np.uint8))       # new file: new key
    again = load_images(str(data), cache_dir=str(cache))
    assert len(again) == 2 and np.array_equal(again[0], first[0])
