"""Fresh TensorFlow graph and session with seeds and thread settings, before any model is built."""
import os
import random
import sys
import weakref

import numpy as np

from .config import UserError
from .determinism import configure

# TensorFlow and Keras are imported inside the functions: the CLI loads this module for --help.

_SESSIONS = weakref.WeakSet()      # sessions setup() opened and something still holds


def setup(seed, deterministic=False, intra_threads=0, inter_threads=0):
    """Reset Keras' graph, seed Python, NumPy and TF, and open a session with the thread counts.

    Deterministic mode runs TF single-threaded (and asks cuDNN for deterministic kernels), so two
    runs with the same seed give bit-identical weights on the CPU. Otherwise GAN_TF_THREADS, when
    set, sizes both pools where no count is given (the study's engine sets it per run); else TF
    takes one thread per core.
    """
    os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
    import tensorflow as tf
    import keras.backend as K
    tf.compat.v1.logging.set_verbosity(tf.compat.v1.logging.ERROR)
    info = {}
    if deterministic:
        info = configure(True)
        intra_threads = inter_threads = 1
    given = os.environ.get('GAN_TF_THREADS', '')
    if given:
        if not given.isdigit() or int(given) < 1:
            raise UserError('GAN_TF_THREADS must be a positive whole number (got %r)' % given)
        intra_threads, inter_threads = intra_threads or int(given), inter_threads or int(given)
    # Resource variables: a training step's gradients read the weights as they were before the
    # step's updates. With TF1's default ref variables an optimizer update may land between two
    # reads of the same weight in one session.run (the executor's order decides), which makes the
    # result depend on how the graph happens to be laid out.
    tf.compat.v1.enable_resource_variables()
    K.clear_session()
    random.seed(seed)
    np.random.seed(seed)
    tf.compat.v1.set_random_seed(seed)
    cfg = tf.compat.v1.ConfigProto(intra_op_parallelism_threads=intra_threads,
                                   inter_op_parallelism_threads=inter_threads,
                                   allow_soft_placement=True)
    cfg.gpu_options.allow_growth = True
    if deterministic:
        # Grappler rewrites each function's graph when it first runs, and the result depends on
        # the whole graph at that moment; a resumed process (whose graph also holds the restore
        # ops) then computed gradients that differed in the last bits. Off, every run executes
        # the graph as built, so resumed and uninterrupted runs agree bit for bit.
        cfg.graph_options.rewrite_options.disable_meta_optimizer = True
    session = tf.compat.v1.Session(graph=tf.compat.v1.get_default_graph(), config=cfg)
    _SESSIONS.add(session)
    K.set_session(session)
    return info


def release():
    """Close the sessions setup() opened; every entry point calls this before it returns.

    Keras' compiled functions hold TF callables whose __del__ frees them in their session. Left to
    interpreter teardown, that runs after TF's modules are gone and prints "Exception ignored in
    ... TF_SessionReleaseCallable"; a closed session's callables free nothing, so exit is quiet.
    Without TensorFlow imported (--help, --dry-run) there is nothing to do.
    """
    if 'tensorflow' not in sys.modules:
        return
    for session in list(_SESSIONS):
        session.close()


def run_command(command, *args):
    """command(*args) as a CLI entry point: a UserError prints "Error: ..." and gives exit code 1;
    the sessions are closed on every way out."""
    try:
        return command(*args)
    except UserError as e:
        sys.stderr.write('Error: %s\n' % e)
        return 1
    finally:
        release()


def graph_size():
    """Number of ops in the current Keras graph (a growing count means a leak)."""
    import keras.backend as K
    return len(K.get_session().graph.get_operations())
