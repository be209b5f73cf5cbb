"""Step benchmark: seconds per training step of the faithful recipe against the CPU's measured peak.

    python bench/step_benchmark.py                       # full recipe, steps 1-5 and 20-25
    python bench/step_benchmark.py --batch-size 32 --unroll-steps 2 --steps-b 8:10   # quick trial
    python bench/step_benchmark.py --intra-threads 2 --inter-threads 1

One run prints, and writes as JSON (--json, default bench/results/step_<timestamp>.json):
  - seconds per step (mean, median, each step) at steps A (1:5) and B (20:25), with RSS and graph
    size at both points, on real 64x64 images (../shared/data/anime64 when present, else
    data/demo);
  - effective GFLOP/s per step from the FLOP model (flop_model(); about 1.34 TFLOP per step of the
    default recipe), beside the peak GFLOP/s of a large 3x3 tf.nn.conv2d measured in the same
    process with the same thread settings, and their ratio;
  - images per second for GAN.load_model(checkpoint).generate(n=1024);
  - seconds to load the images, and to reload them from the cache;
  - the machine: CPU model, cores, TensorFlow version and whether it is the oneDNN (MKL) build.
It is a script that prints figures, not a test; the machine is shared, so repeat runs differ.
Not part of CI.
"""
import argparse
import datetime
import json
import os
import platform
import resource
import shutil
import statistics
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import numpy as np  # noqa: E402

SHARED_DATA = os.path.join(ROOT, '..', 'shared', 'data', 'anime64')
DEMO_DATA = os.path.join(ROOT, 'data', 'demo')

# Forward FLOPs per 64x64 image of the gan_animation networks (multiply-add = 2 FLOP), from the
# issue; count_forward_flops() re-derives them from the built Keras models as a check.
D_FORWARD_FLOP = 112e6
G_FORWARD_FLOP = 142e6
TRAIN_PASS_FACTOR = 3          # forward + backward (input and weight gradients) ~ 3 x forward


def rss_mb():
    """Current resident set size in MB (Linux /proc; falls back to the peak)."""
    try:
        with open('/proc/self/statm') as f:
            return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE') / 2 ** 20
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def flop_model(batch_size=256, unroll_steps=10, d_forward=D_FORWARD_FLOP, g_forward=G_FORWARD_FLOP,
               train_factor=TRAIN_PASS_FACTOR):
    """FLOPs of one training step, itemised.

    A step runs 1 + unroll_steps discriminator rounds; each samples the generator (forward,
    inference mode) on a half batch of latents and trains D on a real and a fake half batch.
    Then one generator update through the combined model on a full batch: a training pass of G
    and of D (D's weights are frozen, but the gradient still flows back through it).
    """
    half = batch_size // 2
    rounds = 1 + unroll_steps
    per_round = {'g_forward_fakes': half * g_forward,
                 'd_train_real': train_factor * half * d_forward,
                 'd_train_fake': train_factor * half * d_forward}
    round_total = sum(per_round.values())
    g_update = train_factor * batch_size * (g_forward + d_forward)
    total = rounds * round_total + g_update
    return {'batch_size': batch_size, 'unroll_steps': unroll_steps, 'rounds': rounds,
            'd_forward_flop_per_image': d_forward, 'g_forward_flop_per_image': g_forward,
            'train_pass_factor': train_factor, 'per_round': per_round, 'round_total': round_total,
            'd_rounds_total': rounds * round_total, 'g_update': g_update, 'total': total}


def print_flop_model(m):
    print('FLOP model (batch %d, unroll %d): %d D rounds x %.1f GFLOP [G fwd %d latents %.1f + '
          'D train %d real %.1f + D train %d fake %.1f] = %.1f GFLOP; G update on %d latents '
          '%d x (G %.0f + D %.0f MFLOP) x %d = %.1f GFLOP; total %.3f TFLOP per step'
          % (m['batch_size'], m['unroll_steps'], m['rounds'], m['round_total'] / 1e9,
             m['batch_size'] // 2, m['per_round']['g_forward_fakes'] / 1e9,
             m['batch_size'] // 2, m['per_round']['d_train_real'] / 1e9,
             m['batch_size'] // 2, m['per_round']['d_train_fake'] / 1e9,
             m['d_rounds_total'] / 1e9, m['batch_size'], m['batch_size'],
             m['g_forward_flop_per_image'] / 1e6, m['d_forward_flop_per_image'] / 1e6,
             m['train_pass_factor'], m['g_update'] / 1e9, m['total'] / 1e12), flush=True)


def check_flop_model():
    """The default recipe's step must come out at the issue's ~1.34 TFLOP."""
    total = flop_model()['total']
    assert abs(total - 1.34e12) / 1.34e12 < 0.01, total
    return total


def count_forward_flops(model):
    """Forward FLOPs per sample of a Keras model's Dense / Conv2D / Conv2DTranspose layers."""
    total = 0
    for layer in model.layers:
        kind = type(layer).__name__
        if kind in ('Model', 'Sequential'):
            total += count_forward_flops(layer)
            continue
        if kind not in ('Dense', 'Conv2D', 'Conv2DTranspose'):
            continue
        w = layer.get_weights()[0]
        if kind == 'Dense':
            total += 2 * w.shape[0] * w.shape[1]
        elif kind == 'Conv2D':                   # kernel (kh, kw, cin, cout), per output pixel
            oh, ow = layer.output_shape[1:3]
            total += 2 * oh * ow * np.prod(w.shape)
        else:                                    # kernel (kh, kw, cout, cin), per input pixel
            ih, iw = layer.input_shape[1:3]
            total += 2 * ih * iw * np.prod(w.shape)
    return int(total)


def conv_peak(intra, inter, batch=128, size=32, channels=256, repeats=7, warmup=2):
    """GFLOP/s of a 3x3 same-padded tf.nn.conv2d forward, NHWC float32, in its own graph."""
    import tensorflow as tf
    graph = tf.Graph()
    with graph.as_default():
        x = tf.Variable(tf.random.normal((batch, size, size, channels), seed=1))
        k = tf.Variable(tf.random.normal((3, 3, channels, channels), stddev=0.05, seed=2))
        y = tf.nn.conv2d(x, k, strides=1, padding='SAME')
        init = tf.compat.v1.global_variables_initializer()
    cfg = tf.compat.v1.ConfigProto(intra_op_parallelism_threads=intra, inter_op_parallelism_threads=inter)
    flop = 2.0 * batch * size * size * channels * channels * 9
    with tf.compat.v1.Session(graph=graph, config=cfg) as sess:
        sess.run(init)
        for _ in range(warmup):
            sess.run(y.op)
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            sess.run(y.op)                       # run the op, do not copy the 134 MB out
            times.append(time.perf_counter() - t0)
    rates = [flop / t / 1e9 for t in times]
    return {'shape': 'batch %d, %dx%dx%d -> %d, 3x3 SAME' % (batch, size, size, channels, channels),
            'gflop_per_call': flop / 1e9, 'seconds': times,
            'best_gflops': max(rates), 'median_gflops': statistics.median(rates)}


def machine_info():
    import tensorflow as tf
    model = None
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    model = line.split(':', 1)[1].strip()
                    break
    except OSError:
        pass
    mkl = None
    try:
        mkl = bool(tf.pywrap_tensorflow.IsMklEnabled())
    except AttributeError:
        pass
    try:
        affinity = len(os.sched_getaffinity(0))
    except AttributeError:
        affinity = None
    try:
        with open('/proc/loadavg') as f:
            load = f.read().split()[:3]
    except OSError:
        load = None
    return {'cpu_model': model, 'cpu_count': os.cpu_count(), 'cpus_usable': affinity,
            'load_average_at_start': load, 'mem_total_gb': os.sysconf('SC_PAGE_SIZE') *
            os.sysconf('SC_PHYS_PAGES') / 2 ** 30,
            'tensorflow': tf.__version__, 'onednn_mkl_build': mkl,
            'python': platform.python_version(), 'platform': platform.platform(),
            'date': datetime.datetime.now().astimezone().isoformat(timespec='seconds'),
            'command': ' '.join([os.path.relpath(sys.executable, os.getcwd())
                                 if sys.executable.startswith(os.getcwd()) else sys.executable] + sys.argv)}


def loadavg():
    try:
        with open('/proc/loadavg') as f:
            return float(f.read().split()[0])
    except (OSError, ValueError):
        return None


def step_range(text):
    try:
        a, b = (int(v) for v in text.split(':'))
    except ValueError:
        raise argparse.ArgumentTypeError('expected FIRST:LAST, e.g. 20:25')
    if not 1 <= a <= b:
        raise argparse.ArgumentTypeError('expected 1 <= FIRST <= LAST')
    return a, b


def summarise(rows, first, last):
    window = [r for r in rows if first <= r['step'] <= last]
    secs = [r['seconds'] for r in window]
    return {'steps': [first, last], 'mean_seconds': statistics.mean(secs),
            'median_seconds': statistics.median(secs), 'min_seconds': min(secs),
            'seconds': secs, 'rss_mb_start': window[0]['rss_mb'], 'rss_mb_end': window[-1]['rss_mb'],
            'graph_ops_end': window[-1]['graph_ops']}


def main(argv=None):
    from gan import Config, GAN, backend
    from gan.data import load_images
    from gan.loop import Hook
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--data', default=None, help='image folder (default: ../shared/data/anime64 if '
                   'present, else data/demo)')
    p.add_argument('--steps-a', type=step_range, default=(1, 5), metavar='FIRST:LAST')
    p.add_argument('--steps-b', type=step_range, default=(20, 25), metavar='FIRST:LAST')
    p.add_argument('--batch-size', type=int, default=None, help='override (default: the recipe, 256)')
    p.add_argument('--unroll-steps', type=int, default=None, help='override (default: the recipe, 10)')
    p.add_argument('--arch', default=None, help='network pair (default: the recipe, gan_animation)')
    p.add_argument('--kernels', default=None, help='convolution kernels (default: the package default)')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--intra-threads', type=int, default=0, help='TF intra-op threads (0 = TF picks)')
    p.add_argument('--inter-threads', type=int, default=0, help='TF inter-op threads (0 = TF picks)')
    p.add_argument('--deterministic', action='store_true', help='backend.setup(deterministic=True)')
    p.add_argument('--generate-n', type=int, default=1024)
    p.add_argument('--conv-repeats', type=int, default=7)
    p.add_argument('--skip-conv', action='store_true', help='do not measure the convolution peak')
    p.add_argument('--conv-only', action='store_true', help='measure only the convolution peak '
                   '(quick, for interleaving builds)')
    p.add_argument('--json', default=None, help='default: bench/results/step_<timestamp>.json')
    args = p.parse_args(argv)
    if args.steps_b[0] <= args.steps_a[1]:
        p.error('--steps-b must start after --steps-a ends')

    stamp = time.strftime('%Y%m%d-%H%M%S')
    json_path = args.json or os.path.join(ROOT, 'bench', 'results', 'step_%s.json' % stamp)
    data = args.data or (SHARED_DATA if os.path.isdir(SHARED_DATA) else DEMO_DATA)
    overrides = {k: v for k, v in (('batch_size', args.batch_size), ('unroll_steps', args.unroll_steps),
                                   ('arch', args.arch), ('kernels', args.kernels)) if v is not None}
    config = Config(seed=args.seed, deterministic=args.deterministic, **overrides)
    result = {'machine': machine_info(), 'args': vars(args), 'data': os.path.realpath(data),
              'config': config._asdict()}
    m = result['machine']
    print('%s | %s cores (%s usable) | TF %s, oneDNN/MKL build: %s | %s'
          % (m['cpu_model'], m['cpu_count'], m['cpus_usable'], m['tensorflow'], m['onednn_mkl_build'],
             m['date']), flush=True)
    print('command: %s' % m['command'], flush=True)

    if args.conv_only:
        intra, inter = ((1, 1) if args.deterministic else (args.intra_threads, args.inter_threads))
        result['conv_peak'] = c = conv_peak(intra, inter, repeats=args.conv_repeats)
        print('conv peak (%s, %.1f GFLOP/call): best %.1f, median %.1f GFLOP/s (load %s)'
              % (c['shape'], c['gflop_per_call'], c['best_gflops'], c['median_gflops'], loadavg()))
        os.makedirs(os.path.dirname(os.path.abspath(json_path)), exist_ok=True)
        with open(json_path, 'w') as f:
            json.dump(result, f, indent=2, default=float)
        return 0

    # -- FLOP model ------------------------------------------------------------------------
    default_total = check_flop_model()
    flops = flop_model(config.batch_size, config.unroll_steps)
    print_flop_model(flops)
    print('  (default recipe: %.3f TFLOP per step, the issue says ~1.34)' % (default_total / 1e12))
    result['flop_model'] = flops

    work = tempfile.mkdtemp(prefix='step_benchmark_')
    try:
        # -- image loading -----------------------------------------------------------------
        cache = os.path.join(work, 'cache')
        t0 = time.perf_counter()
        images = load_images(data, cache_dir=cache)
        t_load = time.perf_counter() - t0
        t0 = time.perf_counter()
        again = load_images(data, cache_dir=cache)
        t_reload = time.perf_counter() - t0
        assert again.shape == images.shape
        del again
        result['load_images'] = {'n': int(len(images)), 'folder': os.path.realpath(data),
                                 'load_seconds': t_load, 'reload_from_cache_seconds': t_reload}
        print('load %d images: %.2f s; reload from cache: %.3f s' % (len(images), t_load, t_reload),
              flush=True)

        # -- convolution peak (own graph, same thread settings) ----------------------------
        intra, inter = ((1, 1) if args.deterministic else (args.intra_threads, args.inter_threads))
        if not args.skip_conv:
            result['conv_peak_before'] = conv_peak(intra, inter, repeats=args.conv_repeats)
            c = result['conv_peak_before']
            print('conv peak (%s, %.1f GFLOP/call): best %.1f, median %.1f GFLOP/s'
                  % (c['shape'], c['gflop_per_call'], c['best_gflops'], c['median_gflops']), flush=True)

        # -- training steps ----------------------------------------------------------------
        backend.setup(args.seed, deterministic=args.deterministic, intra_threads=args.intra_threads,
                      inter_threads=args.inter_threads)
        t0 = time.perf_counter()
        gan = GAN(config)
        result['build_seconds'] = time.perf_counter() - t0
        arch_flops = {'d_forward_per_image': count_forward_flops(gan.discriminator),
                      'g_forward_per_image': count_forward_flops(gan.generator)}
        result['flop_model_from_layers'] = arch_flops
        print('forward FLOP per image counted from the layers: D %.1f M, G %.1f M'
              % (arch_flops['d_forward_per_image'] / 1e6, arch_flops['g_forward_per_image'] / 1e6))
        if config.arch != 'gan_animation':          # the per-image figures are for the recipe
            flops = flop_model(config.batch_size, config.unroll_steps,
                               arch_flops['d_forward_per_image'], arch_flops['g_forward_per_image'])
            result['flop_model'] = flops
            print_flop_model(flops)
        rows = []

        class Timer(Hook):
            def on_step_end(self, step, logs):
                rows.append({'step': step, 'seconds': logs['seconds'], 'rss_mb': rss_mb(),
                             'graph_ops': backend.graph_size(), 'loadavg_1min': loadavg()})
                print('step %3d  %7.2f s  rss %7.1f MB  graph %d ops  load %s'
                      % (step, logs['seconds'], rows[-1]['rss_mb'], rows[-1]['graph_ops'],
                         rows[-1]['loadavg_1min']), flush=True)

        rss_before = rss_mb()
        gan.train(images, steps=args.steps_b[1], hooks=[Timer()])
        result['steps'] = rows
        result['rss_mb_before_training'] = rss_before
        for key, (a, b) in (('window_a', args.steps_a), ('window_b', args.steps_b)):
            w = summarise(rows, a, b)
            w['effective_gflops_mean'] = flops['total'] / w['mean_seconds'] / 1e9
            w['effective_gflops_median'] = flops['total'] / w['median_seconds'] / 1e9
            result[key] = w
        wa, wb = result['window_a'], result['window_b']
        result['b_over_a_mean_seconds'] = wb['mean_seconds'] / wa['mean_seconds']
        result['b_over_a_median_seconds'] = wb['median_seconds'] / wa['median_seconds']
        result['rss_growth_mb'] = wb['rss_mb_end'] - wa['rss_mb_start']

        if not args.skip_conv:
            result['conv_peak_after'] = conv_peak(intra, inter, repeats=args.conv_repeats)
            peaks = (result['conv_peak_before']['seconds'] + result['conv_peak_after']['seconds'])
            rates = [result['conv_peak_before']['gflop_per_call'] / t for t in peaks]
            result['conv_peak'] = {'best_gflops': max(rates), 'median_gflops': statistics.median(rates)}
            for w in (wa, wb):
                w['ratio_effective_to_peak_best'] = w['effective_gflops_median'] / max(rates)
                w['ratio_effective_to_peak_median'] = w['effective_gflops_median'] / statistics.median(rates)

        # -- generation from a checkpoint --------------------------------------------------
        run_dir = os.path.join(work, 'run')
        os.makedirs(os.path.join(run_dir, 'weight'))
        step = rows[-1]['step']
        t0 = time.perf_counter()
        gan.save_model(run_dir, step)
        t_save = time.perf_counter() - t0
        t0 = time.perf_counter()
        loaded = GAN.load_model(run_dir, config=config)
        t_loadmodel = time.perf_counter() - t0
        gen = {'n': args.generate_n, 'save_checkpoint_seconds': t_save, 'load_model_seconds': t_loadmodel}
        for key in ('first_call', 'second_call'):
            t0 = time.perf_counter()
            out = loaded.generate(n=args.generate_n, seed=0)
            dt = time.perf_counter() - t0
            assert out.shape == (args.generate_n, 64, 64, 3) and out.dtype == np.uint8
            gen[key + '_seconds'] = dt
            gen[key + '_images_per_second'] = args.generate_n / dt
        gen['gflops_second_call'] = (args.generate_n * (G_FORWARD_FLOP if config.arch == 'gan_animation'
                                                        else arch_flops['g_forward_per_image'])
                                     / gen['second_call_seconds'] / 1e9)
        result['generate'] = gen
        result['rss_mb_end'] = rss_mb()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    # -- summary ---------------------------------------------------------------------------
    print('\n== summary (%s, TF %s, oneDNN %s, threads intra %d inter %d) =='
          % (m['cpu_model'], m['tensorflow'], m['onednn_mkl_build'], args.intra_threads, args.inter_threads))
    for name, w in (('A', wa), ('B', wb)):
        print('steps %2d-%2d: mean %.2f s/step (median %.2f, min %.2f) = %.1f GFLOP/s effective '
              '(median); RSS %.0f -> %.0f MB; graph %d ops'
              % (w['steps'][0], w['steps'][1], w['mean_seconds'], w['median_seconds'], w['min_seconds'],
                 w['effective_gflops_median'], w['rss_mb_start'], w['rss_mb_end'], w['graph_ops_end']))
    print('B/A step time: %.3f (mean), %.3f (median); RSS growth over the run: %+.1f MB'
          % (result['b_over_a_mean_seconds'], result['b_over_a_median_seconds'], result['rss_growth_mb']))
    if 'conv_peak' in result:
        cp = result['conv_peak']
        print('conv peak: best %.1f, median %.1f GFLOP/s (before training: %.1f / %.1f, after: %.1f / %.1f)'
              % (cp['best_gflops'], cp['median_gflops'], result['conv_peak_before']['best_gflops'],
                 result['conv_peak_before']['median_gflops'], result['conv_peak_after']['best_gflops'],
                 result['conv_peak_after']['median_gflops']))
        print('effective / peak: steps A %.0f%% of best (%.0f%% of median), steps B %.0f%% of best '
              '(%.0f%% of median)' % (100 * wa['ratio_effective_to_peak_best'],
                                      100 * wa['ratio_effective_to_peak_median'],
                                      100 * wb['ratio_effective_to_peak_best'],
                                      100 * wb['ratio_effective_to_peak_median']))
    print('generate %d from a checkpoint: %.1f images/s (first call %.1f images/s; load_model %.1f s)'
          % (gen['n'], gen['second_call_images_per_second'], gen['first_call_images_per_second'],
             gen['load_model_seconds']))
    li = result['load_images']
    print('load %d images: %.2f s; reload from cache: %.3f s' % (li['n'], li['load_seconds'],
                                                                li['reload_from_cache_seconds']))
    os.makedirs(os.path.dirname(os.path.abspath(json_path)), exist_ok=True)
    with open(json_path, 'w') as f:
        json.dump(result, f, indent=2, default=float)
    print('wrote %s' % json_path)
    return 0


if __name__ == '__main__':
    from variants import run
    run(main)
