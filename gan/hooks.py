"""Training-loop hooks that write a run's outputs: grids, checkpoints, history, progress."""
import os
import sys

import numpy as np

from . import io
from .loop import Hook


class SampleGrid(Hook):
    """image/Faces_<step>.png every `interval` steps (and at the end), from latents fixed per run."""

    def __init__(self, gan, run_dir, interval, latents):
        self.gan, self.run_dir, self.interval, self.latents = gan, run_dir, interval, latents
        self.last = None

    def write(self, step):
        n = self.gan.config.grid_size
        io.save_grid(os.path.join(self.run_dir, 'image', 'Faces_%d.png' % step),
                     self.gan.generate(self.latents), n, n)
        self.last = step

    def on_step_end(self, step, logs):
        if step % self.interval == 0:
            self.write(step)

    def on_train_end(self, step):
        if step and self.last != step:
            self.write(step)


class History(Hook):
    """history.csv: losses averaged over each block of `interval` steps."""

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
        for k in io.HISTORY_FIELDS[1:]:
            row[k] = float(np.mean([p[k] for p in self.pending]))
        io.append_history(self.path, row)
        self.pending = []

    def on_train_end(self, step):
        self.flush(step)


class Checkpoint(Hook):
    """Model files every `interval` steps and at the end, then the loss plot."""

    def __init__(self, gan, run_dir, interval):
        self.gan, self.run_dir, self.interval = gan, run_dir, interval
        self.last = None

    def write(self, step):
        self.gan.save_model(self.run_dir, step)
        self.last = step
        history = os.path.join(self.run_dir, 'history.csv')
        if os.path.exists(history):
            io.plot_history(history, os.path.join(self.run_dir, 'loss.png'))

    def on_step_end(self, step, logs):
        if step % self.interval == 0:
            self.write(step)

    def on_train_end(self, step):
        if step and self.last != step:
            self.write(step)


class Progress(Hook):
    """One line per step: losses, seconds per step (mean of the last 10) and ETA."""

    def __init__(self, end_step, stream=None):
        self.end_step = end_step
        self.stream = stream or sys.stdout
        self.times = []

    def on_step_end(self, step, logs):
        self.times = (self.times + [logs['seconds']])[-10:]
        sec = float(np.mean(self.times))
        self.stream.write('step %d/%d  d_real %.4f (acc %.2f)  d_fake %.4f (acc %.2f)  g %.4f  '
                          '%.2f s/step  ETA %s\n'
                          % (step, self.end_step, logs['d_loss_real'], logs['d_acc_real'],
                             logs['d_loss_fake'], logs['d_acc_fake'], logs['g_loss'], sec,
                             format_seconds(sec * (self.end_step - step))))
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
