"""Training-loop hooks that write a run's outputs: grids, checkpoints, history, TensorBoard, progress."""
import os
import signal
import struct
import sys

import numpy as np

from . import io
from .loop import Hook

# TensorFlow is imported by the TensorBoard hook itself: the CLI loads this module for --help.


class SampleGrid(Hook):
    """image/Faces_<step>.png every `interval` steps (and at the end), from latents fixed per run.

    `last` is the step of the latest grid and `png` its bytes, for hooks that log it too.
    """

    def __init__(self, gan, run_dir, interval, latents):
        self.gan, self.run_dir, self.interval, self.latents = gan, run_dir, interval, latents
        self.last = self.png = None

    def write(self, step):
        n = self.gan.config.grid_size
        self.png = io.save_grid(os.path.join(self.run_dir, 'image', 'Faces_%d.png' % step),
                                self.gan.generate(self.latents), n, n)
        self.last = step

    def on_step_end(self, step, logs):
        if step % self.interval == 0:
            self.write(step)

    def on_train_end(self, step):
        if step and self.last != step:
            self.write(step)


class History(Hook):
    """history.csv: losses averaged over each block of `interval` steps, with the step counters
    of io.OPTIONAL_HISTORY_FIELDS when the steps return them."""

    def __init__(self, run_dir, interval):
        self.path = os.path.join(run_dir, 'history.csv')
        self.interval = interval
        self.pending = []

    def on_step_end(self, step, logs):
        self.pending.append(logs)
        if step % self.interval == 0:
            self.flush(step)

    def flush(self, step):
        if not self.pending:
            return
        row = {'step': step}
        for k in io.HISTORY_FIELDS[1:] + io.OPTIONAL_HISTORY_FIELDS:
            if all(k in p for p in self.pending):
                row[k] = float(np.mean([p[k] for p in self.pending]))
        io.append_history(self.path, row)
        self.pending = []

    def on_train_end(self, step):
        self.flush(step)

    def get_state(self):
        keys = io.HISTORY_FIELDS[1:] + io.OPTIONAL_HISTORY_FIELDS
        return {'history_pending': [{k: p[k] for k in keys if k in p} for p in self.pending]}

    def set_state(self, state, step):
        """Resume after checkpoint `step`: drop rows written after it (and a partial row written
        at it when the run stopped mid-block), and restore the partial block."""
        self.pending = list(state.get('history_pending', []))
        if os.path.exists(self.path):
            rows = [r for r in io.read_history(self.path)
                    if r['step'] < step or (r['step'] == step and step % self.interval == 0)]
            os.remove(self.path)
            for r in rows:
                io.append_history(self.path, dict(r, step=int(r['step'])))


class Checkpoint(Hook):
    """Model files and training state every `interval` steps, at `steps` and at the end, then the
    loss plot.

    `state_from` are hooks whose get_state() is saved with the checkpoint (e.g. History).
    """

    def __init__(self, gan, run_dir, interval, state_from=(), guard=None, steps=()):
        self.gan, self.run_dir, self.interval = gan, run_dir, interval
        self.steps = set(steps)          # checkpoint at these steps too (--milestone-steps)
        self.state_from, self.guard = list(state_from), guard
        self.last = None
        self.extra = {}

    def write(self, step):
        if self.guard is not None:
            self.guard.check_weights(step)
        self.gan.save_model(self.run_dir, step, extra=self.extra)
        self.last = step
        history = os.path.join(self.run_dir, 'history.csv')
        if os.path.exists(history):
            io.plot_history(history, os.path.join(self.run_dir, 'loss.png'))

    def on_step_end(self, step, logs):
        # state as of the end of this step (the end hooks may flush it before on_train_end)
        self.extra = {}
        for h in self.state_from:
            self.extra.update(h.get_state())
        if step % self.interval == 0 or step in self.steps:
            self.write(step)

    def on_train_end(self, step):
        if step and self.last != step:
            self.write(step)


class TensorBoard(Hook):
    """TensorBoard event files in `folder`: the losses and accuracies every step (tags as in
    history.csv), each grid of `grids` (a SampleGrid placed before this hook) as image 'grid',
    and `text` (config.json) as text 'config'.

    Summaries are protobufs built on the host, so the graph does not grow; events are flushed
    after every step, so a killed run keeps them. Each start writes a new file that opens with
    SessionLog START at its first step: TensorBoard then drops the steps a killed process logged
    after the checkpoint a resume restarts from (the older file still holds them).
    """

    def __init__(self, folder, grids=None, text=None):
        import tensorflow as tf
        self.tf, self.grids, self.text = tf, grids, text
        # one file per start; the pid keeps two starts within a second apart
        self.writer = tf.compat.v1.summary.FileWriter(folder, filename_suffix='.%d' % os.getpid())
        self.logged_grid = None

    def on_train_begin(self, step):
        v1 = self.tf.compat.v1
        self.writer.add_session_log(v1.SessionLog(status=v1.SessionLog.START), step + 1)
        if self.text is not None:
            meta = v1.SummaryMetadata(plugin_data=v1.SummaryMetadata.PluginData(plugin_name='text'))
            code = '\n'.join('    ' + line for line in self.text.splitlines())  # Markdown code block
            value = v1.Summary.Value(tag='config', metadata=meta,
                                     tensor=v1.make_tensor_proto(code, dtype=self.tf.string))
            self.writer.add_summary(v1.Summary(value=[value]), step + 1)
        self.writer.flush()

    def on_step_end(self, step, logs):
        Value = self.tf.compat.v1.Summary.Value
        values = [Value(tag=k, simple_value=float(logs[k]))
                  for k in io.HISTORY_FIELDS[1:] + io.OPTIONAL_HISTORY_FIELDS if k in logs]
        self.writer.add_summary(self.tf.compat.v1.Summary(value=values), step)
        self._grid(step)
        self.writer.flush()

    def _grid(self, step):
        g = self.grids
        if g is None or g.last != step or self.logged_grid == step:
            return
        v1 = self.tf.compat.v1
        width, height = struct.unpack('>II', g.png[16:24])          # from the PNG's IHDR chunk
        image = v1.Summary.Image(height=height, width=width, colorspace=3, encoded_image_string=g.png)
        self.writer.add_summary(v1.Summary(value=[v1.Summary.Value(tag='grid', image=image)]), step)
        self.logged_grid = step

    def on_train_end(self, step):
        self._grid(step)                 # the final grid SampleGrid wrote in its on_train_end
        self.close()

    def close(self):
        """Flush and close the file (also on error paths, which skip on_train_end); once only,
        as a second FileWriter.close() would wait for its stopped thread."""
        if self.writer is not None:
            self.writer.close()
            self.writer = None


class Progress(Hook):
    """One line per step: losses, the median time of the last `recent` steps and the ETA from it.

    The first step after a start also builds the graph (Keras compiles its functions on first
    use), so its time is printed once, on a line of its own, and left out of the median.
    """

    def __init__(self, end_step, stream=None, recent=10):
        self.end_step, self.recent = end_step, recent
        self.stream = stream or sys.stdout
        self.first = None
        self.times = []

    def on_train_begin(self, step):
        self.first, self.times = step + 1, []

    def on_step_end(self, step, logs):
        line = ('step %d/%d  d_real %.4f (acc %.2f)  d_fake %.4f (acc %.2f)  g %.4f'
                % (step, self.end_step, logs['d_loss_real'], logs['d_acc_real'],
                   logs['d_loss_fake'], logs['d_acc_fake'], logs['g_loss']))
        if self.first in (None, step):
            self.first = step
            self.stream.write('first step after the start: %.2f s, building the graph included '
                              '(left out of s/step)\n' % logs['seconds'])
        else:
            self.times = (self.times + [logs['seconds']])[-self.recent:]
            sec = float(np.median(self.times))
            line += '  %.2f s/step  ETA %s' % (sec, format_seconds(sec * (self.end_step - step)))
        self.stream.write(line + '\n')
        self.stream.flush()


def format_seconds(s):
    s = int(round(s))
    d, s = divmod(s, 86400)
    h, s = divmod(s, 3600)
    m, s = divmod(s, 60)
    if d:
        return '%dd%02dh' % (d, h)
    if h:
        return '%dh%02dm' % (h, m)
    return '%dm%02ds' % (m, s)


class NonFiniteError(Exception):
    """A loss or weight became NaN or Inf."""


class NanGuard(Hook):
    """Stop at the first non-finite loss (and check weights before each checkpoint).

    Writes nonfinite.json beside the run with the recent losses; the last good checkpoint stays.
    """

    def __init__(self, gan, run_dir, keep=20):
        self.gan, self.run_dir, self.keep = gan, run_dir, keep
        self.recent = []

    def on_step_end(self, step, logs):
        self.recent = (self.recent + [dict(logs, step=step)])[-self.keep:]
        bad = sorted(k for k, v in logs.items() if not np.isfinite(v))
        if bad:
            self.fail(step, 'loss %s = %s' % (bad[0], logs[bad[0]]))

    def check_weights(self, step):
        for model in (self.gan.generator, self.gan.discriminator):
            for w, v in zip(model.weights, model.get_weights()):
                if not np.all(np.isfinite(v)):
                    self.fail(step, 'weight %s of the %s' % (w.name, model.name))

    def fail(self, step, what):
        path = os.path.join(self.run_dir, 'nonfinite.json')
        io.write_json(path, {'step': step, 'what': what, 'recent_steps': self.recent})
        raise NonFiniteError('training diverged at step %d: %s is not finite. The last good '
                             'checkpoint in %s is kept; recent losses are in %s. Try a lower --lr '
                             'or another --seed.' % (step, what, os.path.join(self.run_dir, 'weight'), path))


class RestartEvery(Hook):
    """Ends the run after every `interval`-th step short of `end_step` (0 = never); the end hooks
    then checkpoint it and the CLI restarts the process from there (--restart-every)."""

    def __init__(self, interval, end_step):
        self.interval, self.end_step = interval, end_step
        self.due = False

    def on_step_end(self, step, logs):
        self.due = bool(self.interval) and step % self.interval == 0 and step < self.end_step
        return self.due


class StopOnSignal(Hook):
    """SIGINT/SIGTERM end the run after the current step (the end hooks then checkpoint it)."""

    def __init__(self):
        self.received = None
        self._previous = {}

    def _handle(self, signum, frame):
        if self.received is not None:        # a second signal: stop now, the checkpoint stays
            raise KeyboardInterrupt
        self.received = signum
        sys.stderr.write('\n%s received: finishing this step, then saving a checkpoint '
                         '(send it again to abort at once)\n' % signal.Signals(signum).name)

    def on_train_begin(self, step):
        for sig in (signal.SIGINT, signal.SIGTERM):
            self._previous[sig] = signal.signal(sig, self._handle)

    def on_step_end(self, step, logs):
        return self.received is not None

    def on_train_end(self, step):
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
