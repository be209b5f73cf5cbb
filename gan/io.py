"""On-disk formats: run folders, config.json, sample grids, history, and HDF5 checkpoints."""
import contextlib
import csv
import json
import os
import re
import time

import numpy as np

from .config import Config, UserError, milestone_steps
# Every atomic write of a run goes through this module's name `atomic_write` (a test wraps it to
# kill the process mid-write).
from .files import TEMP_RE, atomic_write, save_npy
from .grids import make_grid

# cv2, h5py, matplotlib and Keras are imported inside the functions that use them: the CLI loads
# this module for --help.

WEIGHT_RE = re.compile(r'^(generator|discriminator|gan)_epoch_(\d+)\.h5$')
MODEL_KINDS = ('generator', 'discriminator', 'gan')
HISTORY_FIELDS = ['step', 'd_loss_real', 'd_loss_fake', 'd_acc_real', 'd_acc_fake', 'g_loss']
# Counters some schemes return, kept when a run's steps have them: G updates per step (GANime's
# extra G step), and the shares of steps whose gated D / G update was applied.
OPTIONAL_HISTORY_FIELDS = ['g_steps', 'd_updated', 'g_updated']
MANIFEST = 'checkpoint.json'


# -- atomic files ------------------------------------------------------------------------------
def remove_stale_temps(run_dir):
    """Delete temporary files that a killed process left mid-write (never complete files)."""
    removed = []
    for sub in ('', 'image', 'weight'):
        folder = os.path.join(run_dir, sub)
        if os.path.isdir(folder):
            for name in os.listdir(folder):
                if TEMP_RE.match(name):
                    os.remove(os.path.join(folder, name))
                    removed.append(name)
    return removed


def atomic_write_bytes(path, data):
    def write(tmp):
        with open(tmp, 'wb') as f:
            f.write(data)
    atomic_write(path, write)


def write_json(path, obj):
    atomic_write_bytes(path, (json.dumps(obj, indent=2, sort_keys=True) + '\n').encode('utf-8'))


# -- run folders -------------------------------------------------------------------------------
def ensure_writable_dir(out):
    """Create `out` if needed; a UserError naming --out when it cannot be created or written."""
    try:
        os.makedirs(out, exist_ok=True)
    except OSError as e:
        raise UserError('cannot create output folder %s (%s); choose another with --out' % (out, e))
    if not os.access(out, os.W_OK):
        raise UserError('output folder %s is not writable; choose another with --out' % out)


def check_new_run_dir(path):
    """A folder a new run may be written into (--run-dir): new or empty."""
    if os.path.isdir(path) and os.listdir(path) or os.path.exists(path) and not os.path.isdir(path):
        raise UserError('--run-dir %s exists and is not an empty folder; give a new folder, or '
                        'continue the run in it with --resume %s' % (path, path))


def new_run_dir(out, path=None):
    """Create out/<n> with n one more than the largest numbered run; never reuses a folder.
    With `path`, create that folder instead (it may exist only if empty)."""
    if path is not None:
        check_new_run_dir(path)
        os.makedirs(path, exist_ok=True)
        ensure_writable_dir(path)
        run = path
    else:
        ensure_writable_dir(out)
        while True:
            taken = [int(n) for n in os.listdir(out) if n.isdigit()]
            run = os.path.join(out, str(max(taken) + 1 if taken else 1))
            try:
                os.makedirs(run)
            except FileExistsError:
                continue
            break
    for sub in ('image', 'weight'):
        os.makedirs(os.path.join(run, sub))
    return run


def write_run_config(run_dir, config, extra=None):
    doc = {'created': time.strftime('%Y-%m-%dT%H:%M:%S%z')}
    doc.update(extra or {})
    doc['options'] = config._asdict()
    write_json(os.path.join(run_dir, 'config.json'), doc)


def read_run_doc(run_dir):
    """The whole config.json of a run (options, versions, argv, ...)."""
    with open(os.path.join(run_dir, 'config.json')) as f:
        return json.load(f)


def grid_latents(run_dir, config):
    """The run's fixed grid latents: drawn once from the seed, kept in grid_latents.npy."""
    path = os.path.join(run_dir, 'grid_latents.npy')
    if os.path.exists(path):
        return np.load(path)
    z = np.random.RandomState([config.seed, 1]).normal(
        0.0, 1.0, (config.grid_size ** 2, config.latent_dim)).astype(np.float32)
    atomic_write(path, lambda tmp: save_npy(tmp, z))
    return z


def read_run_config(run_dir):
    """Config recorded in run_dir/config.json, or None when there is none."""
    path = os.path.join(run_dir, 'config.json')
    if not os.path.exists(path):
        return None
    try:
        with open(path) as f:
            doc = json.load(f)
        return Config.from_dict(doc['options'])
    except (ValueError, KeyError, TypeError) as e:
        raise UserError('cannot read %s (%s)' % (path, e))


# -- grids and history -------------------------------------------------------------------------
def grid_png(images, rows, cols):
    """PNG bytes of uint8 RGB images as a rows x cols grid (white margin and gaps, tiles 1:1)."""
    import cv2
    ok, buf = cv2.imencode('.png', make_grid(images, rows, cols)[..., ::-1])
    if not ok:
        raise IOError('PNG encoding failed')
    return buf.tobytes()


def save_grid(path, images, rows, cols):
    """Write uint8 RGB images as a rows x cols grid PNG; returns the PNG's bytes."""
    png = grid_png(images, rows, cols)
    atomic_write_bytes(path, png)
    return png


def append_history(path, row):
    """Append a row; a new file's columns are HISTORY_FIELDS and the optional ones the row has,
    an existing file keeps its own."""
    new = not os.path.exists(path)
    if new:
        fields = HISTORY_FIELDS + [k for k in OPTIONAL_HISTORY_FIELDS if k in row]
    else:
        with open(path, newline='') as f:
            fields = next(csv.reader(f), HISTORY_FIELDS)
    with open(path, 'a', newline='') as f:
        w = csv.DictWriter(f, fieldnames=fields, extrasaction='ignore')
        if new:
            w.writeheader()
        w.writerow(row)
        f.flush()


def read_history(path):
    with open(path, newline='') as f:
        return [{k: float(v) for k, v in r.items()} for r in csv.DictReader(f)]


def plot_history(csv_path, png_path):
    """Loss curves from history.csv (matplotlib, Agg backend)."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    rows = read_history(csv_path)
    if not rows:
        return
    steps = [r['step'] for r in rows]
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for key in ('d_loss_real', 'd_loss_fake', 'g_loss'):
        ax.plot(steps, [r[key] for r in rows], label=key)
    ax.set_xlabel('step')
    ax.set_ylabel('loss')
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()

    def write(tmp):
        fig.savefig(tmp, format='png', dpi=100)
    try:
        atomic_write(png_path, write)
    finally:
        plt.close(fig)


# -- checkpoints -------------------------------------------------------------------------------
def weight_path(run_dir, kind, step):
    return os.path.join(run_dir, 'weight', '%s_epoch_%d.h5' % (kind, step))


def checkpoint_steps(weight_dir):
    """Steps that have a generator file in weight_dir, ascending."""
    if not os.path.isdir(weight_dir):
        return []
    steps = set()
    for name in os.listdir(weight_dir):
        m = WEIGHT_RE.match(name)
        if m and m.group(1) == 'generator':
            steps.add(int(m.group(2)))
    return sorted(steps)


def latest_step(run_dir):
    """The step named by the manifest, else the largest step whose model files are all there.

    Without a manifest (a run killed while writing its first checkpoint, or one saved before
    manifests existed) a step whose training state exists but a model file does not is a torn
    write and does not count: save_checkpoint writes the state first, so a step with all three
    model files and no state is one saved with weights only, and counts (resuming it says so)."""
    weight_dir = os.path.join(run_dir, 'weight')
    manifest = os.path.join(weight_dir, MANIFEST)
    if os.path.exists(manifest):
        with open(manifest) as f:
            return int(json.load(f)['step'])
    whole = [s for s in checkpoint_steps(weight_dir)
             if all(os.path.exists(weight_path(run_dir, k, s)) for k in MODEL_KINDS)]
    return whole[-1] if whole else None


def state_path(run_dir, step):
    return os.path.join(run_dir, 'weight', 'state_epoch_%d.npz' % step)


def checkpoint_files(weight_dir, step):
    return [os.path.join(weight_dir, '%s_epoch_%d.h5' % (k, step)) for k in MODEL_KINDS] + \
        [os.path.join(weight_dir, 'state_epoch_%d.npz' % step)]


def estimate_checkpoint_bytes(gan):
    """About what one checkpoint takes: G and D weights plus both Adams' two slots each."""
    g, d = gan.generator.count_params(), gan.discriminator.count_params()
    return 4 * (g + 3 * d + 3 * g + d + 3 * (g + d)) + (1 << 20)


def save_checkpoint(gan, run_dir, step, keep=None, milestone=None, extra=None):
    """Write the training state and the model files atomically, then the manifest, then prune.

    The manifest (weight/checkpoint.json) is written last, so it only ever names a complete
    checkpoint; old checkpoints are removed only after that. The state comes first, so a write
    torn before the manifest never looks like a weights-only checkpoint (see latest_step).
    """
    keep = gan.config.keep_checkpoints if keep is None else keep
    milestone = gan.config.milestone_interval if milestone is None else milestone
    models = [('generator', gan.generator), ('discriminator', gan.discriminator), ('gan', gan.combined)]
    paths = []
    with values_read_once([m for _, m in models], gan.rng_counters()):
        state = state_path(run_dir, step)
        atomic_write(state, lambda tmp: _write_state(tmp, gan.get_state(), step, gan.config, extra))
        for kind, model in models:
            path = weight_path(run_dir, kind, step)
            atomic_write(path, lambda tmp, m=model: m.save(tmp, include_optimizer=True))
            paths.append(path)
        paths.append(state)
    write_json(os.path.join(run_dir, 'weight', MANIFEST),
               {'step': step, 'files': [os.path.basename(p) for p in paths]})
    prune_checkpoints(os.path.join(run_dir, 'weight'), step, keep, milestone,
                      spared=milestone_steps(gan.config))
    return paths


@contextlib.contextmanager
def values_read_once(models, more=()):
    """Within the block, Keras' weight reads of `models` (layers, optimizers) are served from one
    session call made on entry; the values are the same.

    Keras saves a model with one `K.batch_get_value` per layer, and TF prunes the whole graph for
    every new set of fetches: with the fused D rounds in the graph (~46k ops) a first checkpoint
    took ~88 s that way, against ~1 s with one read.
    """
    import keras.backend as K
    candidates = list(more)
    for m in models:
        candidates += m.weights
        opt = getattr(m, 'optimizer', None)
        if opt is not None:       # slots, then hyperparameters (read by get_config) and iterations
            candidates += opt.weights + [v for v in vars(opt).values() if K.is_variable(v)]
    unique = {id(v): v for v in candidates}
    table = dict(zip(unique, K.batch_get_value(list(unique.values()))))
    original_batch, original_one = K.batch_get_value, K.get_value

    def batch_get_value(ops):
        if all(id(op) in table for op in ops):
            return [table[id(op)] for op in ops]
        return original_batch(ops)

    def get_value(x):
        return table[id(x)] if id(x) in table else original_one(x)
    K.batch_get_value, K.get_value = batch_get_value, get_value
    try:
        yield
    finally:
        K.batch_get_value, K.get_value = original_batch, original_one


def _write_state(path, state, step, config, extra):
    arrays = {}
    for key in ('d_optimizer', 'g_optimizer', 'rng_counters'):
        for i, v in enumerate(state[key]):
            arrays['%s_%d' % (key, i)] = np.asarray(v)
    arrays['numpy_rng_keys'] = np.asarray(state['numpy_rng']['keys'], np.uint32)
    py_version, py_internal, py_gauss = state['python_random']
    meta = {'step': step, 'preset': config.preset, 'arch': config.arch,
            'counts': {k: len(state[k]) for k in ('d_optimizer', 'g_optimizer', 'rng_counters')},
            'numpy_rng': {k: v for k, v in state['numpy_rng'].items() if k != 'keys'},
            'python_random': [py_version, list(py_internal), py_gauss], 'extra': extra or {}}
    arrays['meta'] = np.array(json.dumps(meta))
    with open(path, 'wb') as f:
        np.savez(f, **arrays)


def read_state(run_dir, step):
    """The training state saved with checkpoint `step`: (state for GAN.set_state, meta dict)."""
    path = state_path(run_dir, step)
    if not os.path.exists(path):
        raise UserError('%s is missing: checkpoint %d cannot be resumed exactly (it has weights '
                        'only); start a new run from it with GAN.load_model instead' % (path, step))
    try:
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z['meta']))
            state = {k: [z['%s_%d' % (k, i)] for i in range(n)] for k, n in meta['counts'].items()}
            state['numpy_rng'] = dict(meta['numpy_rng'], keys=z['numpy_rng_keys'])
    except (OSError, IOError, ValueError, KeyError) as e:
        raise UserError('%s is corrupt or truncated (%s)' % (path, e))
    v, internal, gauss = meta['python_random']
    state['python_random'] = (v, tuple(internal), gauss)
    return state, meta


def prune_checkpoints(weight_dir, current, keep, milestone, spared=()):
    """Delete checkpoints beyond the latest `keep` (0 keeps all), sparing milestones (multiples of
    `milestone` and the steps in `spared`) and `current`."""
    if keep <= 0:
        return
    steps = checkpoint_steps(weight_dir)
    recent = set(steps[-keep:]) | {current}
    for s in steps:
        if s in recent or s in spared or (milestone and s % milestone == 0):
            continue
        for p in checkpoint_files(weight_dir, s):
            if os.path.exists(p):
                os.remove(p)


def read_h5_weights(path):
    """Weights of a Keras HDF5 file (full model or weights only) as [(layer, {param: array})].

    Layers come in the order the file lists them; a nested model's group (as in tf.keras files,
    which list trainable weights before BatchNorm statistics) is split back into its layers by the
    weight names' prefixes, so standalone Keras and tf.keras files read the same way.
    """
    import h5py
    if not os.path.isfile(path):
        raise UserError('weight file %s does not exist' % path)
    try:
        f = h5py.File(path, 'r')
    except (OSError, IOError) as e:
        raise UserError('%s is not a readable HDF5 weight file (%s); it may be truncated or corrupt'
                        % (path, e))
    try:
        g = f['model_weights'] if 'model_weights' in f else f
        if 'layer_names' not in g.attrs:
            raise UserError('%s holds no Keras weights (no layer_names attribute)' % path)
        layers = []
        index = {}
        for lname in g.attrs['layer_names']:
            lg = g[_s(lname)]
            for wname in (_s(w) for w in lg.attrs.get('weight_names', [])):
                prefix, _, param = wname.rpartition('/')
                key = (_s(lname), prefix)
                if key not in index:
                    index[key] = len(layers)
                    layers.append((prefix, {}))
                layers[index[key]][1][param.split(':')[0]] = np.asarray(lg[wname])
        return layers
    except (KeyError, OSError, IOError, ValueError) as e:
        raise UserError('%s is corrupt or truncated (%s)' % (path, e))
    finally:
        f.close()


def _s(x):
    return x.decode('utf-8') if isinstance(x, bytes) else x


def weighted_layers(model):
    """Layers that own weights, in order, descending into nested models."""
    out = []
    for layer in model.layers:
        if hasattr(layer, 'layers'):
            out += weighted_layers(layer)
        elif layer.weights:
            out.append(layer)
    return out


def load_weights(model, path, what):
    """Set `model`'s weights from `path`, matching layers in order and parameters by name."""
    import keras.backend as K
    stored = read_h5_weights(path)
    ours = weighted_layers(model)
    pairs, problem = [], None
    if len(stored) != len(ours):
        problem = '%d layers with weights, expected %d' % (len(stored), len(ours))
    else:
        for layer, (prefix, params) in zip(ours, stored):
            names = [w.name.rsplit('/', 1)[-1].split(':')[0] for w in layer.weights]
            if sorted(names) != sorted(params):
                problem = 'layer %s has %s, expected %s' % (prefix, sorted(params), sorted(names))
                break
            for var, name in zip(layer.weights, names):
                if tuple(params[name].shape) != tuple(int(d) for d in var.shape):
                    problem = '%s/%s has shape %s, expected %s' % (
                        prefix, name, params[name].shape, tuple(int(d) for d in var.shape))
                    break
                pairs.append((var, params[name]))
            if problem:
                break
    if problem:
        raise UserError('%s does not match the %s architecture (%s). Check --preset/--arch, or the '
                        'run folder it was trained with.' % (path, what, problem))
    K.batch_set_value(pairs)


def resolve_checkpoint(path, step=None):
    """(run_dir or None, weight_dir, step) for a run folder, a weight folder or a weight file."""
    if not os.path.exists(path):
        raise UserError('%s does not exist; give a run folder (save/1), a weight folder or an .h5 file'
                        % path)
    if os.path.isdir(path):
        if os.path.isdir(os.path.join(path, 'weight')):
            run_dir, weight_dir = path, os.path.join(path, 'weight')
        else:
            run_dir, weight_dir = None, path
        if step is None:
            step = latest_step(run_dir) if run_dir else (checkpoint_steps(weight_dir) or [None])[-1]
        if step is None:
            raise UserError('no checkpoint (generator_epoch_<step>.h5) found in %s' % weight_dir)
        return run_dir, weight_dir, step
    m = WEIGHT_RE.match(os.path.basename(path))
    if not m:
        raise UserError('%s is not named like a checkpoint (generator_epoch_<step>.h5)' % path)
    weight_dir = os.path.dirname(os.path.abspath(path))
    parent = os.path.dirname(weight_dir)
    run_dir = parent if os.path.exists(os.path.join(parent, 'config.json')) else None
    return run_dir, weight_dir, int(m.group(2)) if step is None else step


def load_gan(cls, path, step=None, config=None, compile=True):
    """Build a GAN from the run's config (or the default recipe) and load a checkpoint into it
    (compiled, ready to train, or with `compile=False` the networks only).

    The config is the run folder's config.json, else one in the weight folder itself (as beside
    the pretrained generator), else the default recipe."""
    run_dir, weight_dir, step = resolve_checkpoint(path, step)
    if config is None:
        config = read_run_config(run_dir or weight_dir) or Config()
    gen_file = os.path.join(weight_dir, 'generator_epoch_%d.h5' % step)
    if not os.path.exists(gen_file):
        raise UserError('no generator checkpoint for step %d in %s (have: %s)'
                        % (step, weight_dir, checkpoint_steps(weight_dir) or 'none'))
    gan = cls(config, compile=compile)
    load_weights(gan.generator, gen_file, 'generator')
    disc_file = os.path.join(weight_dir, 'discriminator_epoch_%d.h5' % step)
    if os.path.exists(disc_file):
        load_weights(gan.discriminator, disc_file, 'discriminator')
    gan.step = step
    gan.run_dir = run_dir
    return gan


def restore_checkpoint(gan, run_dir, step):
    """Load checkpoint `step` of a run into `gan` for resuming: weights, optimizers, RNG states.

    Returns the state's meta dict (its 'extra' holds what the hooks saved).
    """
    state, meta = read_state(run_dir, step)
    if meta.get('arch') != gan.config.arch or meta.get('preset') != gan.config.preset:
        raise UserError('checkpoint %d of %s was written by preset %s (arch %s), not %s; resume it '
                        'with its own --preset' % (step, run_dir, meta.get('preset'), meta.get('arch'),
                                                   gan.config.preset))
    load_weights(gan.generator, weight_path(run_dir, 'generator', step), 'generator')
    load_weights(gan.discriminator, weight_path(run_dir, 'discriminator', step), 'discriminator')
    gan.set_state(state)
    return meta
