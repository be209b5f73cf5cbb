"""bench/envelope.py tells the same math from a changed one (tiny networks, one step)."""
import os
import sys

import pytest

from conftest import ROOT

sys.path.insert(0, os.path.join(ROOT, 'bench'))
import envelope  # noqa: E402


@pytest.mark.slow
def test_envelope_passes_identical_runs_and_fails_math_changes():
    args = envelope.parser().parse_args([
        '--arch', 'tiny', '--batch-size', '8', '--unroll-steps', '1', '--steps', '1',
        '--data', os.path.join(ROOT, 'data', 'demo'), '--a', 'fused:1:1',
        '--b', 'fused:1:1,fused:1:1:label_smoothing=0.21,fused:1:1:adam_epsilon=0.001'])
    figures = envelope.measure(args)
    same, smoothing, epsilon = [figures[b] for b in args.b.split(',')]
    # the same execution twice, deterministic: exactly equal, and the perturbation did move A
    assert all(same[k] == 0 for k in ('loss', 'd_gradient', 'g_gradient', 'update', 'steps'))
    assert same['update_envelope'] > 0 and same['steps_envelope'] > 0 and same['passes']
    # another label smoothing changes the loss on the same inputs
    assert smoothing['loss'] > 1e-3 and not smoothing['passes']
    # another Adam epsilon leaves loss and gradients alone but moves the weights elsewhere
    assert epsilon['loss'] == 0 and epsilon['d_gradient'] == 0
    assert epsilon['update'] > 10 * epsilon['update_envelope'] and not epsilon['passes']


def test_variants_share_a_worker_process_only_with_equal_interpreter_environment_and_threads():
    key = envelope.process_key
    assert key('fused:1:1') == key('keras:1:1:label_smoothing=0.3') == key('fused:1:1:kernels=fast')
    assert key('fused:1:1') != key('fused:2:1') != key('fused:2:2')
    assert key('fused:1:1') != key('fused:1:1:KMP_BLOCKTIME=1')
    assert key('fused:1:1') != key('fused:1:1@/opt/other/python')
