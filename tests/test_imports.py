"""The package's imports point one way: each module of gan/ imports only modules of lower layers,
so the import graph has no cycle; imports sit at the top of a module unless a heavy one is kept
lazy on purpose. Read from the source with ast (nothing is imported), except the last test."""
import ast
import os
import subprocess
import sys

from conftest import ROOT

PACKAGE = os.path.join(ROOT, 'gan')

# The layers, bottom to top (docs/architecture.md explains them). A module may import modules of
# the layers below its own, never of its own layer or above.
LAYERS = [
    ('primitives', ['config', 'batches', 'files', 'grids', 'loop', 'determinism', 'allocator']),
    ('parts', ['backend', 'networks', 'kernels', 'optim', 'data', 'io']),
    ('mechanisms', ['recipes', 'unroll', 'fused', 'hooks']),
    ('schemes', ['schemes']),
    ('model', ['gan']),
    ('commands', ['cli', 'datacheck']),
    ('package', ['__init__']),
]
LAYER_OF = {module: i for i, (_, modules) in enumerate(LAYERS) for module in modules}

# Third-party modules that take long to load or print on import: a module the CLI loads for
# --help may import them only inside the functions that use them.
HEAVY = ('tensorflow', 'keras', 'cv2', 'h5py', 'matplotlib', 'scipy', 'PIL', 'tfdeterminism')


FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)


def _modules():
    return sorted(name[:-3] for name in os.listdir(PACKAGE) if name.endswith('.py'))


def _imports(module):
    """[(imported name, at_top)] of a module: package modules by their short name ('io'),
    others by their top-level package ('keras'); at_top is False inside a function."""
    with open(os.path.join(PACKAGE, module + '.py')) as f:
        tree = ast.parse(f.read())
    found = []

    def visit(node, in_function):
        for child in ast.iter_child_nodes(node):
            inner = in_function or isinstance(child, FUNCTIONS)
            if isinstance(child, ast.Import):
                found.extend((alias.name.split('.')[0], not in_function) for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                if child.level == 0:
                    found.append((child.module.split('.')[0], not in_function))
                elif child.module:                              # from .x import y
                    found.append((child.module.split('.')[0], not in_function))
                else:                                           # from . import x, y
                    found.extend((alias.name, not in_function) for alias in child.names)
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


def test_modules_import_only_from_lower_layers():
    wrong = ['%s (%s) imports %s (%s)' % (m, LAYERS[LAYER_OF[m]][0], d, LAYERS[LAYER_OF[d]][0])
             for m in _modules() for d in sorted(_package_imports(m)) if LAYER_OF[d] >= LAYER_OF[m]]
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


def test_the_command_lines_load_no_heavy_library():
    """What --help and --dry-run load: read from the source, then checked in a fresh process."""
    for m in ('__init__', 'cli'):
        assert not _is_heavy(m), m
    code = ('import sys, gan.cli, gan.eval.cli; '
            'print(sorted(set(m.split(".")[0] for m in sys.modules) & set(%r)))' % (HEAVY,))
    r = subprocess.run([sys.executable, '-c', code], cwd=ROOT, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, universal_newlines=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == '[]', r.stdout
