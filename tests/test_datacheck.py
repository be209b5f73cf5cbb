"""datacheck: the report on a good folder and on broken ones, and its errors (never a traceback)."""
import shutil
import subprocess
import sys

import cv2
import numpy as np
import pytest

from conftest import ROOT
from gan import datacheck as D
from gan.data import describe_resize, resize_image


def faces(folder, n=6, size=(64, 64), seed=0):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.RandomState(seed)
    for i in range(n):
        img = rng.randint(0, 256, (size[1], size[0], 3)).astype(np.uint8)
        assert cv2.imwrite(str(folder / ('face_%02d.png' % i)), img)
    return folder


def check(capsys, *argv):
    code = D.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert 'Traceback' not in out + err
    return code, out, err


def test_a_good_folder(tmp_path, capsys):
    faces(tmp_path / 'data', 6)
    faces(tmp_path / 'data' / 'more', 2, size=(96, 80), seed=1)
    code, out, err = check(capsys, tmp_path / 'data')
    assert code == 0 and err == ''
    assert '8 files' in out and '8 readable, 0 unreadable' in out
    assert '64x64' in out and 'used as is' in out
    assert '96x80' in out and 'INTER_AREA' in out and 'stretched' in out
    assert '0 files beyond the first of 0 groups' in out and '0 more files' in out
    assert 'preset       gan_animation' in out and '[-1, 1]' in out
    assert '30,000 steps of batch 256' in out


def test_broken_files_and_duplicates_are_named(tmp_path, capsys):
    data = faces(tmp_path / 'data', 4)
    shutil.copy(str(data / 'face_00.png'), str(data / 'copy.png'))
    cv2.imwrite(str(data / 'same_pixels.bmp'), cv2.imread(str(data / 'face_01.png')))
    (data / 'empty.jpg').write_bytes(b'')
    (data / 'cut.png').write_bytes((data / 'face_02.png').read_bytes()[:200])
    (data / 'notes.txt').write_text('not an image')
    code, out, _ = check(capsys, data, '--preset', 'dcgan-yernat')
    assert code == 0
    assert '8 files' in out and '6 readable, 2 unreadable' in out
    assert 'empty.jpg: empty file' in out and 'cut.png: ' in out
    assert '1 file beyond the first of 1 group' in out and 'copy.png = face_00.png' in out
    assert 'same pixels once loaded at 64x64: 1 more file' in out
    assert '[0, 1] (x / 255)' in out and 'of batch 100' in out


def test_crop_rule_of_a_preset(tmp_path, capsys):
    faces(tmp_path / 'data', 3, size=(80, 60))
    code, out, _ = check(capsys, tmp_path / 'data', '--preset', 'animefaceswithgan-v1')
    assert code == 0
    assert '80x60' in out and 'short side to 64 (PIL bilinear), 85x64, centre crop 64x64' in out
    assert 'centre-cropped' in out and 'an epoch is 1 step of batch 128' in out   # one short batch
    code, out, _ = check(capsys, tmp_path / 'data', '--preset', 'animefaceswithgan-v1',
                         '--resize', 'bilinear')
    assert 'centre crop' not in out and 'INTER_LINEAR' in out


@pytest.mark.parametrize('make,needle', [
    (lambda p: p.mkdir(), 'it is empty'),
    (lambda p: None, 'does not exist'),
    (lambda p: p.write_bytes(b'PK'), 'is a file, not a folder'),
    (lambda p: (p.mkdir(), (p / 'faces.zip').write_bytes(b'PK')), 'unpack the archive first'),
    (lambda p: (p.mkdir(), (p / 'a.jpg').write_bytes(b'junk')), 'none of the 1 image files'),
])
def test_bad_input_is_a_clear_error(tmp_path, capsys, make, needle):
    target = tmp_path / 'target'
    make(target)
    code, out, err = check(capsys, target)
    assert code == 1 and err.startswith('Error: ') and needle in err, err


def test_describe_resize_follows_resize_image():
    for w, h in ((64, 64), (100, 80), (50, 70), (64, 90), (128, 128), (200, 64)):
        img = np.zeros((h, w, 3), np.uint8)
        for rule in ('area', 'bilinear', 'short-side-crop'):
            text = describe_resize(w, h, rule)
            assert resize_image(img, rule).shape == (64, 64, 3)
            assert (text == 'used as is') == ((w, h) == (64, 64)), (w, h, rule)
            assert ('crop' in text) == (rule == 'short-side-crop' and w != h), (w, h, rule, text)
            assert ('INTER_AREA' in text) == (rule == 'area' and min(w, h) >= 64 and
                                              (w, h) != (64, 64)), (w, h, rule, text)


def test_runs_as_a_part_of_python_m_gan(tmp_path):
    faces(tmp_path / 'data', 2)
    r = subprocess.run([sys.executable, '-m', 'gan', 'datacheck', str(tmp_path / 'data')], cwd=ROOT,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                       timeout=120)
    assert r.returncode == 0 and r.stderr == '' and '2 readable' in r.stdout
