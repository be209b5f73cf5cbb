"""setup.py: pip's metadata lists exactly the pins of requirements.txt, and the console scripts
point at the command lines (read from `setup.py egg_info`, no virtualenv made)."""
import importlib
import os
import re
import subprocess
import sys

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
