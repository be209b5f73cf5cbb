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
    preset: str         # the preset of this package that follows that run (None: none does)
    data: str           # the Kaggle data set the project trained on
    bn_batch: int = 0   # how its G normalised when it drew the grid: 0, inference mode (moving
    #                     statistics); k, each batch of k latents by its own statistics (a PyTorch
    #                     generator not switched to eval())

    @property
    def tiles(self):
        return self.layout.rows * self.layout.cols


GAN_ANIMATION = ('tiendat104/GAN_animation', 'c054677f54214d2a29dd4377edf88fa26cfb86a1')
# AnimeFacesWithGAN: the commit of its first README (2023-10-18), whose recipes the presets follow
# and whose runs have a grid after every epoch 1-50; and the December commit whose v1-v3 grids
# are re-runs of changed recipes (its v4.x grids are byte-identical to October's).
ANIMEFACESWITHGAN = ('yigitsevim/AnimeFacesWithGAN', '1b49d6d490c96eb2ba9d260f5a4c7dd2910fca7d')
ANIMEFACESWITHGAN_DEC = ('yigitsevim/AnimeFacesWithGAN', 'eeee72f5e1be1e3751abd5b3e57aecabcf4e96de')
GANIME = ('Henvezz95/GANime', '60675dacca4d28387ac12c77230a7bdf0feb639b')
DCGAN_YERNAT = ('yernat-assylbekov/Anime-Faces-with-DCGAN', '5af6dfbc3227ad130e36ad1a17c6a9115ae6393e')
SOUMIKRAKSHIT = 'soumikrakshit/anime-faces'
SPLCHER = 'splcher/animefacedataset'


ANIMEFACESWITHGAN_GRIDS = {   # the October 2023 runs the presets follow: version -> {epoch: SHA-256}
    'v1': {
        1: '157eeeb84ab245ff914a93a6a58cf654c3b0d8e72e7bbecd4ddf27fd3814a68a',
        2: '506ccb11ba75f49041dc2d21d2dd34575f6e2dce34037fb46f40f9a9744428ed',
        3: '4dfbd5b8c4e587cb3f86450b3dd94bdf2e17e6a8824025ee32701e3755f4de61',
        4: 'ffbdc157baa434f4e3ed67a06cb277ac83f4a17992d0a48c1c39c80d52bf1ed6',
        5: '4e30521adc18e62523c319b27b042aa896f1debea0dacb5bd413b261eb75af39',
        6: 'cd96c136f41aef1ac6ab8bd40f77690c72356bfa5e78ec7429eb4aed47963a9e',
        7: 'bd9e0fa21f3a8fbb96ed6823fdd449092573f696d8450abf22847d977073b85f',
        8: '7c80ccd7e873766936e9718ea9e978a63b1e9d28570013e54309a1758730595a',
        9: '31fba3fa4100a80e2801bae0866f428e7a588c6244c113c393082274a91ce143',
        10: '60629f6133b90584283ea3bfda091304ea17f3f87cea9fbe1935568c78a6034a',
        15: 'efdb9c88dbed7d5a5bb59e6e6412abbe81817edb80a63e91bc08914e000d8006',
        20: '63b924747070b91134763352e48ea90798147eb05235e7e1f5ded7d5fa9ae6d2',
        25: 'ae353d85bf0e4126ae099218f2b7294fca465fc4b3ae28a8be17b9fff82914ed',
        30: '72804debe6e93930977f195e853968225bcf201d8b024bba55c1b472a3b82dbd',
        40: '015a82154d8ead4c0cbb17012815eb29ba5fac78de793c1248e74f04f7e05e09',
        50: '0736575f64e4e942adfd8a8e3b79c79d16bcfd8e0e160cba7d8f15919be07598'},
    'v2': {
        1: 'e9f8942d7bac0f15cc792b74320ec0735b6ff7034f64d680e068a561754cbcc9',
        2: 'b194d456cb137efc7800145a8709f6ee725cca7d0ab3d6a860a80ecedd3c90d6',
        3: '9efe57f9de46a441e966c1f50a10cd3a6f607c2deccc381fdc7c0d4d6ce531fb',
        4: 'aae4b3ee68a1636908f2e4cfa99fe6035b529aa467288c750d5376c6511701e5',
        5: '6008e5a3980ebfb7673ea3565dffaa3dd5b1d0b720e2e42e6e37bcac6a69213e',
        6: '74c44d3c254e7ad9d34f26288859a9b70ecf8bd435535d2190f15c4ab7f72db3',
        7: 'c7e2fe100198717cfa1901757792a3a472b90041fc649095430478eba9bacbde',
        8: 'c00a9c767ab9b048b94472c8c4bab37f0262ea8dce2ac7fb0565c5e85d04a2bb',
        9: 'f13990927d9e46c5e324c06b75c61b4f523d9a807b56feec439a3f0e3d9feea0',
        10: '20844fd5d653432f15a1d693b57382aabb9c74e57b36124e703f3739487b3aa8',
        15: '7dae4f30c2c32a77f01c0bbde7726655d021c08b018336cbf98a1036dea2da05',
        20: 'ee09d563495f3a2a16aa09f0dd40c8dbf327d4bb905cee4cdb1f82d0b03b1078',
        25: 'b12f6a6e91859a27ac4f61f22d3c6d34befd7483f0ab80ff775e6c4db7255360',
        30: '97c7bceacb99ab27da71f1e2c7d41b14057383b95d46d38bc05577b64a538de5',
        40: '68e6e1f813a391cd0601daedcccdebd82631e704cae8bb6d0faef682a04c49c2',
        50: 'fa9766a9ddb200a57b1784422e3dd761ae97c10e5f31350a5d8a4ab33b26447c'},
    'v3': {
        1: 'b3ea411cd6b54d37d294eb01aeff7154a102e86975e122231d9d942d542ce250',
        2: '3f0bda0bb78040d364ee82d362b98c4c0114579edf7ea137fe3561dbe0bb7862',
        3: '1db8d20689897c8ac5f375df864ec827b11630288e6ff020b36e0542611bc027',
        4: 'd5089d09b206648375e7b2311076b21bfbde2ed1d2d8a6aaec3c7404429048f4',
        5: 'f5032883f8e25ad3e572969e6d93178dfefd8dd8b427255b2e2d25a8ffe8fd82',
        6: '8102d4a7f542b6024d58269e9ee65700b7cfdcde44f6f31057277f9198b81b04',
        7: '64ed4a4a31a5abb5a877954d01c1685437b07cc97cda52c690d5fd8f0380cc41',
        8: 'b9cfbe5e8f5808e4677b47154ebabbd53f9e7c67bb62ea0d554ca9c28065481c',
        9: 'f44a21bf46fc6059bba802f4745d8d9e49ab18e2b5468aa9921973bc01b6c6ae',
        10: 'a54b318ee2aeb99bfb6e5342f4e5ad34f1718dae57b931fc42e334ce5582e9b5',
        15: 'f08277786371f460150870c6a11b233363304f88da62d4e5ff2d5850ee158d54',
        20: 'f2ec6fa262f381ed9d19319b345d39a3eddf985ba0dbe7b92b82b70732661cab',
        25: '0c2033e31a915c8cd321deace7ef96d12c1ae3a8c97658a594203fcfb9ea5ac5',
        30: '5fed35dc5e43ab03b30e3eed11fc7bab51f2635081045bdb1e872ac5a7d63779',
        40: 'c6f8a1e6c0359e9a500b41f551d1f24e3bab2038f43a7fcd5c5b1c11cb78c106',
        50: '1867620bcdecb273e774ebb141c26e45ad2734f6741883ecb51c088b77e5d5db'},
    'v4.1': {
        1: 'f4328669b5dc42f32906ac44dbbc6721ae727f3d285bb7f5c86f9f0c725cb43c',
        2: '669f56ab460675a71d8853a1dc23243b72f858b402137a228734d3cbf30cf28d',
        3: '42d90971dc1f32bfc0fff4fd26b6af7acbf633480a1b7ae514bd566c02445f85',
        4: '08d81767dba4a71189f5a3135c4345f4497dcc0a49785bdc79e5867a4a136da3',
        5: '6b97d0298f8c6c53eaee642f326b8475fe60c5ad6266c4e819a789998f4da406',
        6: 'cef21b72f5d24f3d11614ef7f74efae4ed66af50f5866c401469287b21824a41',
        7: '8a9a06cd442125b0e322f99afec97bf218a202bdb4d1aab5e29dc94ebc9c0183',
        8: 'cc8f3eb8730c26324b7265083f4e81da30c614df7e604505e03f3729383b2914',
        9: 'c3ae6709eff5d4d4d5a1d544805d69e834c7d47dda6486f7e59268abc81e7e7c',
        10: '14f28b4bc88c92782091c569818ed69e8902f6215ff50badd2e7bcc6c05b25a7',
        15: 'bb5fbfd9ae1102d631e6ee1941514d39fae6f3e5c3a5bb9fbb4ad7b33d1b77ff',
        20: '654d3ba561c0ea032c2c3545fdce8ddd7dbc56f6c5e173ae0f4d7485e9ed0eca',
        25: '2c1e1480110a77b21c7aec4ed5ca3150a55796da14b5ea62ce5c735c7abbeb9b',
        30: 'aedb918159ca7892d5c64f13eceee100336256139cea6798f5006f1201b083c5',
        40: '3535ff59a52d8cf8a21f99b5211dcb55c2068c0c25e88ffa2659303f8a230041',
        50: 'b33034f4d19474ca04a209de0277e37d250306fe8f113d54237a4268bfad1288'},
    'v4.2': {
        1: '64d753bdcc29a8c9dab1138d50411673f69e73e06f6a29389c165fdc8e58a3a7',
        2: 'a241f070ab96351e3e2d1563a3c47561c5d78978b46177044cc9db96c1d2f8ff',
        3: '7ba9d4279eb713254b606cfd34e43a733d97d1032b23a7ac86876ff88a0e69b0',
        4: 'bc996bdbfb71af2986273791610e1a1e62c8bbc5cc37d41d10086743ddd4c785',
        5: '16c52a2c76efc995364437c015791da7afb6328e30d6c743185dd3dff363d990',
        6: '91c6d36001b34b674a8def1c430e60c40eeee53b597c96ace8dc2c9a568c423d',
        7: '63aa08e72a24258d25c4e3a521bf5af727beed43b09fcaa92f09efbcd2f8df23',
        8: 'f16084ecbc988e9e500f23c970ddd7aa3b7860f90aa885de19860db6a2e9b8c1',
        9: 'c402f0e7b29f496a80b44a2f8a916b34ed9e8dc57863de1edfa61b5f20de5e4e',
        10: 'e725f0b647d4febbfd91b1a2079e62e5688f3888b941c7c14fe71f47edd66331',
        15: 'b06d51fef5f5e147a609194cd1ea223591e346219e63625c6f6ec9c332e08b16',
        20: '02e0ab9fb50a8c7c4b4333b7d149b880d962c7ebca5c7579f4f27b376941aef7',
        25: 'ec7fbb9d1a18fadec1648e504f38b90b495b809dcb4bc059a45536dbf8c38b90',
        30: 'b52f9e45ce45f5e319a593aa4cb29f138b7f5631727ed2ad99096b28933200e7',
        40: 'b315b1d8fb32cd331373730cfd9d711003213b054bd05be70523818f0b1a83a3',
        50: '68903a7907ab6224f63e38f6730997370449356fc42191df605cda3f3ead9ecf'},
    'v4.3': {
        1: 'fde8cab8ed88192df37e85352a8a678811dcfc185ccc4d72930c14c3213e9724',
        2: '4b7a0034f34e709ab21074e315730ece0c8a985f0dbb9fc720ff887a71b9bd97',
        3: '3572ad6e3df5c2e7f5194163d2aeb6428a2aa33c35c80758609fcec44cd4a95e',
        4: 'f5752f836a30935fd82eab72bfa55dd36092eacfdb6d32450096821fd518a9c7',
        5: '34b4ae5db69746d2b847e5f21e0b8933ee29b7c3c8a0151530de92f225b9c48d',
        6: '49c61d524010d686b79540511c7049ef0142a02991140119a08453b8c4f23577',
        7: 'f05495da4e4a47e0b967a888496108c687157ee37268c1a633635652509f32c5',
        8: '4751c5e2cc32ad5cb2ec3ab60504d9e6d042e7d114f3f0ad058d39ca1b29c5be',
        9: 'd52e4adbb420c52e78845b9c8a31a492db49c1f5a4cbe15dc574d1885c3edc2c',
        10: 'f7eda867fbb4ccdd16b8e375aec1d3de3182520921d44a9463e667d0ca7f6275',
        15: '730fdfdac4bc1b80c0c614c0bddfbd290f6033a5a5fa196f9ce74e34d7ce8202',
        20: '7b2e0211c9cfdcf768f3c2306572a32cd3c0131084f7ccfc25e8c774af843aa4',
        25: '5bda98d94863373e0dadd428f37d87338a15e6463274dc5bbb04b9f5e36b0e4e',
        30: 'e7311f0604dd3837bc0eb6c7ad67e1ce4ec73a1e23e61f97e816ddbf284b0e6f',
        40: '0971e0db59a1200326939b2246ea481c6d7b7a2aeab5b2351bc562b30b69f3f3',
        50: '9025937f9373fb5788093688f49f450d3521d2c8948f593a7673b3423ebb50c3'},
}

# The December 2023 re-runs of v1-v3 with changed recipes (the README of that commit describes v3
# as a ReLU G with one-sided label smoothing): no preset follows them; kept for comparison.
ANIMEFACESWITHGAN_DEC2023 = {
    'v1': {10: '021886ae14247b1364128a8d4e36040f25f6747e97af006aaca4735c593342e8',
           50: 'd1d6917c888e67f5abecd91473d49feae04a9320a2b72e0e4472a6c1cbcf6463',
           100: '6872e860b9d5ff75c07886e6cb468d524f450e0193d0117d307a4b4717b5b201'},
    'v2': {10: '77418341cce5f69811cdac5870db629649517897745a3258eb9da8eadc43395a',
           50: '426e9d38cc8d0e386da17d03972e92459511c3b507cb3faaa3c2633d705c3934',
           100: '883aeb37ec406810b7a351bb026df772f637a415c5e4ee2bbe364022662896db'},
    'v3': {10: '8665f12185e4b638527cd07f8f25bd9019cb7fa88f4c70de7ebe1fd1b986151b',
           50: '0c7261d4a427f3f390f77467befbf3eebcef7a946a19bf31d253787ad917a136',
           100: 'adf43c9dd1927ab52b6b48a9cf64a6ef3336294e35a0d5e4e1e425c39f198fb5'},
}


def _animefaceswithgan(name, version, epoch, sha, source, preset):
    """An 8x8 torchvision grid of AnimeFacesWithGAN after `epoch`: G(fixed_latent) on its 64
    fixed latents without eval() (Jovian's 06b notebook), so BatchNorm used their own statistics."""
    return Reference('%s:%d' % (name, epoch), *source,
                     '%s/generated/generated-images-%04d.png' % (version, epoch), sha,
                     Layout('torchvision', 8, 8, 2), 'epoch %d' % epoch, preset, SPLCHER,
                     bn_batch=64)


def _catalogue():
    out = []
    for step, sha in ((1650, '24c99e8fba440d1bce6cb282499ea21ac112310de2c536c926de1d500bbffb76'),
                      (1685, '006eb7cacf06cf45a133ba4492526732d8e19634e213498395a596cf379d9e8f'),
                      (1720, '59f031ababba84cdcb37760eece454e9daa758ac9933e45b4d2cacac3a398324')):
        out.append(Reference('original:%d' % step, *GAN_ANIMATION, 'image/Faces_%d.png' % step,
                             sha, Layout('matplotlib', 10, 10), 'step %d' % step,
                             'gan_animation', SOUMIKRAKSHIT))
    for version, epochs in ANIMEFACESWITHGAN_GRIDS.items():
        preset = 'animefaceswithgan-' + version
        for epoch, sha in sorted(epochs.items()):
            out.append(_animefaceswithgan(preset, version, epoch, sha, ANIMEFACESWITHGAN, preset))
    for version, epochs in ANIMEFACESWITHGAN_DEC2023.items():
        for epoch, sha in sorted(epochs.items()):
            out.append(_animefaceswithgan('animefaceswithgan-%s-dec2023' % version, version, epoch,
                                          sha, ANIMEFACESWITHGAN_DEC, preset=None))
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
    lines = ['%-33s %-14s %5s  %-34s %s' % ('name', 'published', 'tiles', 'layout',
                                             'repository@commit, file (cached: *)')]
    for r in CATALOGUE.values():
        mark = '*' if os.path.isfile(cached_path(r, cache)) else ' '
        lines.append('%-33s %-14s %5d  %-34s %s %s@%s %s' % (
            r.name, r.published, r.tiles,
            r.layout.describe(), mark, r.repository, r.commit[:7], r.path))
    lines += ['',
              'ganime:final is GANime\'s Examples.png, which does not say after how long (its '
              'code\'s default:',
              '300 epochs). Numbers may carry leading zeros (animefaceswithgan-v4.3:0005).',
              'animefaceswithgan-vX:E are the October 2023 runs the presets follow; the',
              '-dec2023 names are the December re-runs of v1-v3 with changed recipes. Their G',
              'drew each grid with BatchNorm on its 64 latents\' own statistics (no eval()): give',
              'compare.py --bn-batch 64 to draw ours the same way.',
              'Each file is downloaded once from %s/<repository>/<commit>/<file>' % BASE_URL,
              '(commits pinned in gan/eval/references.py), checked against its SHA-256 on '
              'download and on every use,',
              'and kept in %s (*: already there).' % os.path.join(cache or cache_dir(), 'references'),
              'The original and dcgan-yernat trained on Kaggle\'s %s, the others on' % SOUMIKRAKSHIT,
              '%s (data/README.md).' % SPLCHER]
    return '\n'.join(lines)
