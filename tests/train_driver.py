"""Runs train.py's main in a subprocess with optional fault injection (used by test_resume.py).

Environment: CRASH_AT_WRITE=N SIGKILLs this process inside the N-th atomic file write, after the
temporary file is complete and before the rename; NAN_AT_STEP=N makes step N report a NaN loss;
FREE_BYTES=N pretends the disk has N bytes free; SHOW_PID=1 prints this process's id at start.
"""
import os
import signal
import sys

from gan import cli, io

if os.environ.get('CRASH_AT_WRITE'):
    target, count, original = int(os.environ['CRASH_AT_WRITE']), [0], io.atomic_write

    def crashing_write(path, write):
        def write_then_die(tmp):
            write(tmp)
            count[0] += 1
            if count[0] == target:
                os.kill(os.getpid(), signal.SIGKILL)
        original(path, write_then_die)
    io.atomic_write = crashing_write

if os.environ.get('NAN_AT_STEP'):
    from gan.gan import GAN
    bad_step, original_step = int(os.environ['NAN_AT_STEP']), GAN.train_step

    def nan_step(self, sample_real):
        logs = original_step(self, sample_real)
        self._steps_run = getattr(self, '_steps_run', 0) + 1
        if self._steps_run == bad_step:
            logs['g_loss'] = float('nan')
        return logs
    GAN.train_step = nan_step

if os.environ.get('FREE_BYTES'):
    import shutil
    from collections import namedtuple
    Usage = namedtuple('Usage', 'total used free')
    shutil.disk_usage = lambda path: Usage(10 ** 12, 0, int(os.environ['FREE_BYTES']))

if __name__ == '__main__':
    if os.environ.get('SHOW_PID'):
        print('driver pid %d' % os.getpid())
    sys.exit(cli.train_main(sys.argv[1:]))
