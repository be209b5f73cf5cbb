"""gan-animation: a faithful, pinned reproduction of the GAN_animation unrolled DCGAN."""
import os

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')

from .config import Config, UserError  # noqa: E402
from .gan import GAN  # noqa: E402

__all__ = ['GAN', 'Config', 'UserError']
__version__ = '0.1.0'
