"""Train presets on equal compute and score them: `python budget.py --help`."""
import sys

from gan.studies import main

if __name__ == '__main__':
    sys.exit(main())
