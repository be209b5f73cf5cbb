"""Fresh TensorFlow graph and session with seeds and thread settings, before any model is built."""
import os
import random

import numpy as np


def setup(seed, deterministic=False, intra_threads=0, inter_threads=0):
    """Reset Keras' graph, seed Python, NumPy and TF, and open a session with the thread counts.

    Deterministic mode runs TF single-threaded (and asks cuDNN for deterministic kernels), so two
    runs with the same seed give bit-identical weights on the CPU.
    """
    os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
    import tensorflow as tf
    import keras.backend as K
    tf.compat.v1.logging.set_verbosity(tf.compat.v1.logging.ERROR)
    info = {}
    if deterministic:
        from .determinism import configure
        info = configure(True)
        intra_threads = inter_threads = 1
    K.clear_session()
    random.seed(seed)
    np.random.seed(seed)
    tf.compat.v1.set_random_seed(seed)
    cfg = tf.compat.v1.ConfigProto(intra_op_parallelism_threads=intra_threads,
                                   inter_op_parallelism_threads=inter_threads,
                                   allow_soft_placement=True)
    cfg.gpu_options.allow_growth = True
    K.set_session(tf.compat.v1.Session(graph=tf.compat.v1.get_default_graph(), config=cfg))
    return info


def graph_size():
    """Number of ops in the current Keras graph (a growing count means a leak)."""
    import keras.backend as K
    return len(K.get_session().graph.get_operations())
