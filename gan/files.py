"""File primitives: atomic writes (temporary file, fsync, rename) and .npy saves."""
import os
import re

import numpy as np

# The temporary name atomic_write uses: '.<name>.tmp<pid>' beside the target.
TEMP_RE = re.compile(r'^\..+\.tmp\d+$')


def fsync_dir(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path, write):
    """Call write(tmp_path), fsync it, then rename over `path`: readers see old or new, never torn."""
    folder = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(folder, '.%s.tmp%d' % (os.path.basename(path), os.getpid()))
    try:
        write(tmp)
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    fsync_dir(folder)


def save_npy(path, arr):
    with open(path, 'wb') as f:
        np.save(f, arr)
