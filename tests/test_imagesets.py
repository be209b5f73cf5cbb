"""Grid making and splitting (our grids and the original's matplotlib figures) and image sets."""
from pathlib import Path

import cv2
import numpy as np
import pytest

from gan.eval.imagesets import load_image_set, subsample
from gan.grids import make_grid, split_grid

SHARED = Path(__file__).resolve().parents[1].parent / 'shared'
REFERENCE = SHARED / 'fixtures' / 'gan_animation_reference'
REFERENCE_GRIDS = ['Faces_1650.png', 'Faces_1685.png', 'Faces_1720.png']


def reference(name):
    path = REFERENCE / name
    if not path.is_file():
        pytest.skip('%s is absent: the original\'s published grids live in ../shared' % path)
    return path


def tiles(n, seed=0):
    """Random-ish 64x64 RGB tiles with no white pixels (values 0..200)."""
    rng = np.random.RandomState(seed)
    return (rng.rand(n, 64, 64, 3) * 200).astype(np.uint8)


def awkward_tiles():
    """100 tiles where whole bands of the grid have white edges, and two corners are white."""
    t = tiles(100, seed=1)
    for i in range(10):                      # the whole first row: 3 px white border
        t[i, :3], t[i, -3:], t[i, :, :3], t[i, :, -3:] = 255, 255, 255, 255
    for i in range(9, 100, 10):              # the whole last column: white right half
        t[i, :, 32:] = 255
    t[44, 30:34] = 255                        # a white stripe through one tile
    t[0] = 255                                # all-white corner tiles
    t[99] = 255
    return t


def test_make_grid_layout():
    t = tiles(100)
    grid = make_grid(t, 10, 10)
    assert grid.shape == (744, 744, 3) and grid.dtype == np.uint8
    assert (grid[:16] == 255).all() and (grid[:, -16:] == 255).all()
    assert (grid[80:88] == 255).all()                     # the first gap
    assert (grid[16:80, 16:80] == t[0]).all()
    assert (grid[16 + 72:80 + 72, 16 + 2 * 72:80 + 2 * 72] == t[12]).all()
    partial = make_grid(t[:7], 3, 3, margin=4, gap=2)
    assert partial.shape == (4 * 2 + 3 * 64 + 2 * 2,) * 2 + (3,)
    assert (partial[4 + 2 * 66:, 4 + 66:] == 255).all()   # cells 8 and 9 stay white
    with pytest.raises(ValueError):
        make_grid(t, 3, 3)
    with pytest.raises(ValueError):
        make_grid(t.astype(np.float32), 10, 10)


@pytest.mark.parametrize('name', REFERENCE_GRIDS)
def test_reference_grids_split_into_100_tiles(name):
    path = reference(name)
    got = split_grid(path)
    assert got.shape == (100, 64, 64, 3) and got.dtype == np.uint8
    assert (split_grid(path, expect=100) == got).all()
    assert (split_grid(str(path), expect=(10, 10)) == got).all()
    # Tiles are faces, not background: no tile is mostly white, and none is cut with a white
    # band along an edge (the original's tiles are cut at their content).
    white = (got >= 250).all(axis=3)
    assert white.mean(axis=(1, 2)).max() < 0.6
    edges = np.concatenate([white[:, 0], white[:, -1], white[:, :, 0], white[:, :, -1]], axis=1)
    assert (edges.mean(axis=1) < 0.95).all()


# The tiles' first and last pixel rows and columns in the original's Faces_1720.png (measured).
ORIGINAL_ROWS = [(138, 211), (227, 299), (315, 388), (404, 476), (492, 565),
                 (580, 653), (669, 742), (757, 830), (846, 919), (934, 1007)]
ORIGINAL_COLS = [(145, 218), (236, 309), (327, 400), (417, 490), (508, 581),
                 (599, 672), (690, 763), (781, 854), (871, 944), (962, 1035)]


def content_runs(background):
    """(first, last) of each run of False in a 1-D boolean array."""
    edges = np.diff(np.concatenate([[1], background.astype(int), [1]]))
    return list(zip(np.where(edges == -1)[0], np.where(edges == 1)[0] - 1))


def test_reference_tile_extents_match_measurement():
    path = reference('Faces_1720.png')
    img = cv2.imread(str(path), cv2.IMREAD_COLOR)[..., ::-1]
    got = split_grid(path)
    for r, c in [(0, 0), (3, 7), (9, 9)]:
        (y0, y1), (x0, x1) = ORIGINAL_ROWS[r], ORIGINAL_COLS[c]
        want = cv2.resize(img[y0:y1 + 1, x0:x1 + 1], (64, 64), interpolation=cv2.INTER_AREA)
        assert (got[r * 10 + c] == want).all()


def test_original_figure_has_the_original_layout():
    """Our images drawn as the original drew its grids: same size, tiles at the same pixels."""
    from gan.grids import original_figure, through_original_figure
    t = tiles(100)
    fig = original_figure(t)
    assert fig.shape == (1152, 1152, 3) and fig.dtype == np.uint8
    background = (fig >= 250).all(axis=2)
    assert content_runs(background.all(axis=1)) == ORIGINAL_ROWS
    assert content_runs(background.all(axis=0)) == ORIGINAL_COLS
    back = through_original_figure(t[:37])
    assert back.shape == (37, 64, 64, 3)
    diff = np.abs(back.astype(int) - t[:37])
    assert 0 < diff.mean() < 40                      # resampled: close, not equal


def test_original_figure_draws_the_same_whatever_the_rc_interpolation():
    """The original's drawing is matplotlib's 'antialiased' interpolation (a Hanning filter at
    this scale), asked for explicitly: a user's matplotlibrc does not change it."""
    import matplotlib
    from gan.grids import original_figure
    t = tiles(100, seed=2)
    default = original_figure(t)
    with matplotlib.rc_context({'image.interpolation': 'nearest'}):
        assert (original_figure(t) == default).all()


def test_undraw_original_recovers_the_drawn_images():
    from gan.grids import original_figure, undraw_original
    t = tiles(100, seed=3)
    back, residual = undraw_original(original_figure(t))
    assert back.shape == t.shape and back.dtype == np.uint8
    assert residual < 0.3                                       # rounding of the figure only
    err = back.astype(float) - t
    assert np.sqrt(np.mean(err[:, 1:-1, 1:-1] ** 2)) < 2.0      # the cut with split_grid: ~20
    assert np.sqrt(np.mean(err ** 2)) < 4.0                     # an edge line is nearly hidden
    with pytest.raises(ValueError, match='1152 x 1152'):
        undraw_original(np.zeros((1000, 1152, 3), np.uint8))
    with pytest.raises(ValueError, match='not drawn the way'):
        undraw_original(cv2.resize(make_grid(t, 10, 10), (1152, 1152)))


def test_published_grids_are_this_drawing_of_64_px_images(monkeypatch):
    """Each of the original's tiles is the drawing of some 64-px image to within rounding; with
    another interpolation (here bilinear) the published figure is not explained."""
    from gan import grids
    path = reference('Faces_1720.png')
    tiles_, residual = grids.undraw_original(path, max_residual=0.5)
    assert residual < 0.2 and tiles_.shape == (100, 64, 64, 3)
    monkeypatch.setattr(grids, 'ORIGINAL_INTERPOLATION', 'bilinear')
    with pytest.raises(ValueError, match='not drawn the way'):
        grids.undraw_original(path, max_residual=0.5)


def test_own_grid_round_trips_exactly():
    t = tiles(100)
    assert (split_grid(make_grid(t, 10, 10)) == t).all()
    assert (split_grid(make_grid(t[:12], 3, 4), expect=12) == t[:12]).all()


@pytest.mark.parametrize('margin,gap', [(16, 8), (10, 5), (40, 30)])
def test_white_edges_and_white_tiles_round_trip(margin, gap):
    """(16, 8) is our exact layout; the others go through the generic lattice fit."""
    t = awkward_tiles()
    grid = make_grid(t, 10, 10, margin=margin, gap=gap)
    assert (split_grid(grid) == t).all()
    assert (split_grid(grid, expect=100) == t).all()


def test_white_last_row_needs_expect_unless_exact_layout():
    t = tiles(90, seed=2)
    generic = make_grid(t, 10, 10, margin=10, gap=5)     # last row of cells stays white
    assert split_grid(generic).shape[0] == 90            # nothing says a 10th row exists
    got = split_grid(generic, expect=100)
    assert (got[:90] == t).all() and (got[90:] == 255).all()
    got = split_grid(make_grid(t, 10, 10))               # our layout: the size says 10x10
    assert (got[:90] == t).all() and (got[90:] == 255).all()


def test_rgba_grid_file(tmp_path):
    t = tiles(16, seed=3)
    grid = make_grid(t, 4, 4, margin=7, gap=3)
    bgra = np.concatenate([grid[..., ::-1], np.full(grid.shape[:2] + (1,), 255, np.uint8)], axis=2)
    path = tmp_path / 'grid.png'
    cv2.imwrite(str(path), bgra)
    assert (split_grid(path) == t).all()


def test_non_grids_raise_naming_the_file(tmp_path):
    rng = np.random.RandomState(0)
    noise = (rng.rand(300, 300, 3) * 255).astype(np.uint8)
    path = tmp_path / 'photo.png'
    cv2.imwrite(str(path), noise)
    with pytest.raises(ValueError, match='photo.png'):
        split_grid(path)
    with pytest.raises(ValueError, match='blank'):
        split_grid(np.full((200, 200, 3), 255, np.uint8))
    one = np.full((100, 100, 3), 255, np.uint8)
    one[20:80, 20:80] = 0
    with pytest.raises(ValueError, match='single'):
        split_grid(one)
    with pytest.raises(ValueError, match='expected 64'):
        split_grid(make_grid(tiles(6), 2, 3, margin=5, gap=4), expect=64)
    with pytest.raises(ValueError, match='missing.png'):
        split_grid(tmp_path / 'missing.png')


def test_load_image_set_sources(tmp_path):
    t = tiles(20, seed=4)
    np.save(str(tmp_path / 'set.npy'), t)
    assert (load_image_set(tmp_path / 'set.npy') == t).all()
    cv2.imwrite(str(tmp_path / 'grid.png'), make_grid(t, 4, 5)[..., ::-1])
    assert (load_image_set(str(tmp_path / 'grid.png')) == t).all()
    folder = tmp_path / 'folder'
    folder.mkdir()
    for i in range(5):
        cv2.imwrite(str(folder / ('%02d.png' % i)), t[i][..., ::-1])
    assert (load_image_set(folder) == t[:5]).all()
    sub = load_image_set(tmp_path / 'set.npy', n=8, seed=3)
    assert sub.shape == (8, 64, 64, 3)
    assert (sub == load_image_set(tmp_path / 'set.npy', n=8, seed=3)).all()
    assert not (sub == load_image_set(tmp_path / 'set.npy', n=8, seed=4)).all()
    rows = [int(np.flatnonzero((t == s).all(axis=(1, 2, 3)))[0]) for s in sub]
    assert rows == sorted(rows) and len(set(rows)) == 8
    with pytest.raises(ValueError):
        subsample(t, 21)
    with pytest.raises(ValueError, match='nothing.txt'):
        load_image_set(tmp_path / 'nothing.txt')
