"""`python watch.py PARENT LOCK_FD CMD...`: run CMD as a child that ends with PARENT (the Dask
worker that started this), standard library only. SIGTERM or SIGINT here, or PARENT gone (seen by
polling, and at once through PR_SET_PDEATHSIG, which a dying multi-threaded worker may deliver
more than once), send the child one SIGTERM: train.py checkpoints on the first and aborts on a
second. LOCK_FD (the run folder's lock) stays open in the child. Exits with the child's status
(128 + n when a signal killed it)."""
import os
import signal
import subprocess
import sys


def main(argv):
    parent, lock, cmd = int(argv[0]), int(argv[1]), argv[2:]
    state = {'child': None, 'stop': False, 'sent': False}

    def stop(signum=None, frame=None):
        state['stop'] = True
        if state['child'] is not None and not state['sent']:
            state['sent'] = True
            state['child'].send_signal(signal.SIGTERM)

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, stop)
    state['child'] = subprocess.Popen(cmd, pass_fds=(lock,))
    if state['stop'] or os.getppid() != parent:     # a signal or the parent's end came first
        stop()
    while True:
        try:
            code = state['child'].wait(timeout=1.0)
            break
        except subprocess.TimeoutExpired:
            if os.getppid() != parent:
                stop()
    return 128 - code if code < 0 else code


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
