"""Compare a checkpoint's images with real images and the original's grids: `python compare.py --help`."""
import sys

from gan.eval.cli import main

if __name__ == '__main__':
    sys.exit(main())
