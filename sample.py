"""Generate a grid or N images from a checkpoint: `python sample.py --help`."""
import sys

from gan.cli import sample_main

if __name__ == '__main__':
    sys.exit(sample_main())
