"""Argument parsing of the benchmark scripts (the scripts themselves are not run in CI)."""
import os
import sys

import pytest

from conftest import ROOT

sys.path.insert(0, os.path.join(ROOT, 'bench'))
from variants import Variant, parse_variant  # noqa: E402


def test_variant_with_options_environment_and_interpreter():
    assert parse_variant('fused:2:1:MALLOC_MMAP_THRESHOLD_=131072:kernels=fast:A=x=y'
                         ':label_smoothing=0.21:deterministic=1@/opt/py') == Variant(
        'fused', 2, 1, {'kernels': 'fast', 'label_smoothing': 0.21, 'deterministic': True},
        {'MALLOC_MMAP_THRESHOLD_': '131072', 'A': 'x=y'}, '/opt/py')
    assert parse_variant('keras:0:0') == ('keras', 0, 0, {}, {}, sys.executable)


@pytest.mark.parametrize('bad', ['fused:0', 'fused:0:0:NOEQUALS', 'fused:x:0'])
def test_variant_errors_name_the_flag(bad):
    with pytest.raises(SystemExit, match='--variants'):
        parse_variant(bad)
    with pytest.raises(SystemExit, match='--b'):
        parse_variant(bad, flag='--b')
