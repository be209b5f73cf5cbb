"""setup.py: pip's metadata lists exactly the pins of requirements.txt, and the console scripts
point at the command lines (read from `setup.py egg_info`, no virtualenv made); `pip install`
ships the preset files."""
import glob
import importlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile

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
    assert set(scripts) == {'gan-train', 'gan-sample', 'gan-compare', 'gan-datacheck', 'gan-budget'}
    for target in scripts.values():
        module, function = target.split(':')
        assert callable(getattr(importlib.import_module(module), function)), target


def test_build_artefacts_are_ignored():
    ignored = open(os.path.join(ROOT, '.gitignore')).read().split()
    for pattern in ('/build/', '/dist/', '*.egg-info/'):
        assert pattern in ignored


def test_pip_install_ships_the_preset_files(tmp_path):
    """An sdist of the tree (MANIFEST.in), then `pip install` of it (package_data): the installed
    package, imported away from this checkout, reads the same presets from its own files."""
    src = tmp_path / 'src'
    shutil.copytree(os.path.join(ROOT, 'gan'), str(src / 'gan'),
                    ignore=shutil.ignore_patterns('__pycache__', '*.pyc'))
    for name in ('setup.py', 'requirements.txt', 'constraints-py36.txt', 'MANIFEST.in'):
        shutil.copy(os.path.join(ROOT, name), str(src))
    quiet = dict(stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=300)
    r = subprocess.run([sys.executable, 'setup.py', '-q', 'sdist', '-d', str(tmp_path / 'dist')],
                       cwd=str(src), **quiet)
    assert r.returncode == 0, r.stderr
    sdist, = glob.glob(str(tmp_path / 'dist' / '*.tar.gz'))
    with tarfile.open(sdist) as tar:
        shipped = {os.path.basename(n) for n in tar.getnames() if '/gan/presets/' in n}
    assert shipped == set(os.listdir(os.path.join(ROOT, 'gan', 'presets')))
    target = tmp_path / 'site'
    r = subprocess.run([sys.executable, '-m', 'pip', 'install', '-q', '--no-deps',
                        '--no-build-isolation', '--no-index', '--target', str(target), sdist],
                       cwd=str(tmp_path), **quiet)
    assert r.returncode == 0, r.stderr
    probe = ('import json, gan.config as c; print(json.dumps([c.PRESET_DIR, '
             '{n: c.resolve(n)._asdict() for n in c.PRESETS}]))')
    r = subprocess.run([sys.executable, '-c', probe], cwd=str(tmp_path), **dict(
        quiet, env=dict(os.environ, PYTHONPATH=str(target), TF_CPP_MIN_LOG_LEVEL='2')))
    assert r.returncode == 0, r.stderr
    where, presets = json.loads(r.stdout)
    assert where == os.path.join(str(target), 'gan', 'presets')
    from gan.config import PRESETS, resolve
    assert presets == {n: resolve(n)._asdict() for n in PRESETS}
