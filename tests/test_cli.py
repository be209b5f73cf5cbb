"""train.py and sample.py from the command line, as a user runs them."""
import glob
import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT, assert_quiet_exit


def run(args, cwd=ROOT, **kw):
    env = dict(os.environ, PYTHONPATH=ROOT, TF_CPP_MIN_LOG_LEVEL='2')
    return subprocess.run([sys.executable] + args, cwd=cwd, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True, timeout=600, **kw)


def test_help_shows_every_flag_with_defaults():
    from gan.config import HELP, Config
    r = run(['train.py', '--help'])
    assert r.returncode == 0
    for flag in ('--steps', '--batch-size', '--unroll-steps', '--lr', '--latent-dim',
                 '--label-smoothing', '--flip-prob', '--sample-interval', '--checkpoint-interval',
                 '--data', '--out', '--seed', '--deterministic', '--dry-run', '--restore-optimizer'):
        assert flag in r.stdout
    assert '(default: 30000)' in r.stdout and '(default: 256)' in r.stdout
    assert set(HELP) == set(Config._fields)                # every option has its text
    squeezed = ''.join(r.stdout.split())                   # argparse rewraps the texts
    for name in Config._fields:                            # flag, its metavar, help, default
        default = getattr(Config(), name)
        metavar = {'preset': 'NAME|PATH.json'}.get(name, '' if type(default) is bool else name.upper())
        line = '--%s %s %s (default: %s)' % (name.replace('_', '-'), metavar, HELP[name], default)
        assert ''.join(line.split()) in squeezed, line
    assert '--epochs' not in r.stdout                      # the former alias of --steps is gone


def test_dry_run_prints_the_recipe_and_writes_nothing(tmp_path):
    r = run(['train.py', '--dry-run', '--steps', '7', '--out', str(tmp_path / 'out')])
    assert r.returncode == 0, r.stderr
    opts = json.loads(r.stdout)
    assert opts['steps'] == 7 and opts['batch_size'] == 256 and opts['unroll_steps'] == 10
    assert opts['latent_dim'] == 200 and opts['lr'] == 2e-4 and opts['seed'] is not None
    assert not (tmp_path / 'out').exists()
    r = run(['train.py', '--dry-run', '--epochs', '7'])      # no alias of --steps any more
    assert r.returncode == 2 and 'unrecognized arguments: --epochs' in r.stderr


@pytest.mark.parametrize('args,needle', [
    (['--batch-size', '1'], '--batch-size'),
    (['--flip-prob', '2'], '--flip-prob'),
    (['--preset', 'nope'], '--list-presets'),
])
def test_bad_flags_print_an_error_and_exit_1(args, needle):
    r = run(['train.py', '--dry-run'] + args)
    assert r.returncode == 1
    assert r.stderr.startswith('Error: ') and needle in r.stderr


def test_missing_data_folder_is_a_clear_error(tmp_path):
    r = run(['train.py', '--steps', '1', '--data', str(tmp_path / 'nowhere'), '--out', str(tmp_path)])
    assert r.returncode == 1
    assert 'Error: data folder' in r.stderr and 'nowhere' in r.stderr and '--data' in r.stderr


def test_train_two_steps_writes_the_save_layout_then_sample(tmp_path):
    out = tmp_path / 'save'
    data = os.path.join(ROOT, 'data')
    r = run(['train.py', '--steps', '2', '--batch-size', '8', '--unroll-steps', '1', '--seed', '3',
             '--sample-interval', '1', '--history-interval', '1', '--grid-size', '3',
             '--data', data, '--out', str(out)])
    assert r.returncode == 0, r.stderr[-3000:]
    assert_quiet_exit(r.stderr)
    assert 'step 2/2' in r.stdout and 's/step' in r.stdout and 'ETA' in r.stdout
    run_dir = out / '1'
    assert sorted(os.listdir(str(run_dir / 'image'))) == ['Faces_1.png', 'Faces_2.png']
    weights = sorted(os.listdir(str(run_dir / 'weight')))
    assert weights == ['checkpoint.json', 'discriminator_epoch_2.h5', 'gan_epoch_2.h5', 'generator_epoch_2.h5',
                       'state_epoch_2.npz']
    cfg = json.load(open(str(run_dir / 'config.json')))
    assert cfg['options']['seed'] == 3 and cfg['options']['batch_size'] == 8
    assert cfg['versions']['tensorflow'] == '1.15.5' and cfg['versions']['keras'] == '2.3.1'
    lines = open(str(run_dir / 'history.csv')).read().split()
    assert lines[0] == 'step,d_loss_real,d_loss_fake,d_acc_real,d_acc_fake,g_loss' and len(lines) == 3
    assert (run_dir / 'loss.png').exists() and (run_dir / 'grid_latents.npy').exists()

    grid = tmp_path / 'grid.png'
    r = run(['sample.py', str(run_dir), '--grid-size', '4', '--out', str(grid)])
    assert r.returncode == 0, r.stderr[-3000:]
    assert_quiet_exit(r.stderr)
    from gan.grids import split_grid
    assert split_grid(str(grid), expect=16).shape == (16, 64, 64, 3)
    r = run(['sample.py', str(run_dir), '--grid-size', '4', '--out', str(grid)])
    assert r.returncode == 1 and 'exists' in r.stderr          # never overwrites
    assert_quiet_exit(r.stderr)                                # an error after the model loaded
    r = run(['sample.py', str(run_dir / 'weight' / 'generator_epoch_2.h5'), '--n', '3',
             '--out', str(tmp_path / 'many')])
    assert r.returncode == 0 and len(os.listdir(str(tmp_path / 'many'))) == 3


def test_demo_script_trains_then_prints_the_last_grid_and_the_timeline(tmp_path):
    """scripts/demo.sh (`make demo`) end to end, with the tiny networks and 4 steps instead of its own."""
    from PIL import Image
    r = subprocess.run(['bash', os.path.join(ROOT, 'scripts', 'demo.sh'), sys.executable,
                        '--arch', 'tiny', '--steps', '4', '--sample-interval', '2',
                        '--checkpoint-interval', '2', '--grid-size', '2', '--out', str(tmp_path)],
                       cwd=str(tmp_path), env=dict(os.environ, PYTHONPATH=ROOT, TF_CPP_MIN_LOG_LEVEL='2'),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                       timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    assert_quiet_exit(r.stderr)
    run_dir = os.path.join(str(tmp_path), '1')
    assert json.load(open(os.path.join(run_dir, 'config.json')))['options']['data'] == 'data/demo'
    summary = r.stdout[r.stdout.rindex('last grid:'):].splitlines()
    assert summary[0] == 'last grid: %s' % os.path.join(run_dir, 'image', 'Faces_4.png')
    assert summary[1] == 'timeline:  %s' % os.path.join(run_dir, 'compare', 'timeline.gif')
    assert Image.open(summary[1].split()[-1]).n_frames == 2            # Faces_2, Faces_4
    assert 'step 2 ' in r.stdout and 'step 4 ' in r.stdout             # SWD of both checkpoints
    if glob.glob(os.path.join(ROOT, 'pretrained', 'generator_epoch_*.h5')):   # tests/test_pretrained.py
        grid = os.path.join(run_dir, 'pretrained_faces.png')
        assert summary[2:] == ['pretrained: %s' % grid]
        assert min(Image.open(grid).size) >= 640                     # 10 x 10 faces of 64 pixels
    else:
        assert summary[2:] == []


def test_a_users_preset_file_trains_and_resumes(tmp_path):
    """A recipe of one's own: a preset file outside the package, built on a package preset (here
    animefaceswithgan-v1 on the tiny networks), trained from the command line and resumed."""
    import cv2
    import numpy as np
    data = tmp_path / 'faces'
    data.mkdir()
    for i, img in enumerate((np.random.RandomState(4).rand(8, 64, 64, 3) * 255).astype(np.uint8)):
        cv2.imwrite(str(data / ('%d.png' % i)), img)
    mine = tmp_path / 'mine.json'
    mine.write_text(json.dumps({
        'base': 'animefaceswithgan-v1', 'note': 'v1 on the tiny networks, one epoch',
        'values': {'arch': 'tiny', 'init': 'keras', 'batch_size': 4, 'data_epochs': 1,
                   'grid_size': 2, 'kernels': 'stock'}}))
    out = tmp_path / 'save'
    r = run(['train.py', '--preset', str(mine), '--data', str(data), '--out', str(out), '--seed', '2'])
    assert r.returncode == 0, r.stderr[-3000:]
    run_dir = out / '1'
    opts = json.loads((run_dir / 'config.json').read_text())['options']
    assert opts['preset'] == str(mine) and opts['arch'] == 'tiny' and opts['batch_size'] == 4
    assert opts['scheme'] == 'alternating-summed' and opts['loss'] == 'torch-bce'   # from its base
    assert opts['steps_per_epoch'] == 2 and opts['steps'] == 2                      # 8 images, batch 4
    assert os.path.exists(str(run_dir / 'weight' / 'generator_epoch_2.h5'))
    r = run([os.path.join(ROOT, 'train.py'), '--resume', str(run_dir), '--preset', 'mine.json',
             '--steps', '4'], cwd=str(tmp_path))            # the same file, by a relative path
    assert r.returncode == 0, r.stderr[-3000:]
    assert 'resuming %s from step 2' % run_dir in r.stdout
    assert os.path.exists(str(run_dir / 'weight' / 'generator_epoch_4.h5'))
    r = run(['train.py', '--resume', str(run_dir), '--preset', 'animefaceswithgan-v1', '--dry-run'])
    assert r.returncode == 1 and 'drop --preset' in r.stderr
