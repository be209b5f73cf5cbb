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


def _png_bytes(img):
    import cv2
    return cv2.imencode('.png', img)[1].tobytes()


def _jpg_bytes(img):
    import cv2
    return cv2.imencode('.jpg', img)[1].tobytes()


def test_hostile_files_are_skipped_with_reasons(tmp_path, monkeypatch):
    import cv2
    from PIL import Image
    from gan import data
    face = cv2.resize(cv2.imread(os.path.join(os.path.dirname(__file__), '..', 'data', 'demo',
                                              'face_0000.png')), (64, 64))
    (tmp_path / 'ok.png').write_bytes(_png_bytes(face))
    jpg, png = _jpg_bytes(face), _png_bytes(face)
    (tmp_path / 'cut.jpg').write_bytes(jpg[: len(jpg) // 2])
    (tmp_path / 'cut.png').write_bytes(png[: len(png) // 2])
    huge = bytearray(png)
    huge[16:24] = (40000).to_bytes(4, 'big') + (40000).to_bytes(4, 'big')   # 1.6 gigapixels
    (tmp_path / 'huge.png').write_bytes(bytes(huge))
    Image.new('CMYK', (80, 80), (0, 255, 255, 0)).save(str(tmp_path / 'cmyk.jpg'))   # red in CMYK
    (tmp_path / 'locked.png').write_bytes(png)
    (tmp_path / 'readme.md').write_text('not an image, not even looked at')
    real_open = open

    def guarded_open(path, *a, **k):
        if str(path).endswith('locked.png'):
            raise PermissionError(13, 'Permission denied', str(path))
        return real_open(path, *a, **k)
    monkeypatch.setattr(data, 'open', guarded_open, raising=False)
    warnings = []
    imgs = load_images(str(tmp_path), warn=warnings.append)
    assert len(imgs) == 2                        # ok.png and the CMYK JPEG
    cmyk = imgs[0]
    assert cmyk[..., 0].mean() > 200 and cmyk[..., 1].mean() < 60    # came out red in RGB
    reasons = {w.split(':')[0].split(os.sep)[-1]: w for w in warnings}
    assert 'truncated JPEG' in reasons['cut.jpg']
    assert 'not a decodable image' in reasons['cut.png']
    assert 'megapixel limit' in reasons['huge.png']
    assert 'Permission denied' in reasons['locked.png']
    assert len(warnings) == 4


def test_fuzzed_image_bytes_never_crash_the_loader(tmp_path):
    """Random truncations, byte flips, insertions and header edits of valid PNG, JPEG and BMP
    files: decode() returns a 64x64 RGB image or raises ValueError, nothing else."""
    import cv2
    from gan.data import decode
    rng = np.random.RandomState(1234)
    base = (rng.rand(48, 40, 3) * 255).astype(np.uint8)
    seeds = [('png', _png_bytes(base)), ('jpg', _jpg_bytes(base)),
             ('bmp', cv2.imencode('.bmp', base)[1].tobytes())]
    outcomes = {'image': 0, 'refused': 0}
    for i in range(300):
        ext, data = seeds[i % 3]
        b = bytearray(data)
        op = rng.randint(4)
        if op == 0:
            b = b[: rng.randint(0, len(b))]
        elif op == 1:
            for _ in range(rng.randint(1, 20)):
                b[rng.randint(len(b))] = rng.randint(256)
        elif op == 2:
            at = rng.randint(len(b))
            b[at:at] = bytes(rng.randint(0, 256, rng.randint(1, 64)).astype(np.uint8))
        else:
            at = rng.randint(min(len(b), 40))
            b[at:at + 4] = bytes(rng.randint(0, 256, 4).astype(np.uint8))
        path = tmp_path / ('f%d.%s' % (i, ext))
        path.write_bytes(bytes(b))
        try:
            img = decode(str(path))
        except ValueError:
            outcomes['refused'] += 1
            continue
        assert img.shape == (64, 64, 3) and img.dtype == np.uint8
        outcomes['image'] += 1
    assert outcomes['image'] > 20 and outcomes['refused'] > 20, outcomes
