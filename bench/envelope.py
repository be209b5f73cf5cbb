"""Does execution B compute the same math as A? Rounding-level checks and the chaos envelope.

    .venv37/bin/python bench/envelope.py --b fused:1:1:kernels=fast        # A: kernels=stock
    .venv37/bin/python bench/envelope.py --a fused:1:1:kernels=stock --b fused:0:0@.venv37-intel/bin/python
    .venv37/bin/python bench/envelope.py --b keras:1:1,fused:1:1:kernels=fast --steps 3 --json out.json

The recipe is chaotic: rounding differences grow until two runs of the same math differ as much as
two runs whose initial weights differ by one part in a million. So B keeps A's math when
  1. on identical inputs, B's losses and gradients of one D batch and one G batch equal A's to
     rounding (max relative difference of the losses, and |gA - gB| / |gA| over all of a
     network's weights, at most --rounding), and
  2. B's distance from A after one D and one G update, and after --steps full steps, is at most
     --tolerance times A's own envelope: the distance of A from A with its initial discriminator
     weights scaled by (1 + --perturb * random signs).
A distance is the median over the kernels (conv and dense weight arrays of G and D) of
|A - B| / |A - start|: how far two runs are apart relative to how far they moved. Beside check 1
the table shows how much the perturbation alone moves A's losses and gradients: where a sum
cancels heavily (a BatchNorm backward in D), a change of 1e-6 in the weights, or another summation
order, moves a gradient by far more than 1e-6.

Several B variants (comma-separated) are each compared with the same A runs. Variants use the
syntax of bench/ab_step.py: EXECUTION:INTRA:INTER[:NAME=VALUE...][@PYTHON]; threads 1:1 run
deterministically (one thread, Grappler off), so A against itself gives exactly 0. Every run
builds a fresh graph and session from the same initial weights (made once by A's interpreter),
the same seed and the same images. Runs of variants with the same interpreter, environment
variables and thread counts share one worker process (TF sizes its thread pools once per
process); any other variant gets a process of its own. Prints a table; not part of CI.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

from variants import ROOT, default_data, parse_variant, run


# -- worker (runs inside the variant's interpreter) ---------------------------------------------

def build(args, variant):
    """A seeded GAN of the variant's config on the benchmark images; returns (gan, sample)."""
    sys.path.insert(0, ROOT)
    from gan import GAN, Config, backend
    from gan.data import load_images
    from gan.batches import to_float
    images = load_images(args.data, cache_dir=os.path.join(ROOT, 'bench', 'results', '.cache'))
    one_thread = variant.intra == 1 and variant.inter == 1
    backend.setup(args.seed, deterministic=one_thread, intra_threads=variant.intra,
                  inter_threads=variant.inter)
    cfg = Config(seed=args.seed, batch_size=args.batch_size, unroll_steps=args.unroll_steps,
                 arch=args.arch, execution=variant.execution)._replace(**variant.options)
    gan = GAN(cfg)

    def sample(n, rng):
        return to_float(images[rng.randint(0, len(images), n)])
    return gan, sample


def weight_names(gan):
    return [w.name for w in gan.generator.weights + gan.discriminator.weights]


def get_weights(gan):
    return gan.generator.get_weights() + gan.discriminator.get_weights()


def set_weights(gan, values, perturb, seed):
    """Load the initial weights; with `perturb`, D's trainable weights scaled by (1 + perturb * s),
    s random signs from `seed`."""
    n_g = len(gan.generator.weights)
    gan.generator.set_weights(values[:n_g])
    d_values = [np.array(v) for v in values[n_g:]]
    if perturb:
        rng = np.random.RandomState(seed)
        trainable = {id(w) for w in gan.discriminator.trainable_weights}
        for i, w in enumerate(gan.discriminator.weights):
            if id(w) in trainable:
                d_values[i] = d_values[i] * (1.0 + perturb * rng.choice([-1.0, 1.0], d_values[i].shape))
    gan.discriminator.set_weights(d_values)


def gradient_function(model, params):
    """(inputs, targets) -> [loss] + gradients of a compiled Keras model's loss, training mode."""
    import keras.backend as K
    inputs = model._feed_inputs + model._feed_targets + model._feed_sample_weights + [K.learning_phase()]
    return K.function(inputs, [model.total_loss] + K.gradients(model.total_loss, params))


def one_update(gan, sample):
    """Losses and gradients of one D batch and one G batch at the same weights, then the D
    update on its batch and the G update on its own."""
    c = gan.config
    half = c.batch_size // 2
    real, y_real, _, _ = gan.draw.d_round(sample)
    z = gan.draw.latents(c.batch_size)
    y_g = np.ones((c.batch_size, 1), np.float32)
    D, combined = gan.discriminator, gan.combined
    d_out = gradient_function(D, D._collected_trainable_weights)(
        [real, y_real, np.ones(half, np.float32), 1])
    g_out = gradient_function(combined, combined._collected_trainable_weights)(
        [z, y_g, np.ones(c.batch_size, np.float32), 1])
    D.train_on_batch(real, y_real)
    combined.train_on_batch(z, y_g)
    return {'d_loss': float(d_out[0]), 'g_loss': float(g_out[0])}, d_out[1:], g_out[1:]


def run_task(args, task):
    """One task in this process: 'init' saves a fresh build's weights; 'run' loads them,
    perturbed if asked, and saves one update's gradients and weights and the weights after
    --steps full steps, each from a fresh graph and session with the same seeds."""
    variant = parse_variant(task['variant'], flag='--a/--b')
    gan, sample = build(args, variant)
    if task['mode'] == 'init':
        np.savez(task['save'], *get_weights(gan))
        return None
    with np.load(task['init']) as f:
        start = [f['arr_%d' % i] for i in range(len(f.files))]
    out = {}
    set_weights(gan, start, task['perturb'], args.seed + 1)
    losses, d_grads, g_grads = one_update(gan, sample)
    out.update({'update_%d' % i: w for i, w in enumerate(get_weights(gan))})
    out.update({'dgrad_%d' % i: g for i, g in enumerate(d_grads)})
    out.update({'ggrad_%d' % i: g for i, g in enumerate(g_grads)})
    gan, sample = build(args, variant)              # a fresh graph and session, same seeds
    set_weights(gan, start, task['perturb'], args.seed + 1)
    t0 = time.time()
    step_logs = [gan.train_step(sample) for _ in range(args.steps)]
    out.update({'steps_%d' % i: w for i, w in enumerate(get_weights(gan))})
    np.savez(task['save'], **out)
    return {'losses': losses, 'step_logs': step_logs, 'seconds': time.time() - t0,
            'names': weight_names(gan), 'tensorflow': __import__('tensorflow').__version__}


def worker(args):
    """Run the tasks listed in the JSON file --worker, in order; a RESULT line for each run."""
    with open(args.worker) as f:
        tasks = json.load(f)
    for task in tasks:
        meta = run_task(args, task)
        if meta is not None:
            print('RESULT ' + json.dumps(dict(meta, label=task['label'])), flush=True)
    return 0


# -- comparison ---------------------------------------------------------------------------------

def kernel_indices(names):
    return [i for i, n in enumerate(names) if n.split('/')[-1].startswith('kernel')]


def distance(a, b, start, idx):
    """Median over kernels of |a - b| / |a - start| (Frobenius norms)."""
    ratios = [np.linalg.norm(a[i] - b[i]) / np.linalg.norm(a[i] - start[i]) for i in idx
              if np.linalg.norm(a[i] - start[i]) > 0]
    return float(np.median(ratios))


def gradient_difference(ga, gb):
    """|gA - gB| / |gA| over all of a network's weight gradients together."""
    num = np.sqrt(sum(float(np.sum((a - b) ** 2)) for a, b in zip(ga, gb)))
    den = np.sqrt(sum(float(np.sum(a ** 2)) for a in ga))
    return num / den


def loss_difference(la, lb):
    return max(abs(la[k] - lb[k]) / abs(la[k]) for k in la)


def compare(runs, start, names, rounding, tolerance):
    """The figures and the verdict from the A, B and perturbed-A worker outputs."""
    a, b, p = runs['A'], runs['B'], runs['A perturbed']
    idx = kernel_indices(names)

    def part(run, prefix, n):
        return [run[0]['%s_%d' % (prefix, i)] for i in range(n)]
    n = len(start)
    nd = sum(1 for k in a[0] if k.startswith('dgrad_'))
    ng = sum(1 for k in a[0] if k.startswith('ggrad_'))
    fig = {
        'loss': loss_difference(a[1]['losses'], b[1]['losses']),
        'loss_envelope': loss_difference(a[1]['losses'], p[1]['losses']),
        'd_gradient': gradient_difference(part(a, 'dgrad', nd), part(b, 'dgrad', nd)),
        'd_gradient_envelope': gradient_difference(part(a, 'dgrad', nd), part(p, 'dgrad', nd)),
        'g_gradient': gradient_difference(part(a, 'ggrad', ng), part(b, 'ggrad', ng)),
        'g_gradient_envelope': gradient_difference(part(a, 'ggrad', ng), part(p, 'ggrad', ng)),
        'update': distance(part(a, 'update', n), part(b, 'update', n), start, idx),
        'update_envelope': distance(part(a, 'update', n), part(p, 'update', n), start, idx),
        'steps': distance(part(a, 'steps', n), part(b, 'steps', n), start, idx),
        'steps_envelope': distance(part(a, 'steps', n), part(p, 'steps', n), start, idx),
    }
    rounding_ok = max(fig['loss'], fig['d_gradient'], fig['g_gradient']) <= rounding
    envelope_ok = all(fig[k] <= tolerance * fig[k + '_envelope'] for k in ('update', 'steps'))
    fig['passes'] = bool(rounding_ok and envelope_ok)
    return fig


def process_key(variant_text):
    """Variants with equal keys may share a worker process: TF sizes its thread pools once per
    process, and the interpreter and environment are the process's own."""
    v = parse_variant(variant_text, flag='--a/--b')
    return (v.python, tuple(sorted(v.env.items())), v.intra, v.inter)


def run_worker(tasks, args, tmp):
    """Run `tasks` (one interpreter, environment and thread counts) in one worker process;
    returns {label: meta} of its runs."""
    variant = parse_variant(tasks[0]['variant'], flag='--a/--b')
    listing = os.path.join(tmp, 'tasks-%s.json' % tasks[0]['label'].replace(' ', '-'))
    with open(listing, 'w') as f:
        json.dump(tasks, f)
    cmd = [variant.python, os.path.abspath(__file__), '--worker', listing, '--data', args.data,
           '--seed', str(args.seed), '--batch-size', str(args.batch_size),
           '--unroll-steps', str(args.unroll_steps), '--steps', str(args.steps), '--arch', args.arch]
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2', **variant.env)
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                          universal_newlines=True)
    if proc.returncode != 0:
        raise SystemExit('Error: the worker for %s failed:\n%s'
                         % (', '.join(t['variant'] for t in tasks), proc.stderr[-3000:]))
    metas = [json.loads(l[7:]) for l in proc.stdout.splitlines() if l.startswith('RESULT ')]
    return {m.pop('label'): m for m in metas}


def measure(args):
    """Run the workers (the initial weights, A, A perturbed, then each B) and return
    {B: figures}. Runs whose variants share a process key share a worker process, in order."""
    variants = args.b.split(',')
    with tempfile.TemporaryDirectory() as tmp:
        init = os.path.join(tmp, 'init.npz')
        jobs = [('A', args.a, 0.0), ('A perturbed', args.a, args.perturb)]
        jobs += [('B%d' % i, b, 0.0) for i, b in enumerate(variants)]
        tasks = [{'label': 'init', 'variant': args.a, 'mode': 'init', 'save': init}]
        tasks += [{'label': label, 'variant': v, 'mode': 'run', 'init': init, 'perturb': p,
                   'save': os.path.join(tmp, '%d.npz' % i)}
                  for i, (label, v, p) in enumerate(jobs)]
        groups = {}                                 # insertion-ordered: A's process runs first
        for task in tasks:
            groups.setdefault(process_key(task['variant']), []).append(task)
        metas = {}
        for group in groups.values():
            metas.update(run_worker(group, args, tmp))
        with np.load(init) as f:
            start = [f['arr_%d' % i] for i in range(len(f.files))]
        runs = {}
        for task in tasks[1:]:
            meta = metas[task['label']]
            with np.load(task['save']) as f:
                runs[task['label']] = ({k: f[k] for k in f.files}, meta)
            print('  %-12s %-40s %.1f s for %d steps, TF %s' % (
                task['label'], task['variant'], meta['seconds'], args.steps, meta['tensorflow']),
                flush=True)
        names = runs['A'][1]['names']
        return {b: compare(dict(runs, B=runs['B%d' % i]), start, names, args.rounding,
                           args.tolerance) for i, b in enumerate(variants)}


def parser():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--a', default='fused:1:1:kernels=stock',
                   help='reference variant (default: fused:1:1:kernels=stock, TF\'s own kernels)')
    p.add_argument('--b', default='fused:1:1:kernels=fast',
                   help='variant(s) under test, comma-separated (default: fused:1:1:kernels=fast)')
    p.add_argument('--steps', type=int, default=2, help='full steps for the drift (default: 2)')
    p.add_argument('--batch-size', type=int, default=64)
    p.add_argument('--unroll-steps', type=int, default=10)
    p.add_argument('--arch', default='gan_animation')
    p.add_argument('--perturb', type=float, default=1e-6, help='relative perturbation of A\'s D')
    p.add_argument('--rounding', type=float, default=1e-5, help='bound of check 1')
    p.add_argument('--tolerance', type=float, default=1.5, help='bound of check 2, x the envelope')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--data', default=None)
    p.add_argument('--json', default=None)
    p.add_argument('--worker', default=None, help=argparse.SUPPRESS)
    return p


def main(argv=None):
    args = parser().parse_args(argv)
    args.data = args.data or default_data()
    if args.worker:
        return worker(args)
    print('%s | A %s | B %s | batch %d, unroll %d, %d steps, arch %s | %s'
          % (time.strftime('%Y-%m-%d %H:%M:%S'), args.a, args.b, args.batch_size,
             args.unroll_steps, args.steps, args.arch, args.data), flush=True)
    results = measure(args)
    for b, fig in results.items():
        report(b, fig, args)
    if args.json:
        with open(args.json, 'w') as f:
            json.dump({'args': vars(args), 'figures': results}, f, indent=2)
    return 0 if all(fig['passes'] for fig in results.values()) else 3


def report(b, fig, args):
    print('\nB = %s' % b)
    print('1. same inputs, A vs B (rounding level: at most %g); beside it, for scale, A vs A with'
          % args.rounding)
    print('   its initial D weights perturbed (the gradients\' own sensitivity)')
    print('   %-36s %10s %12s' % ('', 'A vs B', 'A perturbed'))
    for key, label in (('loss', 'losses, max relative difference'),
                       ('d_gradient', 'D gradient |gA - gB| / |gA|'),
                       ('g_gradient', 'G gradient |gA - gB| / |gA|')):
        print('   %-36s %10.3g %12.3g' % (label, fig[key], fig[key + '_envelope']))
    print('2. drift, median over kernels of |A - B| / |A - start| (at most %g x the envelope)'
          % args.tolerance)
    print('   %-36s %10s %12s %8s' % ('', 'A vs B', 'envelope', 'ratio'))
    for key, label in (('update', 'one D and one G update'), ('steps', '%d steps' % args.steps)):
        env = fig[key + '_envelope']
        print('   %-36s %10.3g %12.3g %8.2f' % (label, fig[key], env,
                                                 fig[key] / env if env else float('nan')))
    print('%s: B %s A\'s math' % ('PASS' if fig['passes'] else 'FAIL',
                                  'keeps' if fig['passes'] else 'does not keep'))

if __name__ == '__main__':
    run(main)
