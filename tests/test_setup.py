"""The environment set-up script: a missing Python gives a clear message naming what to install."""
import os
import subprocess

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
