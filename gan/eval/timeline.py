"""A run's timeline: every saved checkpoint measured against the real set, with its plot and
the GIF of its grids."""
import os

import numpy as np

from .. import io
from ..config import UserError
from ..grids import through_original_figure
from . import metrics as M
from .pictures import GIF_MAX_FRAMES, grid_files, grid_gif, plot_timeline, unique_paths
from .scores import diversity, nn_dict, split_real, swd_dict
from .sets import DEFAULT_N, generate_from_checkpoint


def timeline(run_dir, real, n=DEFAULT_N, seed=0, out_dir=None, steps=None, floor=None,
             known=None, gif_frames=GIF_MAX_FRAMES, log=None, like_original=False):
    """Metrics of every saved checkpoint of a run, and (with out_dir) their JSON, plot and GIF.

    `real` is the real pool, split as in compare_sets (n held out for the floor, the rest is the
    real set). For each step of gan.io.checkpoint_steps(run_dir/weight) (or `steps`), `n` images
    are generated with `seed` in a fresh session (one model in memory at a time) and measured:
    SWD against the real set, MS-SSIM diversity, nearest real image. `floor` (an SWD dict with
    'mean') reuses an already computed floor, and `known` ({step: images}) images already
    generated with the same n and seed (as measured: after like_original, if given).
    `like_original` draws each step's images through the original's figure first
    (grids.through_original_figure). With out_dir, writes timeline.json, timeline.png
    and timeline.gif (the image/Faces_<step>.png grids in step order), never overwriting (a
    suffix _2, _3, ... is added), and lists them under 'files'.
    """
    log = log or (lambda msg: None)
    weight_dir = os.path.join(run_dir, 'weight')
    steps = io.checkpoint_steps(weight_dir) if steps is None else list(steps)
    grids = grid_files(run_dir)
    if not steps and not grids:
        raise UserError('--timeline: %s has no checkpoints (weight/generator_epoch_<step>.h5) and no '
                        'grids (image/Faces_<step>.png)' % run_dir)
    real = np.asarray(real)
    if len(real) < n + 2:
        raise UserError('the real set has %d images; the timeline needs at least %d'
                        % (len(real), n + 2))
    held, rest = split_real(real, n, seed)
    if floor is None:
        floor = swd_dict(M.swd_floor(real, seed=seed, n=n))
    result = {'run': run_dir, 'seed': int(seed), 'n': int(n), 'real_n': int(len(rest)),
              'like_original': bool(like_original),
              'floor': floor, 'real_ms_ssim': diversity(rest),
              'real_holdout_nn_median': float(M.nearest_neighbours(held, rest)['median']),
              'steps': []}
    for step in steps:
        if known and step in known:
            images = known[step]
        else:
            images, _ = generate_from_checkpoint(run_dir, n=n, seed=seed, step=step)
            if like_original:
                images = through_original_figure(images)
        entry = {'step': int(step), 'swd': swd_dict(M.swd(images, rest, seed=seed)),
                 'ms_ssim': diversity(images),
                 'nn': nn_dict(M.nearest_neighbours(images, rest))}
        result['steps'].append(entry)
        log('step %-7d SWD mean %7.2f  MS-SSIM %.4f  nearest real %.4f'
            % (step, entry['swd']['mean'], entry['ms_ssim'], entry['nn']['median']))
    if out_dir is not None:
        io.ensure_writable_dir(out_dir)
        json_path, png_path, gif_path = unique_paths(out_dir, 'timeline', ('.json', '.png', '.gif'))
        files = {}
        if result['steps']:
            plot_timeline(result, png_path)
            files['plot'] = png_path
        gif_steps = grid_gif(run_dir, gif_path, max_frames=gif_frames)
        if gif_steps:
            files['gif'] = gif_path
            result['gif_steps'] = gif_steps
        files['json'] = json_path
        result['files'] = files
        io.write_json(json_path, result)
    return result
