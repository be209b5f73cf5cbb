"""The training loop: a step counter that calls hooks; it knows nothing about files."""
import time


class Hook(object):
    """Override any of these; `logs` is the dict of named losses a step returned.

    `on_step_end` may return True to end training cleanly once every hook has seen the step.
    """

    def on_train_begin(self, step):
        pass

    def on_step_end(self, step, logs):
        pass

    def on_train_end(self, step):
        pass


def run(step_fn, start_step, end_step, hooks=()):
    """Run steps start_step+1 .. end_step (1-based, as in Faces_<step>.png); returns the last step.

    A hook that raises ends the run at once (no end hooks: nothing is saved past a failure);
    a hook that asks to stop ends it after the step, and the end hooks run as usual.
    """
    for h in hooks:
        h.on_train_begin(start_step)
    step = start_step
    for step in range(start_step + 1, end_step + 1):
        t0 = time.time()
        logs = step_fn(step)
        logs['seconds'] = time.time() - t0
        stop = [h.on_step_end(step, logs) for h in hooks]
        if any(stop):
            break
    for h in hooks:
        h.on_train_end(step)
    return step
