"""Convolution kernels re-expressed as faster ones: the same sums of products in another order."""
import types

import keras.backend as K
import tensorflow as tf
from keras.layers import Conv2D, Conv2DTranspose

KERNELS = ('stock', 'fast')

# Above this many input pixels per image, TF's own transposed convolution (a matrix product and a
# scatter of non-overlapping blocks) was as fast as the matrix product and interleave below
# (docs/performance.md); under it, the matrix product is 2-4x faster.
MATMUL_TRANSPOSE_MAX_PIXELS = 64


def interleave(phases, s):
    """phases[a][b] of shape (N, H, W, C) -> (N, s*H, s*W, C) with out[s*i + a, s*j + b] =
    phases[a][b][i, j]."""
    rows = [tf.stack(row, axis=3) for row in phases]       # (N, H, W, s, C) per a
    x = tf.stack(rows, axis=2)                              # (N, H, s, W, s, C)
    shape = tf.shape(x)
    return tf.reshape(x, tf.stack([shape[0], shape[1] * s, shape[3] * s, shape[5]]))


def conv_transpose_as_matmul(x, kernel, stride):
    """Conv2DTranspose (NHWC) whose kernel size equals its stride `s`: windows never overlap, so
    output pixel (s*i + a, s*j + b) is x[i, j] times kernel tap (a, b). One matrix product
    (N*H*W, C_in) x (C_in, s*C_out) per row offset a, then interleaved. `kernel` has Keras'
    layout (s, s, C_out, C_in)."""
    s = int(stride)
    c_out, c_in = int(kernel.shape[2]), int(kernel.shape[3])
    shape = tf.shape(x)
    flat = tf.reshape(x, [-1, c_in])
    rows = []
    for a in range(s):
        w = tf.reshape(tf.transpose(kernel[a], [2, 0, 1]), [c_in, s * c_out])   # columns (b, C_out)
        y = tf.reshape(tf.matmul(flat, w), tf.stack([shape[0], shape[1], shape[2], s, c_out]))
        rows.append(y)
    y = tf.stack(rows, axis=2)                              # (N, H, s, W, s, C_out)
    return tf.reshape(y, tf.stack([shape[0], shape[1] * s, shape[2] * s, c_out]))


def phase_taps(k, s, pad):
    """Per spatial axis of a convolution (kernel k, stride s, `pad` cells before the input): for
    each input phase a, the pairs (d, tap) with dx[s*m + a] = sum dy[m - d] W[tap], d falling."""
    return [[(d, s * d + a + pad) for d in range(k, -k - 1, -1) if 0 <= s * d + a + pad < k]
            for a in range(s)]


def conv_output_size(size, k, s, padding):
    """A convolution's output length along one axis, by TF's rule for 'same' and 'valid'."""
    return -(-size // s) if padding == 'same' else (size - k) // s + 1


def pad_before(size, k, s, padding):
    """The cells TF pads before the input along one axis ('same': half the total, rounded down)."""
    if padding != 'same':
        return 0
    return max((conv_output_size(size, k, s, padding) - 1) * s + k - size, 0) // 2


def conv2d_input_gradient(dy, kernel, in_size, strides, padding):
    """The gradient w.r.t. x of conv2d(x, kernel, strides, padding) (NHWC, equal strides).

    Per axis, dx[s*m + a] = sum_d dy[m - d] W[s*d + a + pad]: the input pixels of one phase
    (a, b) receive a stride-1 correlation of dy with the kernel taps that reach them. So dx is s*s
    small forward convolutions (together exactly the multiply-adds of Conv2DBackpropInput),
    interleaved and cropped to the input size.
    """
    kh, kw, c_in, _ = [int(d) for d in kernel.shape]
    s = int(strides[0])
    h, w = in_size
    # the output size from the input's (dy's static shape can be unknown, e.g. after an AddN)
    oh, ow = conv_output_size(h, kh, s, padding), conv_output_size(w, kw, s, padding)
    dy.set_shape([None, oh, ow, None])
    n = tf.shape(dy)[0]
    axes = []
    for size, out, k in ((h, oh, kh), (w, ow, kw)):
        taps = phase_taps(k, s, pad_before(size, k, s, padding))
        axes.append((taps, -(-size // s), out))             # rows per phase: ceil(size / s)
    (taps_h, ph, _), (taps_w, pw, _) = axes
    wt = tf.transpose(kernel, [0, 1, 3, 2])                 # (kh, kw, C_out, C_in)
    phases = []
    for ra in taps_h:
        row = []
        for rb in taps_w:
            if not ra or not rb:                            # stride above kernel size: no tap
                row.append(tf.zeros(tf.stack([n, ph, pw, c_in]), dy.dtype))
                continue
            k_ab = tf.stack([tf.stack([wt[i, j] for _, j in rb]) for _, i in ra])
            # dy rows m - d for d from ra[0][0] down to ra[-1][0]: pad (or crop) so that a VALID
            # correlation gives ph x pw outputs
            top, bottom = ra[0][0], ph - oh - ra[-1][0]
            left, right = rb[0][0], pw - ow - rb[-1][0]
            x = tf.pad(dy, [[0, 0], [max(top, 0), max(bottom, 0)], [max(left, 0), max(right, 0)],
                            [0, 0]])
            x = x[:, max(-top, 0):int(x.shape[1]) - max(-bottom, 0),
                  max(-left, 0):int(x.shape[2]) - max(-right, 0)]
            row.append(tf.nn.conv2d(x, k_ab, strides=[1, 1, 1, 1], padding='VALID'))
        phases.append(row)
    return interleave(phases, s)[:, :h, :w, :]


# A stride-1 convolution's kernel gradient is one matrix product when C_out * k * k is at most this
# (G's last layer, 64 -> 3 channels: 27), where TF's op is slowest.
SHIFTED_KERNEL_GRADIENT_MAX_COLUMNS = 64


def conv2d_kernel_gradient_shifted(x, dy, kernel_shape, padding):
    """The gradient w.r.t. the kernel of a stride-1 conv2d (NHWC) as one matrix product.

    dW[kh, kw] = sum over pixels u of x[u] dy[u - (kh, kw) + pad]: the k*k shifted copies of dy,
    stacked on the channel axis, make a (pixels, k*k*C_out) matrix, and dW = x^T times it."""
    kh, kw, c_in, c_out = [int(d) for d in kernel_shape]
    h, w = K.int_shape(x)[1:3]
    oh, ow = conv_output_size(h, kh, 1, padding), conv_output_size(w, kw, 1, padding)
    dy.set_shape([None, oh, ow, None])                      # may be unknown, e.g. after an AddN
    pads = [pad_before(h, kh, 1, padding), pad_before(w, kw, 1, padding)]
    dy = tf.pad(dy, [[0, 0], [kh - 1, kh - 1], [kw - 1, kw - 1], [0, 0]])
    shifted = [dy[:, pads[0] + kh - 1 - i:pads[0] + kh - 1 - i + h,
                  pads[1] + kw - 1 - j:pads[1] + kw - 1 - j + w, :]
               for i in range(kh) for j in range(kw)]
    stacked = tf.reshape(tf.concat(shifted, axis=3), [-1, kh * kw * c_out])
    dk = tf.matmul(tf.reshape(x, [-1, c_in]), stacked, transpose_a=True)   # (C_in, (kh, kw, C_out))
    return tf.transpose(tf.reshape(dk, [c_in, kh, kw, c_out]), [1, 2, 0, 3])


def conv2d_with_fast_gradients(x, kernel, strides, padding):
    """tf.nn.conv2d (NHWC) with re-expressed gradients: w.r.t. x by conv2d_input_gradient
    (forward convolutions); w.r.t. the kernel by conv2d_kernel_gradient_shifted when the stride is
    1 and C_out * k * k is small, else by TF's op."""
    pad = padding.upper()
    size = K.int_shape(x)[1:3]
    full = [1] + list(strides) + [1]
    kh, kw, _, c_out = [int(d) for d in kernel.shape]
    shifted = tuple(strides) == (1, 1) and kh * kw * c_out <= SHIFTED_KERNEL_GRADIENT_MAX_COLUMNS

    @tf.custom_gradient
    def conv(x, kernel):
        def grad(dy):
            dx = conv2d_input_gradient(dy, kernel, size, strides, padding)
            if shifted:
                dk = conv2d_kernel_gradient_shifted(x, dy, kernel.shape, padding)
            else:
                dk = tf.compat.v1.nn.conv2d_backprop_filter(x, tf.shape(kernel), dy, full, pad)
            return dx, dk
        return tf.nn.conv2d(x, kernel, strides=full, padding=pad), grad
    return conv(x, kernel)


def _finish(layer, outputs):
    """Bias and activation, as Keras' convolution layers apply them."""
    if layer.use_bias:
        outputs = K.bias_add(outputs, layer.bias, data_format=layer.data_format)
    return layer.activation(outputs) if layer.activation is not None else outputs


def _fast_conv2d_call(self, inputs):
    if None in K.int_shape(inputs)[1:3]:
        return Conv2D.call(self, inputs)
    return _finish(self, conv2d_with_fast_gradients(inputs, self.kernel, self.strides,
                                                    self.padding))


def _fast_conv2d_transpose_call(self, inputs):
    h, w = K.int_shape(inputs)[1:3]
    if h is not None and w is not None and h * w <= MATMUL_TRANSPOSE_MAX_PIXELS:
        return _finish(self, conv_transpose_as_matmul(inputs, self.kernel, self.strides[0]))
    outputs = Conv2DTranspose.call(self, inputs)
    if h is not None and w is not None:     # TF's op leaves the spatial size unknown
        outputs.set_shape((None, h * self.strides[0], w * self.strides[1], None))
    return outputs


def fast_call(layer):
    """The fast `call` for this layer, or None when it has no re-expression here."""
    plain = getattr(layer, 'data_format', None) == 'channels_last' \
        and tuple(getattr(layer, 'dilation_rate', ())) == (1, 1) \
        and len(set(getattr(layer, 'strides', (1, 2)))) == 1
    if not plain:
        return None
    if type(layer) is Conv2DTranspose and layer.output_padding is None \
            and tuple(layer.kernel_size) == tuple(layer.strides):
        return _fast_conv2d_transpose_call      # no overlap: 'same' and 'valid' agree
    if type(layer) is Conv2D and layer.padding in ('same', 'valid'):
        return _fast_conv2d_call
    return None


def onednn_build():
    """Whether this TensorFlow is the oneDNN (MKL) build, whose own kernels are the fast ones."""
    try:
        return bool(tf.pywrap_tensorflow.IsMklEnabled())
    except AttributeError:
        return False


def gpu_present():
    """Whether this TensorFlow is a CUDA build that sees a GPU (the fast kernels were measured on
    CPUs only, so on a GPU 'fast' keeps TF's own cuDNN kernels)."""
    if not tf.test.is_built_with_cuda():
        return False
    from keras.backend import tensorflow_backend
    return bool(tensorflow_backend._get_available_gpus())


def use_kernels(model, kernels):
    """`model` computing its convolutions with `kernels` ('stock': Keras' own; 'fast': the
    re-expressions above on stock TensorFlow's CPU kernels; on the oneDNN build, whose own kernels
    were as fast or faster than these (docs/performance.md), and on a GPU, where they were never
    measured, 'fast' is 'stock'); returns the model to use.

    Only the layer instances' `call` changes: classes, configs and weights stay Keras' own. A
    Sequential model has already called its layers on its input when it was built, so it comes
    back as a new Sequential of the same layer objects (same name, same weights), called anew;
    other models are returned as they are and use the kernels in graphs built from now on.
    """
    from keras.models import Sequential
    if kernels not in KERNELS:
        raise ValueError('unknown kernels %r; choose one of: %s' % (kernels, ', '.join(KERNELS)))
    changed = False
    rewrite = kernels == 'fast' and not onednn_build() and not gpu_present()
    for layer in getattr(model, 'layers', []):
        before = vars(layer).pop('call', None)              # back to the class's own
        fast = fast_call(layer) if rewrite else None
        if fast is not None:
            layer.call = types.MethodType(fast, layer)
        changed = changed or (before is not None) or (fast is not None)
    if changed and type(model) is Sequential:
        model = Sequential(model.layers, name=model.name)
    return model


def kernels_in_use(model):
    """Names of the layers of `model` that compute with a fast kernel."""
    return [l.name for l in getattr(model, 'layers', []) if 'call' in vars(l)]
