"""SWD of runs' saved grids against real faces over a range of steps: compares runs by trajectory.

    .venv37/bin/python bench/grid_trajectory.py save/1 save/2 --real data/demo --steps 200:400:20

One grid is one draw from a chaotic run, so two settings are compared by the mean over many grids
(image/Faces_<step>.png, the run's fixed latents) rather than by the last one. Prints one row per
run: SWD x1e3 (mean of levels) against the real set (100 images held out, as compare.py does), at
each step, and their mean. Not part of CI.
"""
import argparse
import os
import sys

import numpy as np

from variants import ROOT, run


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('runs', nargs='+', help='run folders with image/Faces_<step>.png')
    p.add_argument('--real', default=os.path.join(ROOT, 'data', 'demo'), help='real faces')
    p.add_argument('--steps', default='200:400:20', help='FIRST:LAST:EVERY (default 200:400:20)')
    p.add_argument('--seed', type=int, default=0)
    args = p.parse_args(argv)
    sys.path.insert(0, ROOT)
    from gan.eval import metrics
    from gan.eval.imagesets import load_image_set
    from gan.eval.scores import split_real
    first, last, every = (int(v) for v in args.steps.split(':'))
    steps = list(range(first, last + 1, every))
    _, real = split_real(load_image_set(args.real), 100, args.seed)
    print('SWD x1e3 vs %s (%d images), seed %d' % (args.real, len(real), args.seed))
    print('%-28s ' % 'run' + ' '.join('%6d' % s for s in steps) + '    mean')
    for run_dir in args.runs:
        values = []
        for s in steps:
            path = os.path.join(run_dir, 'image', 'Faces_%d.png' % s)
            if not os.path.exists(path):
                sys.stderr.write('Error: %s not found; choose --steps the run saved\n' % path)
                return 1
            values.append(metrics.swd(load_image_set(path), real, seed=args.seed)['mean'])
        print('%-28s ' % run_dir[-28:] + ' '.join('%6.1f' % v for v in values)
              + '  %6.1f' % np.mean(values))
    return 0


if __name__ == '__main__':
    run(main)
