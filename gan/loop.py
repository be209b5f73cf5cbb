"""The training loop: a step counter that calls hooks; it knows nothing about files."""
import time


class Hook(object):
    """Override any of these; `logs` is the dict of named losses a step returned."""

    def on_train_begin(self, step):
        pass

    def on_step_end(self, step, logs):
        pass

    def on_train_end(self, step):
        pass


def run(step_fn, start_step, end_step, hooks=()):
    """Run steps start_step+1 .. end_step (1-based, as in Faces_<step>.png); returns the last step."""
    for h in hooks:
        h.on_train_begin(start_step)
    step = start_step
    for step in range(start_step + 1, end_step + 1):
        t0 = time.time()
        logs = step_fn(step)
        logs['seconds'] = time.time() - t0
        for h in hooks:
            h.on_step_end(step, logs)
    for h in hooks:
        h.on_train_end(step)
    return step
