"""Published reference grids by name: the catalogue, downloads checked by SHA-256 into a cache, tiles."""
import hashlib
import http.client
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from typing import NamedTuple

from ..config import UserError
from ..files import atomic_write
from ..grids import split_grid, split_padded_grid

# cv2 (through gan.grids) is imported only when tiles are cut: compare.py --help loads none.

BASE_URL = 'https://raw.githubusercontent.com'
BASE_URL_ENV = 'GAN_ANIMATION_REFERENCE_URL'      # a mirror of BASE_URL (or a test server)
TIMEOUT = 60                                      # seconds without data before a download fails
CHUNK = 1 << 16


class Layout(NamedTuple):
    """How a published image holds its tiles."""
    kind: str           # 'matplotlib': tiles found as non-white boxes; 'torchvision': exact grid
    rows: int
    cols: int
    padding: int = 0    # torchvision: pixels around and between the tiles

    def describe(self):
        if self.kind == 'torchvision':
            return '%dx%d torchvision grid, %d-px padding' % (self.rows, self.cols, self.padding)
        return '%dx%d matplotlib figure' % (self.rows, self.cols)


class Reference(NamedTuple):
    """One published image: where it is, its SHA-256, how to cut it, what it shows."""
    name: str           # 'original:1720', 'animefaceswithgan-v4.3:5', ...
    repository: str     # GitHub owner/name
    commit: str         # the pinned commit
    path: str           # the file's path in the repository at that commit
    sha256: str
    layout: Layout
    published: str      # the training length it shows, in the project's own unit
    preset: str         # the preset of this package that follows that project
    data: str           # the Kaggle data set the project trained on

    @property
    def tiles(self):
        return self.layout.rows * self.layout.cols


GAN_ANIMATION = ('tiendat104/GAN_animation', 'c054677f54214d2a29dd4377edf88fa26cfb86a1')
ANIMEFACESWITHGAN = ('yigitsevim/AnimeFacesWithGAN', 'eeee72f5e1be1e3751abd5b3e57aecabcf4e96de')
GANIME = ('Henvezz95/GANime', '60675dacca4d28387ac12c77230a7bdf0feb639b')
DCGAN_YERNAT = ('yernat-assylbekov/Anime-Faces-with-DCGAN', '5af6dfbc3227ad130e36ad1a17c6a9115ae6393e')
SOUMIKRAKSHIT = 'soumikrakshit/anime-faces'
SPLCHER = 'splcher/animefacedataset'


def _catalogue():
    out = []
    for step, sha in ((1650, '24c99e8fba440d1bce6cb282499ea21ac112310de2c536c926de1d500bbffb76'),
                      (1685, '006eb7cacf06cf45a133ba4492526732d8e19634e213498395a596cf379d9e8f'),
                      (1720, '59f031ababba84cdcb37760eece454e9daa758ac9933e45b4d2cacac3a398324')):
        out.append(Reference('original:%d' % step, *GAN_ANIMATION, 'image/Faces_%d.png' % step,
                             sha, Layout('matplotlib', 10, 10), 'step %d' % step,
                             'gan_animation', SOUMIKRAKSHIT))
    grids = {   # AnimeFacesWithGAN: version -> {epoch: SHA-256}
        'v1': {10: '021886ae14247b1364128a8d4e36040f25f6747e97af006aaca4735c593342e8',
               50: 'd1d6917c888e67f5abecd91473d49feae04a9320a2b72e0e4472a6c1cbcf6463',
               100: '6872e860b9d5ff75c07886e6cb468d524f450e0193d0117d307a4b4717b5b201'},
        'v2': {10: '77418341cce5f69811cdac5870db629649517897745a3258eb9da8eadc43395a',
               50: '426e9d38cc8d0e386da17d03972e92459511c3b507cb3faaa3c2633d705c3934',
               100: '883aeb37ec406810b7a351bb026df772f637a415c5e4ee2bbe364022662896db'},
        'v3': {10: '8665f12185e4b638527cd07f8f25bd9019cb7fa88f4c70de7ebe1fd1b986151b',
               50: '0c7261d4a427f3f390f77467befbf3eebcef7a946a19bf31d253787ad917a136',
               100: 'adf43c9dd1927ab52b6b48a9cf64a6ef3336294e35a0d5e4e1e425c39f198fb5'},
        'v4.1': {1: 'f4328669b5dc42f32906ac44dbbc6721ae727f3d285bb7f5c86f9f0c725cb43c',
                 5: '6b97d0298f8c6c53eaee642f326b8475fe60c5ad6266c4e819a789998f4da406',
                 10: '14f28b4bc88c92782091c569818ed69e8902f6215ff50badd2e7bcc6c05b25a7',
                 25: '2c1e1480110a77b21c7aec4ed5ca3150a55796da14b5ea62ce5c735c7abbeb9b',
                 50: 'b33034f4d19474ca04a209de0277e37d250306fe8f113d54237a4268bfad1288'},
        'v4.2': {1: '64d753bdcc29a8c9dab1138d50411673f69e73e06f6a29389c165fdc8e58a3a7',
                 5: '16c52a2c76efc995364437c015791da7afb6328e30d6c743185dd3dff363d990',
                 10: 'e725f0b647d4febbfd91b1a2079e62e5688f3888b941c7c14fe71f47edd66331',
                 25: 'ec7fbb9d1a18fadec1648e504f38b90b495b809dcb4bc059a45536dbf8c38b90',
                 50: '68903a7907ab6224f63e38f6730997370449356fc42191df605cda3f3ead9ecf'},
        'v4.3': {1: 'fde8cab8ed88192df37e85352a8a678811dcfc185ccc4d72930c14c3213e9724',
                 5: '34b4ae5db69746d2b847e5f21e0b8933ee29b7c3c8a0151530de92f225b9c48d',
                 10: 'f7eda867fbb4ccdd16b8e375aec1d3de3182520921d44a9463e667d0ca7f6275',
                 25: '5bda98d94863373e0dadd428f37d87338a15e6463274dc5bbb04b9f5e36b0e4e',
                 50: '9025937f9373fb5788093688f49f450d3521d2c8948f593a7673b3423ebb50c3'},
    }
    for version, epochs in grids.items():
        preset = 'animefaceswithgan-' + version
        for epoch, sha in sorted(epochs.items()):
            out.append(Reference('%s:%d' % (preset, epoch), *ANIMEFACESWITHGAN,
                                 '%s/generated/generated-images-%04d.png' % (version, epoch), sha,
                                 Layout('torchvision', 8, 8, 2), 'epoch %d' % epoch, preset,
                                 SPLCHER))
    out.append(Reference('ganime:final', *GANIME, 'Examples.png',
                         'b793b30b5c3180d61e4748eaf89588be3bb36917800456c3fce373e4fee1152d',
                         Layout('matplotlib', 6, 4), 'after training',
                         'ganime', SPLCHER))
    out.append(Reference('dcgan-yernat:500', *DCGAN_YERNAT, 'image_at_epoch_0500.png',
                         '52a68d634e8fe065304604cba5c1a4fa67a7578ab0993b3a68f22e328f761b28',
                         Layout('matplotlib', 3, 3), 'epoch 500', 'dcgan-yernat', SOUMIKRAKSHIT))
    return out


CATALOGUE = {r.name: r for r in _catalogue()}


def catalogue():
    """Every Reference, in the catalogue's order."""
    return list(CATALOGUE.values())


def _normalise(name):
    """'original:01720' -> 'original:1720': a number after the colon loses its leading zeros."""
    head, sep, tail = str(name).strip().partition(':')
    if sep and tail.isdigit():
        tail = str(int(tail))
    return head.lower() + sep + tail


def lookup(name):
    """The Reference called `name`, or None."""
    return CATALOGUE.get(_normalise(name))


def looks_like_name(text):
    """True for text that can only be meant as a catalogue name ('x:y', not an existing path)."""
    text = str(text)
    return ':' in text and '/' not in text and os.sep not in text and not os.path.exists(text)


def get(name):
    """The Reference called `name`; an unknown name is a UserError listing the known ones."""
    ref = lookup(name)
    if ref is None:
        raise UserError('unknown reference %r; known names: %s (python compare.py '
                        '--list-references)' % (name, ', '.join(CATALOGUE)))
    return ref


# -- where files live ---------------------------------------------------------------------------
def cache_dir():
    """${XDG_CACHE_HOME:-~/.cache}/gan-animation (a relative XDG_CACHE_HOME is ignored)."""
    base = os.environ.get('XDG_CACHE_HOME', '')
    if not os.path.isabs(base):
        base = os.path.join(os.path.expanduser('~'), '.cache')
    return os.path.join(base, 'gan-animation')


def cached_path(ref, cache=None):
    """Where the file of `ref` is kept: <cache>/references/<name, ':' as '_'><extension>."""
    ext = os.path.splitext(ref.path)[1]
    return os.path.join(cache or cache_dir(), 'references', ref.name.replace(':', '_') + ext)


def url(ref, base_url=None):
    """The file's public raw URL at the pinned commit (base_url, or $GAN_ANIMATION_REFERENCE_URL,
    replaces https://raw.githubusercontent.com)."""
    base = (base_url or os.environ.get(BASE_URL_ENV) or BASE_URL).rstrip('/')
    return '%s/%s/%s/%s' % (base, ref.repository, ref.commit, urllib.parse.quote(ref.path))


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(CHUNK), b''):
            h.update(chunk)
    return h.hexdigest()


# -- downloads ----------------------------------------------------------------------------------
class _BadDownload(Exception):
    """The bytes that arrived are not the file (short or another checksum)."""


def download(source_url, path, sha256, timeout=TIMEOUT):
    """Fetch `source_url` into `path` atomically, only if its SHA-256 is `sha256`.

    The bytes go to a temporary file beside `path`, hashed on the way; a short response, another
    checksum or any network error leave `path` as it was (absent, or an older file) and no
    temporary file. Raises UserError saying what happened.
    """
    def receive(tmp):
        h, got = hashlib.sha256(), 0
        with urllib.request.urlopen(source_url, timeout=timeout) as resp, open(tmp, 'wb') as f:
            length = resp.headers.get('Content-Length')
            for chunk in iter(lambda: resp.read(CHUNK), b''):
                f.write(chunk)
                h.update(chunk)
                got += len(chunk)
        if length is not None and length.isdigit() and got != int(length):
            raise _BadDownload('the download stopped after %d of %s bytes' % (got, length))
        if h.hexdigest() != sha256:
            raise _BadDownload('the %d bytes that arrived have SHA-256 %s, not the published '
                               "file's %s (a proxy's page, or the file changed)"
                               % (got, h.hexdigest(), sha256))
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
    except OSError as e:
        raise UserError('cannot create the cache folder %s: %s; set XDG_CACHE_HOME to a writable '
                        'folder' % (os.path.dirname(path), e))
    try:
        atomic_write(path, receive)
    except (OSError, http.client.HTTPException, ValueError, _BadDownload) as e:
        plain = isinstance(e, urllib.error.URLError) and not isinstance(e, urllib.error.HTTPError)
        reason = e.reason if plain else e
        raise UserError('could not download %s: %s. Nothing was saved. Without network, get that '
                        'file another way, check that its SHA-256 is %s, and put it at %s'
                        % (source_url, reason, sha256, path))


def fetch(name, base_url=None, cache=None, log=None):
    """The local path of reference `name`, downloaded into the cache on first use.

    The cached file is checked against the catalogue's SHA-256 on every call; one that does not
    match (corrupted, or a wrong file put there by hand) is downloaded again.
    """
    log = log or (lambda msg: sys.stderr.write(msg + '\n'))
    ref = get(name)
    path = cached_path(ref, cache)
    source = url(ref, base_url)
    if os.path.isfile(path):
        if sha256_file(path) == ref.sha256:
            return path
        log('%s: the cached file %s does not match its SHA-256; downloading it again'
            % (ref.name, path))
    log('downloading %s from %s' % (ref.name, source))
    download(source, path, ref.sha256)
    log('saved %s' % path)
    return path


# -- tiles --------------------------------------------------------------------------------------
def cut(path, layout=None):
    """uint8 RGB (N, 64, 64, 3) tiles of a grid image by `layout` (None: split_grid infers it)."""
    if layout is None:
        return split_grid(path)
    if layout.kind == 'torchvision':
        return split_padded_grid(path, layout.rows, layout.cols, padding=layout.padding)
    return split_grid(path, expect=(layout.rows, layout.cols))


def identify(path):
    """The Reference whose file has the SHA-256 of the file at `path`, or None."""
    digest = sha256_file(path)
    return next((r for r in CATALOGUE.values() if r.sha256 == digest), None)


def tiles(name_or_path, base_url=None, cache=None, log=None, flag='reference'):
    """The tiles of a reference as uint8 RGB (N, 64, 64, 3), row-major.

    `name_or_path` is a catalogue name (fetched into the cache; see fetch) or a grid image file.
    A file that is one of the catalogue's (same SHA-256) is cut by its layout; any other is split
    by gan.grids.split_grid. Problems are UserErrors starting with `flag`.
    """
    ref = lookup(name_or_path)
    if ref is None and looks_like_name(name_or_path):
        get(name_or_path)                                  # the unknown-name error
    if ref is not None:
        path = fetch(ref.name, base_url, cache, log)
    else:
        path = str(name_or_path)
        if not os.path.isfile(path):
            raise UserError('%s %s is neither a file nor a reference name (python compare.py '
                            '--list-references)' % (flag, path))
        try:
            ref = identify(path)
        except OSError as e:
            raise UserError('%s %s cannot be read: %s' % (flag, path, e))
    try:
        return cut(path, ref.layout if ref else None)
    except ValueError as e:                 # the message names the file
        raise UserError('%s%s: %s' % (flag, ' ' + ref.name if ref else '', e))


def format_catalogue(cache=None):
    """The catalogue as text, for compare.py --list-references."""
    lines = ['%-27s %-14s %5s  %-34s %s' % ('name', 'published', 'tiles', 'layout',
                                             'repository, file (cached: *)')]
    for r in CATALOGUE.values():
        mark = '*' if os.path.isfile(cached_path(r, cache)) else ' '
        lines.append('%-27s %-14s %5d  %-34s %s %s %s' % (
            r.name, r.published, r.tiles,
            r.layout.describe(), mark, r.repository, r.path))
    lines += ['',
              'ganime:final is GANime\'s Examples.png, which does not say after how long (its '
              'code\'s default:',
              '300 epochs). Numbers may carry leading zeros (animefaceswithgan-v4.3:0005).',
              'Each file is downloaded once from %s/<repository>/<commit>/<file>' % BASE_URL,
              '(commits pinned in gan/eval/references.py), checked against its SHA-256 on '
              'download and on every use,',
              'and kept in %s (*: already there).' % os.path.join(cache or cache_dir(), 'references'),
              'The original and dcgan-yernat trained on Kaggle\'s %s, the others on' % SOUMIKRAKSHIT,
              '%s (data/README.md).' % SPLCHER]
    return '\n'.join(lines)
