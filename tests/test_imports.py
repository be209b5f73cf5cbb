"""The package's imports point one way: the training core, evaluation (gan/eval/) and the
equal-compute study (gan/study/) are packages by job, stacked in that order, and within them each
module imports only modules of lower layers, so the import graph has no cycle; imports sit at the
top of a module unless a heavy one is kept lazy on purpose. Read from the source with ast
(nothing is imported), except the last test."""
import ast
import os
import subprocess
import sys

from conftest import ROOT

PACKAGE = os.path.join(ROOT, 'gan')

# The packages bottom to top, each with its layers bottom to top (docs/architecture.md explains
# them). Modules of a subpackage are named with it ('eval.metrics'); the core's have no prefix.
# A module may import modules of the layers below its own (in this order, across packages),
# never of its own layer or above: a package imports nothing from the packages above it.
PACKAGES = [
    ('core', [
        ('primitives', ['config', 'batches', 'files', 'grids', 'loop', 'determinism',
                        'allocator']),
        ('parts', ['backend', 'networks', 'kernels', 'optim', 'data', 'io']),
        ('mechanisms', ['recipes', 'unroll', 'fused', 'hooks']),
        ('schemes', ['schemes']),
        ('model', ['gan']),
        ('commands', ['cli', 'datacheck']),
        ('package', ['__init__', '__main__']),
    ]),
    ('eval', [
        ('measures', ['eval.metrics', 'eval.references', 'eval.imagesets', 'eval.pictures']),
        ('sets and scores', ['eval.sets', 'eval.scores']),
        ('timeline', ['eval.timeline']),
        ('command', ['eval.cli']),
        ('package', ['eval.__init__']),
    ]),
    ('study', [
        ('parts', ['study.queue', 'study.flops', 'study.seeds', 'study.watch']),
        ('engine', ['study.engine']),
        ('matched', ['study.matched']),
        ('scores', ['study.scoreboard']),
        ('commands', ['study.cli']),
        ('package', ['study.__init__']),
    ]),
]
LAYERS = [('%s: %s' % (package, layer), modules)
          for package, layers in PACKAGES for layer, modules in layers]
LAYER_OF = {module: i for i, (_, modules) in enumerate(LAYERS) for module in modules}
PACKAGE_OF = {module: i for i, (_, layers) in enumerate(PACKAGES)
              for _, modules in layers for module in modules}

# Third-party modules that take long to load or print on import: a module the CLI loads for
# --help may import them only inside the functions that use them.
HEAVY = ('tensorflow', 'keras', 'cv2', 'h5py', 'matplotlib', 'scipy', 'PIL', 'tfdeterminism')


FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)


def _modules():
    """Every module under gan/, subpackages included, by its name in LAYERS."""
    found = []
    for folder, dirs, files in os.walk(PACKAGE):
        dirs[:] = [d for d in dirs if d != '__pycache__']
        prefix = os.path.relpath(folder, PACKAGE).replace(os.sep, '.')
        found += [name[:-3] if prefix == '.' else '%s.%s' % (prefix, name[:-3])
                  for name in files if name.endswith('.py')]
    return sorted(found)


def _path(module):
    return os.path.join(PACKAGE, *module.split('.')) + '.py'


def _resolve(parts):
    """The module that an import of the dotted package path `parts` loads: a module, else the
    package's __init__, else None (a name inside a module)."""
    name = '.'.join(parts)
    if os.path.isfile(_path(name or '__init__')):
        return name or '__init__'
    init = '.'.join(parts + ['__init__'])
    return init if os.path.isfile(_path(init)) else None


def _imports(module):
    """[(imported name, at_top)] of a module: package modules by their name in LAYERS
    ('eval.metrics'), others by their top-level package ('keras'); at_top is False inside a
    function."""
    with open(_path(module)) as f:
        tree = ast.parse(f.read())
    here = module.split('.')[:-1]               # the package the module is in ([] for the core)
    found = []

    def package_targets(base, names):
        targets = []
        for alias in names:                     # from X import a: module X.a, or a name of X
            targets.append(_resolve(base + [alias.name]) or _resolve(base))
        return targets

    def visit(node, in_function):
        for child in ast.iter_child_nodes(node):
            inner = in_function or isinstance(child, FUNCTIONS)
            if isinstance(child, ast.Import):
                for alias in child.names:
                    parts = alias.name.split('.')
                    if parts[0] == 'gan':
                        found.append((_resolve(parts[1:]), not in_function))
                    else:
                        found.append((parts[0], not in_function))
            elif isinstance(child, ast.ImportFrom):
                parts = child.module.split('.') if child.module else []
                if child.level == 0 and parts[0] != 'gan':
                    found.append((parts[0], not in_function))
                else:
                    base = parts[1:] if child.level == 0 else \
                        here[:len(here) - (child.level - 1)] + parts
                    found.extend((t, not in_function) for t in package_targets(base, child.names))
            visit(child, inner)
    visit(tree, False)
    return found


def _package_imports(module, top_only=False):
    return {name for name, at_top in _imports(module)
            if name in LAYER_OF and name != module and (at_top or not top_only)}


def _is_heavy(module, seen=()):
    """Whether importing `module` loads a HEAVY library (through its top-level imports)."""
    for name, at_top in _imports(module):
        if not at_top:
            continue
        if name in HEAVY:
            return True
        if name in LAYER_OF and name != module and name not in seen and \
                _is_heavy(name, seen + (module,)):
            return True
    return False


def test_every_module_has_a_layer():
    assert sorted(LAYER_OF) == _modules(), 'place new modules in LAYERS (and docs/architecture.md)'


def test_the_reader_resolves_relative_imports_of_subpackages():
    """What the checks below rest on: imports of both forms, at both depths, found."""
    assert _package_imports('eval.imagesets') == {'data', 'grids'}
    assert {'eval.metrics', 'eval.references', 'backend', 'io'} <= \
        _package_imports('eval.cli') | _package_imports('eval.sets') | \
        _package_imports('eval.scores')
    assert {'study.queue', 'eval.scores', 'eval.sets', 'io'} <= _package_imports('study.scoreboard')
    assert {'config', 'gan'} <= _package_imports('__init__')


def test_modules_import_only_from_lower_layers():
    wrong = ['%s (%s) imports %s (%s)' % (m, LAYERS[LAYER_OF[m]][0], d, LAYERS[LAYER_OF[d]][0])
             for m in _modules() for d in sorted(_package_imports(m)) if LAYER_OF[d] >= LAYER_OF[m]]
    assert not wrong, wrong


def test_the_core_imports_nothing_from_eval_or_study_and_eval_nothing_from_study():
    wrong = ['%s (%s) imports %s (%s)' % (m, PACKAGES[PACKAGE_OF[m]][0], d,
                                          PACKAGES[PACKAGE_OF[d]][0])
             for m in _modules() for d in sorted(_package_imports(m))
             if PACKAGE_OF[d] > PACKAGE_OF[m]]
    assert not wrong, wrong


def test_import_graph_has_no_cycle():
    graph = {m: _package_imports(m) for m in _modules()}
    done, path = set(), []

    def visit(m):
        if m in path:
            raise AssertionError('import cycle: %s' % ' -> '.join(path[path.index(m):] + [m]))
        if m in done:
            return
        path.append(m)
        for d in sorted(graph[m]):
            visit(d)
        path.pop()
        done.add(m)
    for m in graph:
        visit(m)


def test_imports_sit_at_the_top_unless_heavy_and_lazy_on_purpose():
    """Inside a function a module may import only a HEAVY library, or a package module that loads
    one while it does not itself (gan.gan keeps Keras out of `import gan`)."""
    wrong = []
    for m in _modules():
        for name, at_top in _imports(m):
            if at_top or name in HEAVY:
                continue
            if name in LAYER_OF and _is_heavy(name) and not _is_heavy(m):
                continue
            wrong.append('%s imports %s inside a function' % (m, name))
    assert not wrong, wrong


def test_networks_import_nothing_from_the_package():
    assert _package_imports('networks') == set()


COMMANDS = ('__init__', '__main__', 'cli', 'datacheck', 'eval.cli', 'study.cli')


def test_the_command_lines_load_no_heavy_library():
    """What --help and --dry-run load: read from the source, then checked in a fresh process."""
    for m in COMMANDS:
        assert not _is_heavy(m), m
    modules = ', '.join('gan.' + m for m in COMMANDS if m != '__init__')
    code = ('import sys, %s; print(sorted(set(m.split(".")[0] for m in sys.modules) & set(%r)))'
            % (modules, HEAVY))
    r = subprocess.run([sys.executable, '-c', code], cwd=ROOT, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, universal_newlines=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == '[]', r.stdout
