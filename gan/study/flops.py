"""Training FLOPs of a recipe's step, counted from the ops its TensorFlow graph executes."""
import numpy as np

from .. import backend
from ..config import plan_epochs
from ..gan import GAN
from ..recipes import RealImages

# The yardstick (issue 24): the ops one training step runs, with TF's own kernels (--kernels
# stock, never the re-expressions of gan/kernels.py) and the original's separate Keras calls
# (--execution keras), each op costed by TensorFlow's own registered statistics ('flops':
# convolutions and their gradients, matrix products, elementwise arithmetic, reductions; a
# multiply-add is 2). Ops TF registers no count for (activations, copies) add nothing.


class _ShapeOnlyGraph(object):
    """What TF's registered flop functions read from a graph: tensor shapes, here the shapes the
    traced run actually had (the static ones have an unknown batch dimension)."""

    def __init__(self, graph, shapes):
        self.graph, self.shapes = graph, shapes

    def get_tensor_by_name(self, name):
        import tensorflow as tf
        known = self.shapes.get(name)
        shape = (tf.TensorShape(known) if known is not None
                 else self.graph.get_tensor_by_name(name).get_shape())
        return _Shaped(shape)


class _Shaped(object):
    """A tensor as the registered flop functions see it: its shape."""

    def __init__(self, shape):
        self.shape = shape

    def get_shape(self):
        return self.shape


def _shapes_of_run(run_metadata, feeds):
    """{'op:index': shape} of every tensor a traced run produced, plus the fed tensors."""
    shapes = dict(feeds)
    for dev in run_metadata.step_stats.dev_stats:
        for ns in dev.node_stats:
            for out in ns.output:
                dims = [d.size for d in out.tensor_description.shape.dim]
                shapes['%s:%d' % (ns.node_name, out.slot)] = dims
    return shapes


def flops_of_run(graph, run_metadata, feeds=()):
    """FLOPs of one traced session run: {op type: FLOPs}, every executed op costed once per
    execution by TF's registered 'flops' statistics with the shapes of that run."""
    from tensorflow.python.framework import ops
    shapes = _shapes_of_run(run_metadata, feeds)
    shaped = _ShapeOnlyGraph(graph, shapes)
    by_type = {}
    for dev in run_metadata.step_stats.dev_stats:
        for ns in dev.node_stats:
            try:
                op = graph.get_operation_by_name(ns.node_name)
            except (KeyError, ValueError):
                continue                    # runtime-only nodes (_SOURCE, _Recv, ...)
            try:
                stat = ops.get_stats_for_node_def(shaped, op.node_def, 'flops')
            except ValueError:              # a shape still unknown: not counted, but said
                by_type.setdefault('uncounted:' + op.type, 0)
                continue
            if stat.value:
                by_type[op.type] = by_type.get(op.type, 0) + int(stat.value)
    return by_type


class Tracer(object):
    """Traces every session run of the Keras session while `recording`: the runs of Keras
    functions (callables) and plain Session.run calls. Install before the first step, so the
    functions made then are traced too."""

    def __init__(self, session):
        import tensorflow as tf
        self.tf, self.session, self.recording, self.runs = tf, session, False, []
        make, run = session._make_callable_from_options, session.run

        def make_traced(opts):
            opts.run_options.trace_level = tf.compat.v1.RunOptions.SOFTWARE_TRACE
            fn = make(opts)
            feeds = list(opts.feed)

            def traced(*args, **kwargs):
                meta = tf.compat.v1.RunMetadata()
                kwargs['run_metadata'] = meta
                out = fn(*args, **kwargs)
                if self.recording:
                    self.runs.append((meta, {name: list(np.shape(a)) for name, a in zip(feeds, args)}))
                return out
            return traced

        def run_traced(fetches, feed_dict=None, options=None, run_metadata=None):
            if not self.recording:
                return run(fetches, feed_dict=feed_dict, options=options, run_metadata=run_metadata)
            options = options or tf.compat.v1.RunOptions(trace_level=tf.compat.v1.RunOptions.SOFTWARE_TRACE)
            meta = run_metadata if run_metadata is not None else tf.compat.v1.RunMetadata()
            out = run(fetches, feed_dict=feed_dict, options=options, run_metadata=meta)
            fed = {getattr(k, 'name', str(k)): list(np.shape(v)) for k, v in (feed_dict or {}).items()}
            self.runs.append((meta, fed))
            return out
        session._make_callable_from_options = make_traced
        session.run = run_traced

    def flops(self):
        """{op type: FLOPs} over the recorded runs."""
        total = {}
        for meta, feeds in self.runs:
            for k, v in flops_of_run(self.session.graph, meta, feeds).items():
                total[k] = total.get(k, 0) + v
        return total


def count_step_flops(cfg, n_images=None, seed=0, warmup=1):
    """FLOPs of one training step of `cfg`'s recipe: (total, {op type: FLOPs}).

    Built with TF's own kernels and the original's separate calls, grappler off (so the ops run
    are the graph's own), on random images of the real batch size; `warmup` steps run first (the
    first builds the functions), then one step is traced. Data and weights do not change the
    count, except that gated schemes skip an optimizer's apply (counted here as applied when the
    random start opens the gate) and an extra G step (--g-extra-threshold) is counted only when
    it fires; `extra_g_step_flops` counts that step alone.
    """
    cfg = cfg._replace(kernels='stock', execution='keras', tensorboard=False, seed=seed)
    n = n_images or max(4 * cfg.batch_size, 512)
    cfg = plan_epochs(cfg, n)
    backend.setup(seed, deterministic=True)
    import keras.backend as K
    tracer = Tracer(K.get_session())
    gan = GAN(cfg)
    images = np.random.RandomState(seed).randint(0, 256, (n, 64, 64, 3)).astype(np.uint8)
    real = RealImages(images, gan.config)
    for step in range(1, warmup + 1):
        gan.train_step(real.for_step(step), step=step)
    tracer.recording = True
    gan.train_step(real.for_step(warmup + 1), step=warmup + 1)
    tracer.recording = False
    by_type = tracer.flops()
    counted = {k: v for k, v in by_type.items() if not k.startswith('uncounted:')}
    return sum(counted.values()), by_type

