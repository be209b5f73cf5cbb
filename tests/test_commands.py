"""`python -m gan PART`: one command surface. Its parts are the packages' own command lines, and
the root shims and console scripts call the same mains."""
import ast
import json
import os
import re
import subprocess
import sys

import pytest

from conftest import ROOT
from gan import io
from gan.__main__ import PARTS, main, part_main

# Each part's own program name, as its --help shows it.
PROGS = {'train': 'train.py', 'sample': 'sample.py', 'compare': 'compare.py', 'study': 'study.py',
         'datacheck': 'python -m gan datacheck', 'flops': 'python -m gan flops'}
SHIMS = {'train.py': 'train', 'sample.py': 'sample', 'compare.py': 'compare', 'study.py': 'study'}


def run(args, timeout=120):
    env = dict(os.environ, PYTHONPATH=ROOT, TF_CPP_MIN_LOG_LEVEL='2')
    return subprocess.run([sys.executable] + args, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True, timeout=timeout)


def test_help_lists_every_part_with_one_line():
    r = run(['-m', 'gan', '--help'])
    assert r.returncode == 0 and r.stderr == '', r.stderr
    assert [p[0] for p in PARTS] == list(PROGS)
    for name, _, _, what in PARTS:
        assert re.search(r'^  %s +%s$' % (re.escape(name), re.escape(what)), r.stdout, re.M), name


@pytest.mark.parametrize('args,said', [(['trian'], "unknown part 'trian'"),
                                       (['--steps', '5'], "unknown part '--steps'"),
                                       ([], 'no part given')])
def test_an_unknown_or_missing_part_is_an_error_naming_it(args, said):
    r = run(['-m', 'gan'] + args)
    assert r.returncode == 2 and r.stdout == ''
    assert 'Error: %s; choose one of train, sample, compare, study, datacheck, flops' % said \
        in r.stderr


@pytest.mark.parametrize('part', list(PROGS))
def test_each_part_answers_with_its_own_command_line(part, capsys, monkeypatch):
    monkeypatch.setattr(sys, 'argv', ['-'])              # main() renames the program
    with pytest.raises(SystemExit) as e:
        main([part, '--help'])
    assert e.value.code == 0
    assert capsys.readouterr().out.startswith('usage: %s ' % PROGS[part])
    assert sys.argv == ['python -m gan %s' % part, '--help']


def _console_scripts():
    """{name: (module, function)} of setup.py's console scripts, read from its source."""
    text = open(os.path.join(ROOT, 'setup.py')).read()
    return {name: (module, function) for name, module, function
            in re.findall(r"'(gan-[\w-]+) = ([\w.]+):(\w+)'", text)}


def _shim_target(path):
    """(module, function) a root shim imports and calls."""
    tree = ast.parse(open(os.path.join(ROOT, path)).read())
    found = [(n.module, a.name) for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)
             and n.module.startswith('gan') for a in n.names]
    assert len(found) == 1, (path, found)
    return found[0]


def test_shims_and_console_scripts_call_the_mains_of_the_parts():
    parts = {name: (module, function) for name, module, function, _ in PARTS}
    scripts = _console_scripts()
    assert set(scripts) == {'gan-train', 'gan-sample', 'gan-compare', 'gan-study', 'gan-datacheck'}
    for name, target in scripts.items():
        assert target == parts[name[len('gan-'):]], name
    for path, part in SHIMS.items():
        assert _shim_target(path) == parts[part], path
    for name in parts:
        assert callable(part_main(name)), name


def test_train_dry_run_is_the_same_through_the_module_and_the_shim():
    flags = ['--dry-run', '--seed', '3', '--preset', 'ganime']
    by_module, by_shim = run(['-m', 'gan', 'train'] + flags), run(['train.py'] + flags)
    assert by_module.returncode == 0 and by_shim.returncode == 0, by_module.stderr + by_shim.stderr
    assert by_module.stdout == by_shim.stdout
    assert json.loads(by_module.stdout)['preset'] == 'ganime'


def test_restart_every_reexecutes_training_started_as_python_m_gan(tmp_path):
    """--restart-every re-executes the training in place; started as `python -m gan train`, it
    must not re-run gan/__main__.py as a script (no part, and gan/ on the path)."""
    out = str(tmp_path)
    r = run(['-m', 'gan', 'train', '--arch', 'tiny', '--batch-size', '8', '--unroll-steps', '1',
             '--seed', '5', '--steps', '4', '--restart-every', '2', '--sample-interval', '2',
             '--checkpoint-interval', '2', '--grid-size', '2', '--no-tensorboard',
             '--data', os.path.join(ROOT, 'data', 'demo'), '--out', out], timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    assert re.findall(r'restarting the process at step (\d+)', r.stdout) == ['2']
    assert io.latest_step(os.path.join(out, '1')) == 4
