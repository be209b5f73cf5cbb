"""gan/allocator.py: glibc's count of held and in-use memory, checked in a child process."""
import os
import subprocess
import sys

import pytest

from conftest import ROOT

PATH = os.path.join(ROOT, 'gan', 'allocator.py')


def test_module_loads_without_tensorflow():
    code = ('import importlib.util, sys\n'
            'spec = importlib.util.spec_from_file_location("a", %r)\n'
            'spec.loader.exec_module(importlib.util.module_from_spec(spec))\n'
            'print("tensorflow" in sys.modules)' % PATH)
    r = subprocess.run([sys.executable, '-c', code], stdout=subprocess.PIPE, universal_newlines=True)
    assert r.stdout.strip() == 'False'


def test_usage_counts_a_block_the_program_holds():
    code = ('import ctypes, importlib.util\n'
            'spec = importlib.util.spec_from_file_location("a", %r)\n'
            'a = importlib.util.module_from_spec(spec); spec.loader.exec_module(a)\n'
            'libc = ctypes.CDLL(None); libc.malloc.restype = ctypes.c_void_p\n'
            'libc.free.argtypes = [ctypes.c_void_p]\n'
            'if a.usage_mb()[0] is None: print("none"); raise SystemExit\n'
            'before = a.usage_mb()[1]; p = libc.malloc(64 << 20); ctypes.memset(p, 1, 64 << 20)\n'
            'during = a.usage_mb(); libc.free(p); after = a.usage_mb()[1]\n'
            'print(during[1] - before, during[1] - after, during[0] >= during[1])' % PATH)
    r = subprocess.run([sys.executable, '-c', code], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True, timeout=60)
    assert r.returncode == 0, r.stderr
    if r.stdout.strip() == 'none':
        pytest.skip('glibc older than 2.33 has no mallinfo2')
    grew, freed, held_covers_used = r.stdout.split()
    assert 63.9 < float(grew) < 64.5 and 63.9 < float(freed) < 64.5 and held_covers_used == 'True'
