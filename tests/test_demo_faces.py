"""Tests for the procedural demo faces and the data/demo set built from them."""

import os
import sys

import cv2
import numpy as np
import pytest

from conftest import ROOT

sys.path.insert(0, os.path.join(ROOT, "scripts"))
import demo_faces  # noqa: E402  (scripts/demo_faces.py: a tool beside the package)
from demo_faces import main, make_face, make_faces  # noqa: E402

DEMO_DIR = os.path.join(ROOT, "data", "demo")


@pytest.fixture(scope="module")
def fifty():
    return make_faces(50, seed=0)


def read_rgb(path):
    bgr = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    assert bgr is not None, path
    assert bgr.shape == (64, 64, 3), (path, bgr.shape)
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def test_make_face_shape_and_dtype():
    face = make_face(np.random.RandomState(3))
    assert face.shape == (64, 64, 3)
    assert face.dtype == np.uint8
    assert face.flags["C_CONTIGUOUS"]


def test_make_faces_shape_and_dtype(fifty):
    assert fifty.shape == (50, 64, 64, 3)
    assert fifty.dtype == np.uint8
    assert make_faces(0).shape == (0, 64, 64, 3)


def test_same_seed_same_pixels(fifty):
    assert np.array_equal(make_faces(50, seed=0), fifty)
    assert np.array_equal(make_face(np.random.RandomState(11)), make_face(np.random.RandomState(11)))
    assert np.array_equal(make_face(11), make_face(np.random.RandomState(11)))


def test_prefix_of_a_longer_run(fifty):
    assert np.array_equal(make_faces(10, seed=0), fifty[:10])


def test_different_seeds_differ(fifty):
    other = make_faces(50, seed=1)
    assert not np.array_equal(other, fifty)
    assert all(not np.array_equal(a, b) for a, b in zip(other, fifty))


def test_the_set_varies(fifty):
    flat = fifty.reshape(len(fifty), -1)
    # no two faces are the same, nor nearly the same
    for i in range(len(flat)):
        diffs = np.abs(flat[i + 1:].astype(np.int16) - flat[i].astype(np.int16)).mean(axis=1)
        assert diffs.size == 0 or diffs.min() > 5.0, i
    # whole-image and centre (face) colours spread widely across the set
    means = fifty.reshape(50, -1, 3).mean(axis=1)
    assert means.std(axis=0).min() > 8.0
    # every image has real content: edges and colour, not a flat fill
    assert fifty.reshape(50, -1).std(axis=1).min() > 20.0
    # the top rows (hair) take many different colours
    hair = fifty[:, 4:14, 20:44].reshape(50, -1, 3).mean(axis=1)
    assert hair.std(axis=0).min() > 20.0


def test_committed_demo_set_matches_the_generator():
    names = sorted(f for f in os.listdir(DEMO_DIR) if f.endswith(".png"))
    assert names == [demo_faces.face_filename(i) for i in range(300)]
    expected = make_faces(300, seed=0)
    for i, name in enumerate(names):
        got = read_rgb(os.path.join(DEMO_DIR, name))
        assert np.array_equal(got, expected[i]), (
            "%s differs from make_faces(300, seed=0)[%d]; regenerate with "
            "`python scripts/demo_faces.py --out data/demo --count 300 --seed 0 --force`" % (name, i))


def test_committed_demo_set_is_small():
    sizes = [os.path.getsize(os.path.join(DEMO_DIR, f)) for f in os.listdir(DEMO_DIR)]
    assert max(sizes) < 100 * 1024
    assert sum(sizes) < int(2.5 * 1024 * 1024)


def test_cli_writes_pngs_matching_make_faces(tmp_path, capsys):
    out = tmp_path / "faces"
    assert main(["--out", str(out), "--count", "4", "--seed", "5"]) == 0
    assert sorted(os.listdir(str(out))) == ["face_0000.png", "face_0001.png",
                                            "face_0002.png", "face_0003.png"]
    expected = make_faces(4, seed=5)
    for i in range(4):
        assert np.array_equal(read_rgb(str(out / demo_faces.face_filename(i))), expected[i])
    assert "wrote 4 faces" in capsys.readouterr().out


def test_cli_refuses_to_overwrite_without_force(tmp_path, capsys):
    out = tmp_path / "faces"
    assert main(["--out", str(out), "--count", "3", "--seed", "0"]) == 0
    before = (out / "face_0000.png").read_bytes()
    capsys.readouterr()

    assert main(["--out", str(out), "--count", "3", "--seed", "1"]) != 0
    assert "--force" in capsys.readouterr().err
    assert (out / "face_0000.png").read_bytes() == before

    assert main(["--out", str(out), "--count", "2", "--seed", "1", "--force"]) == 0
    assert sorted(os.listdir(str(out))) == ["face_0000.png", "face_0001.png"]
    assert np.array_equal(read_rgb(str(out / "face_0000.png")), make_faces(1, seed=1)[0])


def test_cli_leaves_other_files_alone(tmp_path):
    out = tmp_path / "faces"
    out.mkdir()
    (out / "notes.txt").write_text(u"keep me")
    assert main(["--out", str(out), "--count", "2", "--force"]) == 0
    assert (out / "notes.txt").read_text() == u"keep me"


def test_cli_reports_an_unusable_folder(tmp_path, capsys):
    a_file = tmp_path / "not_a_folder"
    a_file.write_text(u"x")
    assert main(["--out", str(a_file), "--count", "1"]) != 0
    assert "not a folder" in capsys.readouterr().err
    below_a_file = a_file / "sub"
    assert main(["--out", str(below_a_file), "--count", "1"]) != 0
    assert "error:" in capsys.readouterr().err


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root can write to read-only folders")
def test_cli_reports_a_read_only_folder(tmp_path, capsys):
    out = tmp_path / "ro"
    out.mkdir()
    out.chmod(0o555)
    try:
        assert main(["--out", str(out), "--count", "1"]) != 0
        assert "not writable" in capsys.readouterr().err
    finally:
        out.chmod(0o755)


def test_cli_reports_a_folder_it_cannot_write(tmp_path, capsys, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(demo_faces.tempfile, "mkstemp", refuse)
    out = tmp_path / "faces"
    assert main(["--out", str(out), "--count", "1"]) != 0
    assert "not writable" in capsys.readouterr().err
    assert os.listdir(str(out)) == []
