"""references: the catalogue, cutting each layout, downloads from a local server (never the
network), the cache, and compare.py's reference names."""
import hashlib
import http.server
import json
import os
import re
import socket
import threading
from urllib.parse import quote

import cv2
import numpy as np
import pytest

from conftest import SHARED
from gan.eval import cli
from gan.eval import references as R
from gan.config import PRESETS, UserError
from gan.grids import split_padded_grid

FIXTURES = os.path.join(SHARED, 'fixtures')


@pytest.fixture(autouse=True)
def offline(tmp_path, monkeypatch):
    """Every test gets an empty cache and a base URL where nothing listens: no test can reach
    the network or the user's cache."""
    monkeypatch.setenv('XDG_CACHE_HOME', str(tmp_path / 'cache'))
    monkeypatch.setenv(R.BASE_URL_ENV, 'http://127.0.0.1:%d' % free_port())


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()                                  # nothing listens there now
    return port


def torchvision_grid(rows=8, cols=8, seed=0, pad_value=0):
    """A synthetic make_grid picture: tiles 64 px, 2-px padding of one colour; and the tiles."""
    t = np.random.RandomState(seed).randint(0, 256, (rows * cols, 64, 64, 3)).astype(np.uint8)
    img = np.full((2 + rows * 66, 2 + cols * 66, 3), pad_value, np.uint8)
    for i, tile in enumerate(t):
        r, c = divmod(i, cols)
        img[2 + r * 66:2 + r * 66 + 64, 2 + c * 66:2 + c * 66 + 64] = tile
    return img, t


def png_bytes(rgb):
    ok, buf = cv2.imencode('.png', np.ascontiguousarray(rgb[..., ::-1]))
    assert ok
    return buf.tobytes()


# -- the catalogue ------------------------------------------------------------------------------
def test_every_entry_has_a_url_a_checksum_a_layout_and_a_length():
    names = [r.name for r in R.catalogue()]
    # 3 original, 6 x 16 AnimeFacesWithGAN (October 2023), 3 x 3 December re-runs, GANime, yernat
    assert len(names) == len(set(names)) == 3 + 96 + 9 + 2
    for name in ('original:1650', 'original:1685', 'original:1720', 'animefaceswithgan-v4.3:5',
                 'ganime:final', 'dcgan-yernat:500'):
        assert name in names
    for r in R.catalogue():
        assert re.match(r'^[0-9a-f]{64}$', r.sha256), r.name
        assert re.match(r'^[0-9a-f]{40}$', r.commit), r.name
        assert R.url(r, R.BASE_URL) == 'https://raw.githubusercontent.com/%s/%s/%s' % (
            r.repository, r.commit, r.path)
        assert r.layout.kind in ('matplotlib', 'torchvision') and r.layout.rows >= 1
        assert r.tiles == {'original': 100, 'ganime': 24, 'dcgan-yernat': 9}.get(
            r.name.split(':')[0], 64), r.name
        assert r.published and r.data in (R.SOUMIKRAKSHIT, R.SPLCHER)
        assert r.preset in PRESETS or (r.preset is None and r.name.split(':')[0].endswith('-dec2023'))
        assert R.lookup(r.name) is r and R._normalise(r.name) == r.name
    assert {r.preset for r in R.catalogue()} == set(PRESETS) - {'animefacesgan'} | {None}  # it publishes none


def test_animefaceswithgan_names_point_at_the_october_runs_the_presets_follow():
    for version in ('v1', 'v2', 'v3', 'v4.1', 'v4.2', 'v4.3'):
        epochs = sorted(int(r.name.split(':')[1]) for r in R.catalogue()
                        if r.preset == 'animefaceswithgan-' + version)
        assert epochs == list(range(1, 11)) + [15, 20, 25, 30, 40, 50], version
        assert R.get('animefaceswithgan-%s:7' % version).commit.startswith('1b49d6d')
    for version in ('v1', 'v2', 'v3'):
        dec = R.get('animefaceswithgan-%s-dec2023:100' % version)
        assert dec.commit.startswith('eeee72f') and dec.preset is None
        assert dec.path == '%s/generated/generated-images-0100.png' % version
        assert R.get('animefaceswithgan-%s-dec2023:10' % version).sha256 != \
            R.get('animefaceswithgan-%s:10' % version).sha256          # another run
    for epoch in (1, 5, 10, 25, 50):   # v4.x: the same files in both commits
        assert R.get('animefaceswithgan-v4.3:%d' % epoch).sha256 == {
            1: 'fde8cab8ed88192df37e85352a8a678811dcfc185ccc4d72930c14c3213e9724',
            5: '34b4ae5db69746d2b847e5f21e0b8933ee29b7c3c8a0151530de92f225b9c48d',
            10: 'f7eda867fbb4ccdd16b8e375aec1d3de3182520921d44a9463e667d0ca7f6275',
            25: '5bda98d94863373e0dadd428f37d87338a15e6463274dc5bbb04b9f5e36b0e4e',
            50: '9025937f9373fb5788093688f49f450d3521d2c8948f593a7673b3423ebb50c3'}[epoch]


def test_names_are_normalised_and_unknown_names_list_the_known_ones():
    assert R.lookup('original:01720') is R.lookup('Original:1720') is R.get('original:1720')
    assert R.lookup('animefaceswithgan-v4.3:0005').path == 'v4.3/generated/generated-images-0005.png'
    assert R.lookup('original:999') is None and R.lookup('some/file.png') is None
    with pytest.raises(UserError, match='original:1650.*--list-references'):
        R.get('original:999')
    assert R.looks_like_name('original:999') and not R.looks_like_name('dir/x:1.png')


def test_cache_follows_xdg_cache_home(tmp_path, monkeypatch):
    r = R.get('original:1720')
    assert R.cached_path(r) == str(tmp_path / 'cache' / 'gan-animation' / 'references' /
                                   'original_1720.png')
    monkeypatch.setenv('XDG_CACHE_HOME', 'relative/ignored')
    monkeypatch.setenv('HOME', str(tmp_path / 'home'))
    assert R.cache_dir() == str(tmp_path / 'home' / '.cache' / 'gan-animation')


def fixture_file(r):
    """Where ../shared keeps the byte copy of a catalogue entry's file."""
    base = os.path.basename(r.path)
    if r.preset == 'gan_animation':
        return os.path.join(FIXTURES, 'gan_animation_reference', base)
    if r.name.startswith('animefaceswithgan'):
        folder = 'animefaceswithgan' if r.preset is None else 'animefaceswithgan-oct2023'
        return os.path.join(FIXTURES, 'siblings_reference', folder,
                            r.path.split('/')[0], 'epoch_%04d.png' % int(r.name.split(':')[1]))
    return os.path.join(FIXTURES, 'siblings_reference', r.preset, base)


def test_shared_fixtures_match_their_checksums_and_cut_into_their_tiles():
    if not os.path.isdir(FIXTURES):
        pytest.skip('../shared/fixtures is absent (it holds byte copies of the published files)')
    for r in R.catalogue():
        path = fixture_file(r)
        assert R.sha256_file(path) == r.sha256, r.name
        assert R.identify(path) is r
        t = R.tiles(path)                        # a local file is cut by its entry's layout
        assert t.shape == (r.tiles, 64, 64, 3) and t.dtype == np.uint8, r.name
        edges = [t[:, 0], t[:, -1], t[:, :, 0], t[:, :, -1]]
        white = sum(int((e >= 250).all(axis=(1, 2)).sum()) for e in edges)
        black = sum(int((e <= 5).all(axis=(1, 2)).sum()) for e in edges)
        # no padding or background left at a tile's border: the original's grids have two tiles
        # whose face has a white background up to one edge, AnimeFacesWithGAN's v1 epoch 9 one
        # pale face up to its right edge (tile 43; the tiles beside it start and end on hair)
        pale = 1 if r.preset == 'gan_animation' or r.name == 'animefaceswithgan-v1:9' else 0
        assert black == 0 and white <= pale, (r.name, white)


# -- cutting ------------------------------------------------------------------------------------
def test_torchvision_grid_is_cut_exactly():
    img, t = torchvision_grid()
    assert img.shape == (530, 530, 3)
    assert (R.cut(img, R.Layout('torchvision', 8, 8, 2)) == t).all()
    img3, t3 = torchvision_grid(3, 5, seed=1, pad_value=255)
    assert (split_padded_grid(img3, 3, 5) == t3).all()
    with pytest.raises(ValueError, match='530x530'):
        split_padded_grid(img[:-1], 8, 8)
    img[1, 300] = 7                                         # a stray pixel in the padding
    with pytest.raises(ValueError, match='one colour'):
        split_padded_grid(img, 8, 8)


def test_matplotlib_figure_tiles_are_found_and_resized():
    """yernat's kind of figure: 3x3 tiles drawn larger than 64 px in a 720x720 RGBA PNG."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    rng = np.random.RandomState(3)
    base = rng.randint(40, 216, (9, 8, 8, 3)).astype(np.uint8)
    t = np.stack([cv2.resize(b, (64, 64), interpolation=cv2.INTER_NEAREST) for b in base])
    fig, axs = plt.subplots(3, 3, figsize=(7.2, 7.2), dpi=100)
    for ax, tile in zip(axs.ravel(), t):
        ax.imshow(tile)
        ax.axis('off')
    fig.canvas.draw()
    rgba = np.array(fig.canvas.buffer_rgba())
    plt.close(fig)
    assert rgba.shape == (720, 720, 4)
    got = R.cut(rgba, R.Layout('matplotlib', 3, 3))
    assert got.shape == (9, 64, 64, 3)
    assert np.abs(got.astype(int) - t).mean() < 6       # resampled twice: close, not equal


# -- downloads from a local server --------------------------------------------------------------
class Server:
    """A local HTTP server: path -> (bytes, mode); counts the requests."""

    def __init__(self):
        self.files, self.requests = {}, []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests.append(self.path)
                data, mode = server.files.get(self.path, (None, None))
                if data is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header('Content-Length', str(len(data)))
                self.end_headers()
                self.wfile.write(data[:len(data) // 2] if mode == 'short' else data)
                self.close_connection = True

            def log_message(self, *args):
                pass

        self.httpd = http.server.HTTPServer(('127.0.0.1', 0), Handler)
        self.url = 'http://127.0.0.1:%d' % self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def serve(self, ref, data, mode=None):
        self.files['/%s/%s/%s' % (ref.repository, ref.commit, quote(ref.path))] = (data, mode)


@pytest.fixture
def server(monkeypatch):
    s = Server()
    monkeypatch.setenv(R.BASE_URL_ENV, s.url)
    yield s
    s.httpd.shutdown()
    s.httpd.server_close()


@pytest.fixture
def entry(monkeypatch):
    """A catalogue entry 'test:1' for a synthetic torchvision grid: (reference, bytes, tiles)."""
    img, t = torchvision_grid(seed=5)
    data = png_bytes(img)
    ref = R.Reference('test:1', 'someone/project', 'a' * 40, 'out/grid 1.png',
                      hashlib.sha256(data).hexdigest(), R.Layout('torchvision', 8, 8, 2),
                      'epoch 1', 'gan_animation', R.SOUMIKRAKSHIT)
    monkeypatch.setitem(R.CATALOGUE, ref.name, ref)
    return ref, data, t


def cache_files(tmp_path):
    folder = tmp_path / 'cache' / 'gan-animation' / 'references'
    return sorted(os.listdir(str(folder))) if folder.exists() else []


def test_download_then_reuse_then_refetch_a_corrupted_file(server, entry, tmp_path):
    ref, data, t = entry
    server.serve(ref, data)
    logs = []
    assert (R.tiles('test:1', log=logs.append) == t).all()
    path = R.cached_path(ref)
    assert server.requests == ['/someone/project/%s/out/grid%%201.png' % ref.commit]
    assert open(path, 'rb').read() == data and cache_files(tmp_path) == ['test_1.png']
    assert any(server.url in m for m in logs)
    assert (R.tiles('test:1', log=logs.append) == t).all()
    assert len(server.requests) == 1                            # reused, checked, not fetched
    with open(path, 'r+b') as f:                                # one flipped byte
        f.seek(100)
        byte = f.read(1)
        f.seek(100)
        f.write(bytes([byte[0] ^ 1]))
    logs.clear()
    assert (R.tiles('test:1', log=logs.append) == t).all()
    assert len(server.requests) == 2 and 'does not match' in logs[0]
    assert open(path, 'rb').read() == data and cache_files(tmp_path) == ['test_1.png']


@pytest.mark.parametrize('case,needle', [
    ('checksum', 'SHA-256'), ('short', 'stopped after'), ('missing', 'HTTP Error 404'),
    ('down', 'refused')])
def test_failed_downloads_leave_nothing_and_say_where_to_put_the_file(
        server, entry, tmp_path, monkeypatch, case, needle):
    ref, data, _ = entry
    if case == 'checksum':
        server.serve(ref, data[:-1] + b'x')
    elif case == 'short':
        server.serve(ref, data, mode='short')
    elif case == 'down':
        monkeypatch.setenv(R.BASE_URL_ENV, 'http://127.0.0.1:%d' % free_port())
    with pytest.raises(UserError) as e:
        R.tiles('test:1', log=lambda m: None)
    msg = str(e.value)
    assert needle in msg, msg
    assert R.url(ref) in msg and R.cached_path(ref) in msg and ref.sha256 in msg
    assert cache_files(tmp_path) == []                  # no file, no temporary file


def test_a_wrong_download_keeps_the_cached_file_for_the_next_try(server, entry, tmp_path):
    ref, data, t = entry
    path = R.cached_path(ref)
    os.makedirs(os.path.dirname(path))
    with open(path, 'wb') as f:
        f.write(b'not the file')
    server.serve(ref, b'also not the file')
    with pytest.raises(UserError, match='SHA-256'):
        R.tiles('test:1', log=lambda m: None)
    assert cache_files(tmp_path) == ['test_1.png']
    server.serve(ref, data)
    assert (R.tiles('test:1', log=lambda m: None) == t).all()


def test_a_file_put_there_by_hand_is_used_without_network(entry):
    ref, data, t = entry
    path = R.cached_path(ref)
    os.makedirs(os.path.dirname(path))
    with open(path, 'wb') as f:
        f.write(data)
    assert (R.tiles('test:1') == t).all()


def test_a_local_copy_is_cut_by_its_entrys_layout(entry, tmp_path):
    ref, data, t = entry
    (tmp_path / 'grid.png').write_bytes(data)
    assert (R.tiles(str(tmp_path / 'grid.png')) == t).all()   # split_grid could not: black padding
    with pytest.raises(UserError, match='neither a file nor a reference name'):
        R.tiles(str(tmp_path / 'nothing.png'))


# -- compare.py ---------------------------------------------------------------------------------
def test_list_references(capsys):
    assert cli.main(['--list-references']) == 0
    out = capsys.readouterr().out
    for r in R.catalogue():
        assert r.name in out
    assert 'raw.githubusercontent.com' in out


def test_compare_takes_reference_names(server, entry, tmp_path, capsys):
    ref, data, t = entry
    server.serve(ref, data)
    real = tmp_path / 'real'
    real.mkdir()
    for i, img in enumerate(np.random.RandomState(1).randint(0, 256, (40, 64, 64, 3))):
        cv2.imwrite(str(real / ('%02d.png' % i)), img.astype(np.uint8))
    np.save(str(tmp_path / 'ours.npy'), t[:16])
    out = tmp_path / 'out'
    assert cli.main([str(tmp_path / 'ours.npy'), '--reference', 'test:1', '--real', str(real),
                   '--n', '16', '--out', str(out)]) == 0
    stdout = capsys.readouterr().out
    assert 'test:1 (someone/project out/grid 1.png, epoch 1)' in stdout
    result = json.load(open(str(out / 'compare_ours.json')))
    assert result['published']['reference']['sha256'] == ref.sha256
    assert result['sets']['reference']['n'] == 16


def test_compare_offline_names_the_url_and_the_path(tmp_path, capsys):
    (tmp_path / 'real').mkdir()
    assert cli.main(['original:1650', '--reference', 'original:1720', '--real',
                   str(tmp_path / 'real'), '--out', str(tmp_path / 'out')]) == 1
    err = capsys.readouterr().err
    ref = R.get('original:1650')
    assert 'Error: could not download %s' % R.url(ref) in err and R.cached_path(ref) in err
    assert not (tmp_path / 'out').exists()


def test_compare_unknown_reference_name(tmp_path, capsys):
    assert cli.main(['original:1', '--real', str(tmp_path)]) == 1
    assert "unknown reference 'original:1'" in capsys.readouterr().err
