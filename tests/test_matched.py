"""Runs beside their authors' grids at matched lengths (gan/study/matched.py)."""
import os
import subprocess
import sys

import numpy as np

from conftest import ROOT
from gan.study import matched
from gan.study.queue import SIBLING_EPOCH_IMAGES


def point(step, images, swd=50.0):
    return {'step': step, 'images': images, 'swd': {'mean': swd}}


def test_each_published_epoch_takes_the_nearest_checkpoint_within_the_tolerance():
    e = SIBLING_EPOCH_IMAGES
    row = {'preset': 'animefaceswithgan-v1', 'points': [
        point(300, int(0.6 * e)),            # near no epoch
        point(499, e + 118),                 # epoch 1
        point(2421, int(4.86 * e)),          # within 5% of epoch 5, but 2491 is nearer
        point(2491, 5 * e + 78),
        point(3026, int(6.07 * e))]}         # epoch 6, 1.2% past it
    got = [(epoch, p['step'], ref.name) for epoch, p, ref in matched.matched_points(row)]
    assert got == [(1, 499, 'animefaceswithgan-v1:1'), (5, 2491, 'animefaceswithgan-v1:5'),
                   (6, 3026, 'animefaceswithgan-v1:6')]
    assert all(ref.bn_batch == 64 for _, _, ref in matched.matched_points(row))
    # presets whose authors published no numbered epochs, or the December re-runs: none
    assert matched.matched_points(dict(row, preset='gan_animation')) == []
    assert matched.matched_points(dict(row, preset='ganime')) == []
    assert 10 in matched.published_epochs('animefaceswithgan-v2')
    assert 100 not in matched.published_epochs('animefaceswithgan-v2')     # December only


class FakeReal(object):
    n, real_n = 100, 1000

    def key(self):
        return 'real'

    def floor(self, k):
        return {'swd': {'mean': {100: 20.4, 64: 25.3}[k]}}


def test_the_table_sets_ours_beside_the_published_grid_and_both_floors():
    e = SIBLING_EPOCH_IMAGES
    row = {'preset': 'animefaceswithgan-v1', 'recipe': 'animefaceswithgan-v1',
           'points': [point(499, e, 63.2), point(2491, 5 * e, 47.8)],
           'matched': [{'epoch': 5, 'step': 2491, 'published': 'animefaceswithgan-v1:5',
                        'authors': {'swd': {'mean': 41.0}, 'bn_batch': 64}}]}
    published = [{'name': 'animefaceswithgan-v1:5', 'n': 64, 'swd': {'mean': 59.2}}]
    table = matched.markdown_table([row], published, FakeReal())
    lines = [l for l in table.splitlines() if l.startswith('| `')]
    assert lines == ['| `animefaceswithgan-v1` | 1 | 499 (63,565 real images) | 63.2 | - | - | - |',
                     '| `animefaceswithgan-v1` | 5 | 2491 (317,825 real images) | 47.8 | 41.0 | 59.2 | 25.3 |']
    assert 'floor 20.4' in table
    assert matched.markdown_table([dict(row, preset='ganime')], published, FakeReal()) == ''


def test_a_run_is_scored_and_recorded_as_its_authors_drew_at_its_matched_epoch(tmp_path):
    """A tiny run stands for an AnimeFacesWithGAN run that reached epoch 1: its checkpoint is
    scored drawn with BatchNorm on batches of 64, cached, and its record keeps those faces."""
    from gan.eval.sets import generate_from_checkpoint
    from gan.study import scoreboard
    demo = os.path.join(ROOT, 'data', 'demo')
    r = subprocess.run([sys.executable, 'train.py', '--steps', '2', '--batch-size', '8',
                        '--unroll-steps', '0', '--seed', '3', '--arch', 'tiny', '--grid-size', '2',
                        '--checkpoint-interval', '2', '--data', demo,
                        '--run-dir', str(tmp_path / 'q' / 'afwg-seed1')],
                       cwd=ROOT, env=dict(os.environ, PYTHONPATH=ROOT, TF_CPP_MIN_LOG_LEVEL='2'),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                       timeout=900)
    assert r.returncode == 0, r.stderr[-2000:]
    real = scoreboard.RealSet(demo, n=8, real_n=24, seed=0)
    row = {'preset': 'animefaceswithgan-v1', 'recipe': 'animefaceswithgan-v1', 'seed': 1,
           'slug': 'animefaceswithgan-v1', 'run': 'afwg-seed1',
           'points': [point(2, SIBLING_EPOCH_IMAGES + 7)]}
    cache, saves, said = {}, [], []
    folder = str(tmp_path / 'q')
    matched.add_authors_scores(folder, [row], real, scoreboard.score_set, cache,
                               lambda: saves.append(1), log=said.append)
    (entry,) = row['matched']
    assert (entry['epoch'], entry['step'], entry['published']) == (1, 2, 'animefaceswithgan-v1:1')
    drawn, _ = generate_from_checkpoint(os.path.join(folder, 'afwg-seed1'), n=8, seed=0, step=2,
                                        bn_batch=64)
    assert entry['authors'] == dict(scoreboard.score_set(drawn, real.rest, 0), bn_batch=64)
    assert len(saves) == 1 and len(said) == 1 and 'as the authors drew' in said[0]
    matched.add_authors_scores(folder, [row], real, scoreboard.score_set, cache,
                               lambda: saves.append(1), log=said.append)
    assert len(saves) == 1 and len(said) == 1                 # the second time from the cache

    # its record keeps the faces drawn both ways; the authors' are the same latents, drawn so
    row['points'][0].update(pflop=0.01, swd={'mean': 1.0})
    row.update(plan={'steps': 3}, last_step=2)                   # on its way: not recorded yet
    (kept,) = scoreboard.save_records(folder, [row], real, str(tmp_path / 'records'), faces=27,
                                      seed=0, log=said.append)
    assert 'record' not in kept and os.listdir(str(tmp_path / 'records')) == []
    assert 'not recorded: afwg-seed1 is at step 2 of 3' in said[-1]
    row['plan']['steps'] = 2                                     # at its budget
    (kept,) = scoreboard.save_records(folder, [row], real, str(tmp_path / 'records'), faces=27,
                                      seed=0, log=lambda *a: None)
    assert kept['faces_authors']['bn_batch'] == 64 and kept['faces_authors']['n'] == 25
    drawn, _ = generate_from_checkpoint(os.path.join(folder, 'afwg-seed1'), n=25, seed=0, step=2,
                                        bn_batch=64)          # a 5x5 grid beside ours' 6x5
    np.testing.assert_array_equal(scoreboard.record_faces(kept, 'faces_authors'), drawn)
    moving, _ = generate_from_checkpoint(os.path.join(folder, 'afwg-seed1'), n=27, seed=0, step=2)
    np.testing.assert_array_equal(scoreboard.record_faces(kept), moving)
    assert not np.array_equal(moving[:25], drawn)
    # the picture from the record: ours, ours drawn their way, and their grid's panel
    scoreboard.picture(None, [kept], str(tmp_path / 'at_budget.jpg'), faces=16)
    assert os.path.getsize(str(tmp_path / 'at_budget.jpg')) > 0
