"""The set-up and test scripts: a missing Python gives a clear message; the split test run fails when either half does."""
import os
import subprocess
import sys

from conftest import ROOT


def test_missing_python_is_a_clear_error(tmp_path):
    env = {'PATH': '/usr/bin:/bin', 'HOME': str(tmp_path), 'PYENV_ROOT': str(tmp_path / 'no-pyenv')}
    r = subprocess.run(['bash', os.path.join(ROOT, 'scripts', 'setup-venv.sh'), '3.4',
                        str(tmp_path / 'venv')], env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, universal_newlines=True)
    assert r.returncode == 1
    assert 'Error: Python 3.4 was not found' in r.stderr
    assert 'pyenv install 3.4' in r.stderr and 'Docker' in r.stderr
    assert not (tmp_path / 'venv').exists()


def test_requirement_pins_are_the_documented_stack():
    text = open(os.path.join(ROOT, 'requirements.txt')).read()
    for pin in ('tensorflow==1.15.5', 'keras==2.3.1', 'h5py==2.10.0', 'numpy==1.18.5',
                'protobuf==3.20.3 ; python_version >= "3.7"'):
        assert pin in text
    import google.protobuf
    import h5py
    import keras
    import numpy
    assert keras.__version__ == '2.3.1' and h5py.__version__ == '2.10.0'
    assert numpy.__version__ == '1.18.5' and google.protobuf.__version__.startswith('3.')


def test_import_gan_shortens_openmp_spin_unless_the_user_set_it():
    """KMP_BLOCKTIME=1 for the oneDNN build's OpenMP runtime, set before TensorFlow loads it."""
    import sys
    code = 'import os, gan, sys; print(os.environ["KMP_BLOCKTIME"], "tensorflow" in sys.modules)'
    env = {k: v for k, v in os.environ.items() if k != 'KMP_BLOCKTIME'}
    for given, expected in ((None, '1'), ('30', '30')):
        if given is not None:
            env['KMP_BLOCKTIME'] = given
        out = subprocess.run([sys.executable, '-c', code], cwd=ROOT, env=env,
                             stdout=subprocess.PIPE, universal_newlines=True, check=True).stdout
        assert out.split() == [expected, 'False']


def _halves(tmp_path, slow_body, rest_body):
    (tmp_path / 'test_two.py').write_text(
        'import pytest\n\n\n@pytest.mark.slow\ndef test_marked_slow():\n    %s\n\n\n'
        'def test_not_marked():\n    %s\n' % (slow_body, rest_body))
    env = dict(os.environ, PYTEST_ADDOPTS='-p no:cacheprovider')
    return subprocess.run(['bash', os.path.join(ROOT, 'scripts', 'run-pytest.sh'), sys.executable,
                           '--halves', str(tmp_path / 'test_two.py')], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)


def test_make_tests_halves_run_every_test_and_fail_when_either_half_fails(tmp_path):
    ok = _halves(tmp_path, 'assert True', 'assert True')
    assert ok.returncode == 0, ok.stdout
    assert ok.stdout.count('1 passed, 1 deselected') == 2     # each half ran its one test
    slow_fails = _halves(tmp_path, 'assert False', 'assert True')
    assert slow_fails.returncode != 0 and 'test_marked_slow' in slow_fails.stdout
    rest_fails = _halves(tmp_path, 'assert True', 'assert False')
    assert rest_fails.returncode != 0 and 'test_not_marked' in rest_fails.stdout
