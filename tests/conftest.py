"""Shared fixtures: tiny configurations, synthetic images, and the ../shared folder."""
import os

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(ROOT), 'shared')
REFERENCE = os.path.join(SHARED, 'fixtures', 'gan_animation_reference')


def assert_quiet_exit(stderr):
    """No traceback on the way out: TF's callables, freed at interpreter teardown, used to print
    one after every run ("Exception ignored in ... TF_SessionReleaseCallable")."""
    assert 'Traceback' not in stderr and 'Exception ignored' not in stderr, stderr[-3000:]


def need_reference():
    if not os.path.isdir(REFERENCE):
        pytest.skip('../shared/fixtures/gan_animation_reference is absent (it holds the original\'s files)')
    return REFERENCE


@pytest.fixture
def reference_dir():
    return need_reference()


@pytest.fixture
def tiny_config():
    """Small stand-in networks (arch 'tiny'), a small batch and a short unroll: fast mechanics tests.

    They compute with TF's own kernels: the fast kernels' graphs take 50% longer to build and run
    first (12 s against 7 s for a tiny GAN), and these tests are about the mechanics. Tests about
    the recipe's own networks use `real_config`, with the default kernels."""
    from gan import Config
    return Config(arch='tiny', batch_size=8, unroll_steps=2, seed=1, sample_interval=1,
                  checkpoint_interval=2, history_interval=1, grid_size=2, kernels='stock')


@pytest.fixture
def real_config(tiny_config):
    """The GAN_animation networks with a small batch and a short unroll, default kernels."""
    from gan import Config
    return tiny_config._replace(arch='gan_animation', kernels=Config().kernels)


@pytest.fixture
def images():
    rng = np.random.RandomState(0)
    return (rng.rand(24, 64, 64, 3) * 255).astype(np.uint8)


@pytest.fixture
def fresh_session():
    from gan import backend
    backend.setup(1)
    return backend
