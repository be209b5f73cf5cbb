"""`python -m gan PART [ARGS]`: the package's command lines in one place. Each part is its own
package's command line; the root shims (train.py, sample.py, compare.py, study.py) and the
console scripts (setup.py) call the same mains."""
import importlib
import sys

# (part, module, main, what it does): the order of `python -m gan --help`. Imported only when
# chosen, so a part loads nothing of the others (and --help loads none of them).
PARTS = (
    ('train', 'gan.cli', 'train_main', 'train a preset (train.py)'),
    ('sample', 'gan.cli', 'sample_main', 'a grid or N images from a checkpoint (sample.py)'),
    ('compare', 'gan.eval.cli', 'main',
     "a run's images against real ones and the published grids; its timeline (compare.py)"),
    ('study', 'gan.study.cli', 'main', 'train presets to one compute budget and score them '
     '(study.py)'),
    ('datacheck', 'gan.datacheck', 'main', 'what training will see in a folder of images'),
    ('flops', 'gan.study.cli', 'flops_main', "the FLOPs of one training step of a preset"),
)
USAGE = 'usage: python -m gan {%s} [ARGS]' % ','.join(p[0] for p in PARTS)


def help_text():
    lines = [USAGE, '', 'The command lines of gan-animation; `python -m gan PART --help` shows a '
             "part's options.", '', 'parts:']
    lines += ['  %-10s %s' % (name, what) for name, _, _, what in PARTS]
    return '\n'.join(lines)


def part_main(name):
    """The main function of part `name` (KeyError when there is no such part)."""
    module, function = {p[0]: p[1:3] for p in PARTS}[name]
    return getattr(importlib.import_module(module), function)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] in ('-h', '--help'):
        print(help_text())
        return 0
    if not argv or argv[0] not in {p[0] for p in PARTS}:
        what = 'unknown part %r' % argv[0] if argv else 'no part given'
        sys.stderr.write('%s\nError: %s; choose one of %s (python -m gan --help)\n'
                         % (USAGE, what, ', '.join(p[0] for p in PARTS)))
        return 2
    # The part runs as its own program: train's --restart-every re-executes `train_main`, not
    # this file (which cannot run as a plain script).
    sys.argv = ['python -m gan %s' % argv[0]] + argv[1:]
    return part_main(argv[0])(argv[1:])


if __name__ == '__main__':
    sys.exit(main())
