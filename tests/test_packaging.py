"""setup.py: pip's metadata lists exactly the pins of requirements.txt, the console scripts
point at the command lines (read from `setup.py egg_info`), and a wheel ships every module of
the package and runs installed on its own (into a temporary folder, no virtualenv made)."""
import fnmatch
import importlib
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile

import pytest

from conftest import ROOT


@pytest.fixture(scope='module')
def egg_info(tmp_path_factory):
    out = tmp_path_factory.mktemp('egg')
    r = subprocess.run([sys.executable, 'setup.py', '-q', 'egg_info', '--egg-base', str(out)],
                       cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return os.path.join(str(out), 'gan_animation.egg-info')


def _squeeze(requirement):
    return re.sub(r'\s+', '', requirement).replace("'", '"')


def test_requirements_are_the_pins_of_requirements_txt(egg_info):
    listed = set()
    marker = ''
    for line in open(os.path.join(egg_info, 'requires.txt')).read().splitlines():
        if line.startswith('['):                    # [:python_version >= "3.7"]
            marker = line.strip('[]').lstrip(':')
        elif line.strip():
            listed.add(_squeeze(line + (';' + marker if marker else '')))
    pins = set()
    for line in open(os.path.join(ROOT, 'requirements.txt')):
        line = line.split('#', 1)[0].strip()
        if line:
            pins.add(_squeeze(line))
    assert listed == pins


def test_console_scripts_name_the_command_lines(egg_info):
    text = open(os.path.join(egg_info, 'entry_points.txt')).read()
    scripts = dict(re.findall(r'^(gan-[\w-]+) = ([\w.:]+)$', text, re.M))
    assert set(scripts) == {'gan-train', 'gan-sample', 'gan-compare', 'gan-datacheck', 'gan-study'}
    for target in scripts.values():
        module, function = target.split(':')
        assert callable(getattr(importlib.import_module(module), function)), target


def test_build_artefacts_are_ignored():
    ignored = open(os.path.join(ROOT, '.gitignore')).read().split()
    for pattern in ('/build/', '/dist/', '*.egg-info/'):
        assert pattern in ignored


@pytest.fixture(scope='module')
def wheel(tmp_path_factory):
    """A wheel built from a copy of the package's sources (the checkout is left untouched)."""
    pytest.importorskip('wheel')
    src = tmp_path_factory.mktemp('src')
    for name in ('setup.py', 'requirements.txt', 'MANIFEST.in'):
        shutil.copy(os.path.join(ROOT, name), str(src / name))
    shutil.copytree(os.path.join(ROOT, 'gan'), str(src / 'gan'),
                    ignore=shutil.ignore_patterns('__pycache__'))
    dist = tmp_path_factory.mktemp('dist')
    r = subprocess.run([sys.executable, 'setup.py', '-q', 'bdist_wheel', '--dist-dir', str(dist)],
                       cwd=str(src), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True, timeout=300)
    assert r.returncode == 0, r.stderr
    built = os.listdir(str(dist))
    assert len(built) == 1 and built[0].endswith('.whl'), built
    return os.path.join(str(dist), built[0])


def _package_files():
    """Files under gan/ that the package ships: its modules (subpackages too) and package data."""
    patterns = ('*.py', os.path.join('presets', '*.json'), os.path.join('study', 'dask-config', '*.yaml'))
    found = set()
    for folder, dirs, files in os.walk(os.path.join(ROOT, 'gan')):
        dirs[:] = [d for d in dirs if d != '__pycache__']
        for name in files:
            rel = os.path.relpath(os.path.join(folder, name), ROOT)
            if any(fnmatch.fnmatch(os.path.relpath(rel, 'gan'), p) for p in patterns):
                found.add(rel.replace(os.sep, '/'))
    return found


def test_the_wheel_ships_every_module_and_the_package_data(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    shipped = {n for n in names if n.startswith('gan/')}
    assert shipped == _package_files()
    assert {'gan/__main__.py', 'gan/eval/__init__.py', 'gan/study/__init__.py'} <= shipped
    assert not [n for n in names if n.split('/')[0] in ('tests', 'bench', 'scripts', 'docs')]


def test_the_installed_package_runs_each_command_line(wheel, tmp_path):
    """Installed without the checkout: `python -m gan` and the parts of both subpackages."""
    target = tmp_path / 'site'
    r = subprocess.run([sys.executable, '-m', 'pip', 'install', '-q', '--no-deps', '--target',
                        str(target), wheel], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True, timeout=300)
    assert r.returncode == 0, r.stderr
    env = dict(os.environ, PYTHONPATH=str(target))
    for args, expect in ((['--help'], 'flops'), (['compare', '--help'], 'usage: compare.py'),
                         (['study', '--help'], 'usage: study.py')):
        r = subprocess.run([sys.executable, '-m', 'gan'] + args, cwd=str(tmp_path), env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           universal_newlines=True, timeout=120)
        assert r.returncode == 0 and expect in r.stdout, r.stderr
    r = subprocess.run([sys.executable, '-c', 'import gan; print(gan.__file__)'], cwd=str(tmp_path),
                       env=env, stdout=subprocess.PIPE, universal_newlines=True, timeout=120)
    assert r.stdout.strip().startswith(str(target))
    # the installed package reads the same presets from its own files
    probe = ('import json, gan.config as c; print(json.dumps([c.PRESET_DIR, '
             '{n: c.resolve(n)._asdict() for n in c.PRESETS}]))')
    r = subprocess.run([sys.executable, '-c', probe], cwd=str(tmp_path), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, universal_newlines=True, timeout=120,
                       env=dict(env, TF_CPP_MIN_LOG_LEVEL='2'))
    assert r.returncode == 0, r.stderr
    where, presets = json.loads(r.stdout)
    assert where == os.path.join(str(target), 'gan', 'presets')
    from gan.config import PRESETS, resolve
    assert presets == {n: resolve(n)._asdict() for n in PRESETS}
