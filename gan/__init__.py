"""gan-animation: a faithful, pinned reproduction of the GAN_animation unrolled DCGAN."""
import os

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
# The oneDNN build's OpenMP threads spin for 200 ms after each op by default, competing with TF's
# own pool: 1 ms made its full step 0.88x as long on 2 cores (docs/performance.md). It must be set
# before TensorFlow loads the OpenMP runtime; stock TensorFlow ignores it.
os.environ.setdefault('KMP_BLOCKTIME', '1')

from .config import Config, UserError  # noqa: E402
from .gan import GAN  # noqa: E402

__all__ = ['GAN', 'Config', 'UserError']
__version__ = '0.1.0'
