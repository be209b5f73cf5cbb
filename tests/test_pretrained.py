"""The pretrained generator in pretrained/ loads with GAN.load_model and sample.py and is not collapsed."""
import glob
import os
import subprocess
import sys

import numpy as np

from conftest import ROOT, assert_quiet_exit

PRETRAINED = os.path.join(ROOT, 'pretrained')

# Mean MS-SSIM of 50 disjoint pairs of samples must stay below this. Measured (docs/reproduction.md):
# real anime64-full faces 0.37, this generator (step 1720) 0.350, a collapsed generator about 0.99.
DIVERSITY_BOUND = 0.5


def weights_file():
    """The one generator in pretrained/ (it is in the repository, so its absence is a failure)."""
    files = glob.glob(os.path.join(PRETRAINED, 'generator_epoch_*.h5'))
    assert len(files) == 1, ('pretrained/ should hold exactly one generator '
                             '(scripts/export_pretrained.py writes it): %s' % files)
    return files[0]


def test_pretrained_generator_loads_and_samples_diverse_faces(fresh_session):
    from gan import GAN
    from gan.eval import metrics
    path = weights_file()
    assert os.path.getsize(path) <= 6 * 2 ** 20
    gan = GAN.load_model(PRETRAINED)
    assert gan.config.arch == 'gan_animation'
    assert gan.step == int(os.path.basename(path)[len('generator_epoch_'):-len('.h5')])
    faces = gan.generate(n=100, seed=0)
    assert faces.shape == (100, 64, 64, 3) and faces.dtype == np.uint8
    assert faces.min() < 40 and faces.max() > 215              # uses the range, not a flat grey
    assert np.array_equal(faces, gan.generate(n=100, seed=0))   # inference is deterministic
    assert metrics.ms_ssim_diversity(faces) < DIVERSITY_BOUND


def test_sample_py_writes_a_grid_from_pretrained(tmp_path):
    weights_file()
    out = tmp_path / 'grid.png'
    r = subprocess.run([sys.executable, 'sample.py', PRETRAINED, '--out', str(out)], cwd=ROOT,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    assert r.returncode == 0, r.stderr[-3000:]
    assert_quiet_exit(r.stderr)
    assert out.stat().st_size > 10000
