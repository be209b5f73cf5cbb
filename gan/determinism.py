"""Deterministic GPU kernels for TF 1.15: cuDNN's switch plus the bias_add gradient patch."""
import importlib.util
import os
import sys

# TensorFlow and tensorflow-determinism are imported only when a patch is asked for: the CLI
# loads this module (through gan.backend) for --help.

# Read by stock TF 1.14/1.15 when cuDNN convolutions and pooling pick their algorithms.
CUDNN_VAR = 'TF_CUDNN_DETERMINISTIC'
# Read by NVIDIA's own TF1 builds (the NGC image); stock TF only reads it from 2.1 on.
OPS_VAR = 'TF_DETERMINISTIC_OPS'
# Set in NVIDIA's NGC TensorFlow images; tensorflow-determinism refuses to patch there.
NGC_VAR = 'NVIDIA_TENSORFLOW_VERSION'


def _importable(name):
    """True if `import name` would find a module, without importing it."""
    if name in sys.modules:
        return sys.modules[name] is not None
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def _environment():
    return {name: os.environ.get(name) for name in (CUDNN_VAR, OPS_VAR, NGC_VAR)}


def configure(enabled):
    """Ask TensorFlow for deterministic GPU kernels; call it before any graph or model is built.

    When `enabled`, sets TF_CUDNN_DETERMINISTIC=1 and patches bias_add's gradient (whose GPU
    kernel adds with atomics) with tensorflow-determinism, if that package is installed and the
    TensorFlow build has CUDA. In NVIDIA's NGC build, which makes bias_add deterministic itself,
    it sets TF_DETERMINISTIC_OPS=1 instead of patching. When not `enabled`, it changes nothing.

    Returns a JSON-serialisable dict of what was done, for the run's config.json:
    `enabled`, `bias_add_patch` (one of 'off', 'applied', 'not needed', 'not installed',
    'failed'), `detail` (a sentence) and `environment` (the variables afterwards).
    Errors of the patch are caught and reported there, never raised.
    """
    report = {'enabled': bool(enabled), 'bias_add_patch': 'off', 'detail': '',
              'tensorflow_determinism': None}
    if not enabled:
        report['detail'] = ('deterministic mode is off; any variables shown were set by the '
                            'caller, not here')
        report['environment'] = _environment()
        return report

    os.environ[CUDNN_VAR] = '1'
    if os.environ.get(NGC_VAR):
        os.environ[OPS_VAR] = '1'
        report['bias_add_patch'] = 'not needed'
        report['detail'] = ('NVIDIA TensorFlow %s makes bias_add deterministic itself under '
                            '%s=1' % (os.environ[NGC_VAR], OPS_VAR))
    elif not _importable('tfdeterminism'):
        report['bias_add_patch'] = 'not installed'
        report['detail'] = ('tensorflow-determinism is not installed: on a GPU, the gradient of '
                            'bias_add stays non-deterministic (the Docker image has it; on a '
                            'CPU it does not matter)')
    else:
        _patch_bias_add(report)
    report['environment'] = _environment()
    return report


def _patch_bias_add(report):
    """Apply tensorflow-determinism's patch if this TensorFlow build can use a GPU."""
    try:
        import tensorflow as tf
        with_cuda = bool(tf.test.is_built_with_cuda())
    except Exception as exc:  # a broken install is reported, not raised
        report['bias_add_patch'] = 'failed'
        report['detail'] = 'could not ask TensorFlow for its build: %s: %s' % (
            type(exc).__name__, exc)
        return
    if not with_cuda:
        report['bias_add_patch'] = 'not needed'
        report['detail'] = ('CPU-only TensorFlow build: bias_add is deterministic on the CPU, '
                            'so the patch was skipped')
        return
    try:
        import tfdeterminism
        report['tensorflow_determinism'] = getattr(tfdeterminism, '__version__', None)
        tfdeterminism.patch()
    except Exception as exc:  # e.g. "No patch available for version ..."
        report['bias_add_patch'] = 'failed'
        report['detail'] = 'tensorflow-determinism could not patch: %s: %s' % (
            type(exc).__name__, exc)
        return
    report['bias_add_patch'] = 'applied'
    report['detail'] = ('tensorflow-determinism %s replaced tf.nn.bias_add with a deterministic '
                        'version' % report['tensorflow_determinism'])
