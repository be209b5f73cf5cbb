"""Train presets on equal compute and score them: `python study.py --help`."""
import sys

from gan.study.cli import main

if __name__ == '__main__':
    sys.exit(main())
