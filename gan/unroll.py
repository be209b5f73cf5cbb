"""In-graph snapshot and restore of a set of variables (the unrolled discriminator's weights)."""
import keras.backend as K
import tensorflow as tf


class Snapshot(object):
    """Shadow copies of `variables` with one op to save them and one to restore them.

    Both ops are built once, so calling them never grows the graph, and the values never
    leave the TensorFlow runtime (no get_weights/set_weights round trip through NumPy).
    """

    def __init__(self, variables, name='snapshot'):
        self.variables = list(variables)
        with tf.name_scope(name):
            self._shadows = [tf.Variable(tf.zeros(v.shape, dtype=v.dtype.base_dtype), trainable=False,
                                         name='shadow_%d' % i)
                             for i, v in enumerate(self.variables)]
            K.get_session().run([s.initializer for s in self._shadows])
            self._save_op = tf.group(*[s.assign(v) for s, v in zip(self._shadows, self.variables)])
            self._restore_op = tf.group(*[v.assign(s) for s, v in zip(self._shadows, self.variables)])

    def save(self):
        K.get_session().run(self._save_op)

    def restore(self):
        K.get_session().run(self._restore_op)

    def values(self):
        """The saved values as NumPy arrays (for tests and diagnostics)."""
        return K.get_session().run(self._shadows)
