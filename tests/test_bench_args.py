"""Argument parsing of the benchmark scripts (the scripts themselves are not run in CI)."""
import os
import sys

import pytest

from conftest import ROOT

sys.path.insert(0, os.path.join(ROOT, 'bench'))
import ab_step  # noqa: E402


def test_ab_variant_with_environment_and_interpreter():
    assert ab_step.parse_variant('fused:2:1:MALLOC_MMAP_THRESHOLD_=131072:A=x=y@/opt/py') == (
        'fused', 2, 1, {'MALLOC_MMAP_THRESHOLD_': '131072', 'A': 'x=y'}, '/opt/py')
    assert ab_step.parse_variant('keras:0:0') == ('keras', 0, 0, {}, sys.executable)


@pytest.mark.parametrize('bad', ['fused:0', 'fused:0:0:NOEQUALS'])
def test_ab_variant_errors_name_the_flag(bad, capsys):
    with pytest.raises(SystemExit, match='--variants'):
        ab_step.parse_variant(bad)
