"""Train the GAN_animation recipe: `python train.py --help`."""
import sys

from gan.cli import train_main

if __name__ == '__main__':
    sys.exit(train_main())
