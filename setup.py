"""`pip install .` / `pip install -e .`: the gan package (with gan.eval and gan.study), its command
lines, and the pins of requirements.txt as its requirements (read from that file, so the two
never differ)."""
import os
import re

from setuptools import find_packages, setup

HERE = os.path.dirname(os.path.abspath(__file__))


def requirements(path=os.path.join(HERE, 'requirements.txt')):
    """The requirement lines of requirements.txt, environment markers kept, comments dropped."""
    with open(path) as f:
        lines = (line.split('#', 1)[0].strip() for line in f)
        return [line for line in lines if line]


def version():
    with open(os.path.join(HERE, 'gan', '__init__.py')) as f:
        return re.search(r"^__version__ = '([^']+)'", f.read(), re.M).group(1)


setup(
    name='gan-animation',
    version=version(),
    description='A faithful, pinned reproduction of the GAN_animation unrolled DCGAN '
                '(TensorFlow 1.15, Keras 2.3.1)',
    packages=find_packages(include=['gan', 'gan.*']),     # gan, gan.eval, gan.study
    package_data={'gan': ['presets/*.json', 'study/dask-config/*.yaml']},      # the presets are files (gan/config.py reads them)
    python_requires='>=3.6, <3.8',
    install_requires=requirements(),
    entry_points={'console_scripts': [
        'gan-train = gan.cli:train_main',
        'gan-sample = gan.cli:sample_main',
        'gan-compare = gan.eval.cli:main',
        'gan-datacheck = gan.datacheck:main',
        'gan-study = gan.study.cli:main',
    ]},
)
