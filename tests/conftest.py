"""Shared fixtures: tiny configurations, synthetic images, and the ../shared folder."""
import os

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(ROOT), 'shared')
REFERENCE = os.path.join(SHARED, 'fixtures', 'gan_animation_reference')


def need_reference():
    if not os.path.isdir(REFERENCE):
        pytest.skip('../shared/fixtures/gan_animation_reference is absent (it holds the original\'s files)')
    return REFERENCE


@pytest.fixture
def reference_dir():
    return need_reference()


@pytest.fixture
def tiny_config():
    """The real networks with a small batch and a short unroll, so a step takes about a second."""
    from gan import Config
    return Config(batch_size=8, unroll_steps=2, seed=1, sample_interval=1, checkpoint_interval=2,
                  history_interval=1, grid_size=2)


@pytest.fixture
def images():
    rng = np.random.RandomState(0)
    return (rng.rand(24, 64, 64, 3) * 255).astype(np.uint8)


@pytest.fixture
def fresh_session():
    from gan import backend
    backend.setup(1)
    return backend
