"""Recipes on equal compute: the budget's arithmetic, and the queue that trains each preset to it."""
import json
import math
import os
import resource
import shutil
import signal
import stat
import subprocess
import sys
import time
from typing import NamedTuple, Tuple

from .. import io
from ..config import UserError, epoch_length, resolve
from ..data import find_images
from ..eval import references

PFLOP = 1e15
# The siblings' published epochs as real images seen by D: AnimeFacesWithGAN's epoch is one pass
# over splcher's set (63,565 crops, batch 128: 497 batches). A run checkpoints where it passes the
# epochs the catalogue has grids of for the runs the presets follow (October 2023: 1-10, 15, 20,
# 25, 30, 40, 50), so that each can be compared with the grid of its matched epoch.
SIBLING_EPOCH_IMAGES = 63565
SIBLING_EPOCHS = tuple(sorted({int(r.name.split(':')[1]) for r in references.catalogue()
                               if (r.preset or '').startswith('animefaceswithgan')}))
# The checkout (gan/study/queue.py's third parent): its train.py, and gan on the counter's path.
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


# -- arithmetic ---------------------------------------------------------------------------------

def real_images_per_step(cfg):
    """Real images D trains on in a full step: every D round's half batch in the alternating
    scheme (1 + unroll rounds), the whole batch in the others."""
    if cfg.scheme == 'alternating':
        return (cfg.batch_size // 2) * (1 + cfg.unroll_steps)
    return cfg.batch_size


def images_seen(cfg, n_images, steps):
    """Real images D has trained on after `steps` steps on a set of `n_images` (full passes end in
    a short batch)."""
    if cfg.scheme != 'alternating' and cfg.sampling == 'passes':
        spe = epoch_length(cfg, n_images)
        passes, rest = divmod(steps, spe)
        return passes * n_images + min(rest * cfg.batch_size, n_images)
    return steps * real_images_per_step(cfg)


def step_for_images(cfg, n_images, images):
    """The first step after which D has seen at least `images` real images."""
    lo, hi = 0, max(1, -(-images // real_images_per_step(cfg)) * 2)
    while images_seen(cfg, n_images, hi) < images:
        hi *= 2
    while lo < hi:                      # images_seen is non-decreasing in steps
        mid = (lo + hi) // 2
        if images_seen(cfg, n_images, mid) >= images:
            hi = mid
        else:
            lo = mid + 1
    return lo


class Plan(NamedTuple):
    """One recipe's share of the budget."""
    preset: str
    flops_per_step: float              # training FLOPs of one step (gan.study.flops)
    steps: int                         # steps the budget buys (rounded up: at least the budget)
    fraction_steps: Tuple[int, ...]    # the steps at which each tenth (or --fractions) of it is spent
    image_steps: Tuple[Tuple[int, int], ...]   # (sibling epoch, the step D has seen its images)
    images: int                        # real images D sees in all

    @property
    def milestones(self):
        return sorted(set(self.fraction_steps) | {s for _, s in self.image_steps})


def plan(cfg, n_images, flops_per_step, budget, fractions=10):
    """How many steps `budget` FLOPs buy for the recipe `cfg` and where it checkpoints: at each
    1/fractions of the budget and where D passes the siblings' published epochs."""
    if flops_per_step <= 0 or budget <= 0 or fractions < 1:
        raise UserError('the budget, the FLOPs per step and --fractions must be positive')
    steps = int(math.ceil(budget / flops_per_step - 1e-9))
    tenths = tuple(int(math.ceil(k * budget / fractions / flops_per_step - 1e-9))
                   for k in range(1, fractions + 1))
    epochs = []
    for e in SIBLING_EPOCHS:
        s = step_for_images(cfg, n_images, e * SIBLING_EPOCH_IMAGES)
        if s <= steps:
            epochs.append((e, s))
    return Plan(cfg.preset, float(flops_per_step), steps, tenths, tuple(epochs),
                images_seen(cfg, n_images, steps))


# -- FLOPs per step, counted in a process of its own ----------------------------------------------

def count_flops(preset, changes=None, python=None):
    """FLOPs of one step of `preset` with `changes` (Config fields), counted by gan.study.flops
    (`python -m gan flops`) with TF's own kernels in a fresh process of `python` (its graph is
    freed after). oneDNN builds count with their MKL rewrite off (TF_DISABLE_MKL), so both
    builds count the same ops."""
    env = dict(os.environ, TF_DISABLE_MKL='1', PYTHONPATH=os.pathsep.join(
        [ROOT] + ([os.environ['PYTHONPATH']] if os.environ.get('PYTHONPATH') else [])))
    out = subprocess.run([python or sys.executable, '-m', 'gan', 'flops', preset, '--json',
                          '--set', json.dumps(changes or {})],
                         env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         universal_newlines=True)
    if out.returncode != 0:
        raise UserError('counting the FLOPs of --preset %s failed:\n%s' % (preset, out.stderr[-2000:]))
    return json.loads(out.stdout.strip().splitlines()[-1])


def describe_build(python=None):
    """'oneDNN' or 'stock' and the TF version of `python`'s TensorFlow."""
    code = ('import tensorflow as tf; from tensorflow.python import pywrap_tensorflow as p; '
            'print(tf.__version__, int(p.IsMklEnabled()))')
    out = subprocess.run([python or sys.executable, '-c', code], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, universal_newlines=True,
                         env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL='3'))
    try:
        version, mkl = out.stdout.split()[-2:]
    except ValueError:
        return 'unknown'
    return '%s TF %s' % ('oneDNN' if mkl == '1' else 'stock', version)


# -- the queue ----------------------------------------------------------------------------------

QUEUE_FILE = 'queue.json'


def run_name(preset, seed):
    return '%s-seed%d' % (preset, seed)


# Config fields that change how a run is kept, logged or executed, not its recipe's math.
NOT_RECIPE = frozenset(('sample_interval', 'checkpoint_interval', 'history_interval',
                        'keep_checkpoints', 'milestone_interval', 'milestone_steps', 'grid_size',
                        'data', 'out', 'seed', 'deterministic', 'sample_epochs',
                        'checkpoint_epochs', 'execution', 'kernels', 'tensorboard',
                        'restart_every'))


def recipe_changes_of(preset, changes=None):
    """The `changes` (Config fields) that make another recipe of `preset`, sorted: those that
    differ from the preset's own values and are not bookkeeping (NOT_RECIPE)."""
    own = resolve(preset)._asdict()
    return [(k, v) for k, v in sorted((changes or {}).items())
            if k not in NOT_RECIPE and own.get(k) != v]


def _flag_value(v):
    return '%g' % v if isinstance(v, float) else str(v).lower() if isinstance(v, bool) else str(v)


def _recipe_flags(preset, changes=None):
    """recipe_changes_of as (flag name, value) strings: ('g-threshold', '0')."""
    return [(k.replace('_', '-'), _flag_value(v)) for k, v in recipe_changes_of(preset, changes)]


def recipe_name(preset, changes=None):
    """The recipe a queue run trains, as its train.py flags: the preset alone, or e.g.
    'animefaceswithgan-v4.3 --g-extra-threshold 4 --g-threshold 0'."""
    return ' '.join([preset] + ['--%s %s' % f for f in _recipe_flags(preset, changes)])


def recipe_slug(preset, changes=None):
    """recipe_name as a file name: 'animefaceswithgan-v4.3+g-extra-threshold=4+g-threshold=0'."""
    return '+'.join([preset] + ['%s=%s' % f for f in _recipe_flags(preset, changes)])


class Queue(object):
    """The queue's record (queue.json in its folder): its data, and per run (`<preset>-seed<s>`)
    its preset, seed, plan, state ('waiting', 'running', 'done', 'failed', 'stopped') and every
    segment run (start, end, steps, wall and CPU seconds, exit code). A rerun reads it and
    continues. Queues written before runs had seeds of their own (runs keyed by preset, one
    top-level seed) are read as the same runs."""

    def __init__(self, folder):
        self.folder = folder
        self.path = os.path.join(folder, QUEUE_FILE)
        self.doc = {'runs': {}}
        if os.path.exists(self.path):
            with open(self.path) as f:
                self.doc = upgrade(json.load(f))

    def check_same(self, key, value):
        old = self.doc.get(key)
        if old is not None and old != value:
            raise UserError('the queue in %s was started with --%s %s, not %s; use another --out '
                            'for a new queue' % (self.folder, key, old, value))
        self.doc[key] = value

    def run(self, preset, seed):
        name = run_name(preset, seed)
        return self.doc['runs'].setdefault(name, {'preset': preset, 'seed': seed, 'run': name,
                                                  'state': 'waiting', 'segments': []})

    def save(self):
        io.write_json(self.path, self.doc)


def upgrade(doc):
    """A queue.json of the first format (runs keyed by preset, their seed at the top) as runs
    keyed by run name, each with its preset and seed; other documents as they are."""
    if 'seed' not in doc:
        return doc
    seed = doc.pop('seed')
    runs = {}
    for key, entry in doc.get('runs', {}).items():
        preset = entry.setdefault('preset', key)
        entry.setdefault('seed', seed)
        entry.setdefault('run', run_name(preset, entry['seed']))
        runs[entry['run']] = entry
    doc['runs'] = runs
    return doc


def _start_seed(preset, source, seeds):
    """The seed of the run folder that --start PRESET=SOURCE continues: one of `seeds`."""
    cfg = io.read_run_config(source) if os.path.isdir(source) else None
    if cfg is None:
        raise UserError('--start %s: no run folder with config.json there' % source)
    if cfg.seed not in seeds:
        raise UserError('--start %s=%s: that run has seed %d; give it in --seeds'
                        % (preset, source, cfg.seed))
    return cfg.seed


def _copy_start(source, run_dir):
    """Copy a run folder (read-only ones too) to start a queue's run from its checkpoint."""
    if io.latest_step(source) is None or io.read_run_config(source) is None:
        raise UserError('--start %s: no run folder with config.json and a checkpoint there' % source)
    shutil.copytree(source, run_dir)
    for root, dirs, files in os.walk(run_dir):
        for name in dirs + files:
            p = os.path.join(root, name)
            os.chmod(p, os.stat(p).st_mode | stat.S_IWUSR)
    os.chmod(run_dir, os.stat(run_dir).st_mode | stat.S_IWUSR)


def train_command(python, args):
    """The command that runs train.py with `args` (the checkout's train.py when present)."""
    script = os.path.join(ROOT, 'train.py')
    if os.path.exists(script):
        return [python, script] + args
    return [python, '-c', 'import sys; from gan.cli import train_main; sys.exit(train_main())'] + args


class _Forward(object):
    """While a child runs, SIGINT / SIGTERM go to it (it checkpoints and exits) and stop the queue."""

    def __init__(self):
        self.child, self.received, self._old = None, None, {}

    def __enter__(self):
        for sig in (signal.SIGINT, signal.SIGTERM):
            self._old[sig] = signal.signal(sig, self._handle)
        return self

    def _handle(self, signum, frame):
        self.received = signum
        if self.child is not None and self.child.poll() is None:
            self.child.send_signal(signum)

    def __exit__(self, *exc):
        for sig, handler in self._old.items():
            signal.signal(sig, handler)


def run_queue(presets, data, out, budget, seeds=(1,), fractions=10, starts=None, python=None,
              changes=None, extra_args=(), dry_run=False, log=print, runner=None):
    """Train each of `presets` with each of `seeds` on `data` to `budget` FLOPs, each run in
    out/<preset>-seed<seed>; a rerun continues where the queue stopped (a run with all its steps
    is skipped, a started one resumed). `runner(queue, jobs, build, log)` trains the runs left and
    returns the exit status (gan.study.engine's on Dask workers; by default one after another in
    this process). `starts` maps a preset to a run folder to continue (copied in). `changes`
    (Config fields) change every preset, as `extra_args` (the same changes as train.py flags) do
    in its runs. Returns the exit status: 0 when every run ended, the signal's 128 + n when one
    stopped it."""
    python = python or sys.executable
    seeds = list(seeds)
    starts = dict(starts or {})
    n_images = len(find_images(data))
    if not dry_run:                             # a dry run writes nothing, as train.py's
        os.makedirs(out, exist_ok=True)
    queue = Queue(out)
    queue.check_same('data', os.path.abspath(data))
    queue.doc['images'] = n_images
    build = describe_build(python)
    plans, flops = {}, {}
    for preset in presets:
        cfg = resolve(preset, **(changes or {}))
        entries = [queue.run(preset, seed) for seed in seeds]
        for entry in entries:
            if entry.get('changes', {}) != (changes or {}):
                entry.pop('flops', None)
            entry['changes'] = changes or {}
            if preset not in flops and 'flops' in entry:
                flops[preset] = entry['flops']          # a preset's count serves all its seeds
        if preset not in flops:
            log('counting the FLOPs of one %s step ...' % preset)
            flops[preset] = count_flops(preset, changes, python)
        if cfg.g_extra_threshold and 'extra_g_step' not in flops[preset]:
            # its extra G step, counted alone (it fires on the loss, so the step count lacks it)
            always = dict(changes or {}, g_extra_threshold=1e-9)
            flops[preset]['extra_g_step'] = (count_flops(preset, always, python)['total']
                                             - flops[preset]['total'])
        p = plan(cfg, n_images, flops[preset]['total'], budget, fractions)
        plans[preset] = p
        for entry in entries:
            entry.update(flops=flops[preset], plan=p._asdict(), budget=budget)
        if not dry_run:
            queue.save()
    log('budget %.3g PFLOP per recipe on %d images (%s), seeds %s, %s'
        % (budget / PFLOP, n_images, data, ','.join(str(s) for s in seeds), build))
    log('%-24s %12s %8s %12s  checkpoints kept at steps' % ('preset', 'TFLOP/step', 'steps', 'real images'))
    for preset in presets:
        p = plans[preset]
        log('%-24s %12.4f %8d %12d  %s' % (preset, p.flops_per_step / 1e12, p.steps, p.images,
                                            ','.join(str(s) for s in p.milestones)))
        extra = flops[preset].get('extra_g_step')
        if extra:
            log('%-24s %12s  + %.4f TFLOP for each extra G step (--g-extra-threshold), counted '
                'from history.csv when scored' % ('', '', extra / 1e12))
    if dry_run:
        return 0
    jobs = []
    for preset in presets:
        for seed in seeds:
            p, entry = plans[preset], queue.run(preset, seed)
            run_dir = os.path.join(out, entry['run'])
            done = io.latest_step(run_dir) if os.path.isdir(run_dir) else None
            if done is not None and done >= p.steps:
                entry['state'] = 'done'
                continue
            if entry['state'] == 'failed' and done is not None:
                log('%s: failed before (%s); skipped. Delete %s to train it again'
                    % (entry['run'], entry.get('error', '?'), run_dir))
                continue
            if not os.path.isdir(run_dir) and preset in starts and \
                    _start_seed(preset, starts[preset], seeds) == seed:
                _copy_start(starts[preset], run_dir)
                log('%s: continuing %s (step %d), copied to %s'
                    % (entry['run'], starts[preset], io.latest_step(run_dir), run_dir))
            common = ['--data', data, '--out', out, '--steps', str(p.steps),
                      '--milestone-steps', ','.join(str(s) for s in p.milestones)] + list(extra_args)
            jobs.append({'run': entry['run'], 'run_dir': run_dir, 'python': python,
                         'log': os.path.join(out, entry['run'] + '.log'), 'steps': p.steps,
                         'resume': ['--resume', run_dir] + common,
                         'start': ['--preset', preset, '--seed', str(seed), '--run-dir', run_dir]
                         + common})
    queue.save()
    if not jobs:
        log('every run has its budget')
        return 0
    return (runner or run_in_turn)(queue, jobs, build, log)


def job_args(job):
    """train.py's arguments for a job, decided where it runs: --resume once the run has its
    config.json, else a new run (a folder left by a start killed before that is removed)."""
    if os.path.exists(os.path.join(job['run_dir'], 'config.json')):
        return job['resume']
    if os.path.isdir(job['run_dir']):
        shutil.rmtree(job['run_dir'])        # a start killed before its config.json: nothing saved
    return job['start']


def record(queue, job, code, received, log):
    """A finished segment's outcome into its run's entry. Returns the run's new state."""
    entry = queue.doc['runs'][job['run']]
    entry['state'] = outcome(code, received)
    entry.pop('error', None)
    entry.pop('worker', None)          # the engine's note of who trains it (the segment keeps it)
    if entry['state'] == 'failed':
        entry['error'] = _failure(job['run_dir'], code)
        log('%s failed: %s' % (job['run'], entry['error']))
    queue.save()
    return entry['state']


def stop_status(code, received):
    """The queue's exit status when a signal stopped it: 128 + the signal."""
    return 128 + (received or (-code if code < 0 else code - 128))


def run_in_turn(queue, jobs, build, log):
    """The jobs one after another in this process; a signal stops the queue after the run it
    reached has checkpointed."""
    for job in jobs:
        entry = queue.doc['runs'][job['run']]
        code, received = _run_segment(queue, entry, job['python'], job_args(job), job['log'],
                                      build, log)
        if record(queue, job, code, received, log) == 'stopped':
            log('queue stopped during %s at step %s; run the same command to continue'
                % (job['run'], io.latest_step(job['run_dir'])))
            return stop_status(code, received)
    return 0


def outcome(code, received=None):
    """A run's state from train.py's exit status and the signal the queue received, if any:
    'done', 'stopped' (a signal ended it: ours, forwarded, or one that killed it; the queue stops)
    or 'failed' (it ended on its own with an error: the queue goes on)."""
    if received is not None or code < 0 or code in (128 + signal.SIGINT, 128 + signal.SIGTERM):
        return 'stopped'
    return 'done' if code == 0 else 'failed'


def open_segment(cmd, build, run_dir):
    """A segment's record as train.py starts: its command, build and first step."""
    return {'start': time.strftime('%Y-%m-%dT%H:%M:%S%z'), 'command': cmd, 'build': build,
            'from_step': io.latest_step(run_dir) if os.path.isdir(run_dir) else None}


def close_segment(segment, code, t0, cpu_seconds, run_dir):
    """A segment's record once train.py has exited: end, exit status, wall and CPU seconds, last
    step."""
    segment.update(end=time.strftime('%Y-%m-%dT%H:%M:%S%z'), exit=code,
                   wall_seconds=round(time.time() - t0, 1), cpu_seconds=round(cpu_seconds, 1),
                   to_step=io.latest_step(run_dir) if os.path.isdir(run_dir) else None)
    return segment


def _run_segment(queue, entry, python, args, log_path, build, log):
    """Run train.py once, its output appended to log_path; record the segment in the queue.
    Returns its exit status and the signal the queue received meanwhile (or None)."""
    cmd = train_command(python, args)
    log('$ ' + ' '.join(cmd))
    run_dir = os.path.join(queue.folder, entry['run'])
    segment = open_segment(cmd, build, run_dir)
    entry['state'] = 'running'
    entry['segments'].append(segment)
    queue.save()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.time()
    with open(log_path, 'a') as f, _Forward() as fwd:
        f.write('\n$ %s\n' % ' '.join(cmd))
        f.flush()
        fwd.child = subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT)
        if fwd.received is not None:       # a signal came while the child started
            fwd.child.send_signal(fwd.received)
        code = fwd.child.wait()
        received = fwd.received
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    close_segment(segment, code, t0, after.ru_utime - before.ru_utime + after.ru_stime
                  - before.ru_stime, run_dir)
    queue.save()
    return code, received


def _failure(run_dir, code):
    """What stopped a run: the NaN guard's record, or the exit status."""
    path = os.path.join(run_dir, 'nonfinite.json')
    if os.path.exists(path):
        with open(path) as f:
            doc = json.load(f)
        return 'diverged at step %s: %s not finite' % (doc.get('step'), doc.get('what'))
    return 'train.py exited with status %d (see the log)' % code
