"""The variant syntax the A/B scripts share: EXECUTION:INTRA:INTER[:NAME=VALUE...][@PYTHON]."""
import os
import sys
from collections import namedtuple

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED_DATA = os.path.join(ROOT, '..', 'shared', 'data', 'anime64')
DEMO_DATA = os.path.join(ROOT, 'data', 'demo')

Variant = namedtuple('Variant', 'execution intra inter options env python')

SYNTAX = 'EXECUTION:INTRA:INTER[:NAME=VALUE...][@PYTHON]'


def parse_variant(text, flag='--variants'):
    """'fused:2:1:kernels=fast:MALLOC_ARENA_MAX=2@py' -> Variant('fused', 2, 1, {'kernels':
    'fast'}, {'MALLOC_ARENA_MAX': '2'}, 'py'). A NAME that is a gan.Config option (lower case, as
    in config.json) overrides that option, converted to its type; any other NAME is an environment
    variable of the worker. Without '@', the worker runs this interpreter."""
    spec, _, python = text.partition('@')
    fields = spec.split(':')
    if len(fields) < 3 or any('=' not in f for f in fields[3:]) \
            or not (fields[1].isdigit() and fields[2].isdigit()):
        raise SystemExit('Error: %s %r: expected %s' % (flag, text, SYNTAX))
    sys.path.insert(0, ROOT)
    from gan import Config
    defaults = Config()
    options, env = {}, {}
    for name, value in (f.split('=', 1) for f in fields[3:]):
        if name in Config._fields:
            kind = type(getattr(defaults, name)) if getattr(defaults, name) is not None else int
            options[name] = (value.lower() in ('1', 'true', 'yes')) if kind is bool else kind(value)
        else:
            env[name] = value
    return Variant(fields[0], int(fields[1]), int(fields[2]), options, env, python or sys.executable)


def default_data():
    """The real faces beside the project when present, else the bundled demo faces."""
    return SHARED_DATA if os.path.isdir(SHARED_DATA) else DEMO_DATA


def run(main):
    """Exit with main()'s code as the package's own commands do (gan.backend.run_command: a
    UserError prints "Error: ...", and the sessions are closed before interpreter teardown)."""
    sys.path.insert(0, ROOT)
    from gan import backend
    sys.exit(backend.run_command(main))
