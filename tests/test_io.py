"""Checkpoints: save/load round-trips exactly, the original's files load, bad files fail clearly."""
import os

import numpy as np
import pytest

from gan import GAN, UserError, backend, io


def test_save_load_generate_round_trip(fresh_session, tiny_config, images, tmp_path):
    gan = GAN(tiny_config)
    gan.train(images, steps=1)
    run = str(tmp_path / 'run')
    for sub in ('image', 'weight'):
        os.makedirs(os.path.join(run, sub))
    io.write_run_config(run, tiny_config)
    gan.save_model(run, 1)
    before = gan.generate(n=6, seed=3)
    loaded = GAN.load_model(run)
    assert loaded.step == 1 and loaded.config == tiny_config
    assert np.array_equal(loaded.generate(n=6, seed=3), before)
    for a, b in zip(loaded.discriminator.get_weights(), gan.discriminator.get_weights()):
        assert np.array_equal(a, b)
    by_file = GAN.load_model(os.path.join(run, 'weight', 'generator_epoch_1.h5'))
    assert np.array_equal(by_file.generate(n=6, seed=3), before)
    light = GAN.load_model(run, compile=False)               # networks only (sample.py, compare.py)
    assert light.combined is None and light.scheme is None
    assert np.array_equal(light.generate(n=6, seed=3), before)
    light.compile()                                          # and it can still train
    light.train(images, steps=1)
    assert not np.array_equal(light.generate(n=6, seed=3), before)
    with pytest.raises(UserError, match='step 5'):
        GAN.load_model(run, step=5)


def test_exported_generator_loads_with_the_config_beside_it(fresh_session, tiny_config, images,
                                                            tmp_path, capsys):
    """scripts/export_pretrained.py: weights only plus config.json; GAN.load_model and sample.py
    read the folder (the config beside the file sets the architecture)."""
    import subprocess
    import sys
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(__file__)), 'scripts'))
    import export_pretrained
    gan = GAN(tiny_config)
    gan.train(images, steps=1)
    run = str(tmp_path / 'run')
    os.makedirs(os.path.join(run, 'weight'))
    io.write_run_config(run, tiny_config)
    gan.save_model(run, 1)
    before = gan.generate(n=4, seed=3)
    out = str(tmp_path / 'pretrained')
    assert export_pretrained.main([run, '--out', out]) == 0
    assert sorted(os.listdir(out)) == ['config.json', 'generator_epoch_1.h5']
    assert 'generator_epoch_1.h5' in capsys.readouterr().out
    assert export_pretrained.main([run, '--out', out]) == 1       # nothing is overwritten
    assert 'exists' in capsys.readouterr().err
    backend.setup(0)
    loaded = GAN.load_model(out)
    assert loaded.config == tiny_config and loaded.step == 1
    assert np.array_equal(loaded.generate(n=4, seed=3), before)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    r = subprocess.run([sys.executable, 'sample.py', out, '--out', str(tmp_path / 'g.png'),
                        '--grid-size', '2'], cwd=root, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, universal_newlines=True)
    assert r.returncode == 0 and os.path.exists(str(tmp_path / 'g.png')), r.stderr[-2000:]


def test_standalone_keras_reads_our_files(fresh_session, tiny_config, tmp_path):
    import keras
    gan = GAN(tiny_config)
    run = str(tmp_path)
    os.makedirs(os.path.join(run, 'weight'))
    gan.save_model(run, 3)
    g = keras.models.load_model(io.weight_path(run, 'generator', 3), compile=False)
    z = np.random.RandomState(0).normal(size=(2, 200)).astype(np.float32)
    assert np.array_equal(g.predict(z), gan.generator.predict(z))


def test_retention_keeps_latest_and_milestones(fresh_session, tiny_config, tmp_path):
    gan = GAN(tiny_config)
    run = str(tmp_path)
    os.makedirs(os.path.join(run, 'weight'))
    for step in (2, 4, 6, 8, 10):
        io.save_checkpoint(gan, run, step, keep=2, milestone=4)
    assert io.checkpoint_steps(os.path.join(run, 'weight')) == [4, 8, 10]
    assert io.latest_step(run) == 10
    leftovers = [n for n in os.listdir(os.path.join(run, 'weight')) if n.startswith('.')]
    assert leftovers == []


def test_milestone_steps_are_kept_beside_the_latest(fresh_session, tiny_config, tmp_path):
    gan = GAN(tiny_config._replace(milestone_steps='3,5'))
    run = str(tmp_path)
    os.makedirs(os.path.join(run, 'weight'))
    for step in (2, 3, 4, 5, 6, 8):
        io.save_checkpoint(gan, run, step, keep=2, milestone=0)
    assert io.checkpoint_steps(os.path.join(run, 'weight')) == [3, 5, 6, 8]
    with pytest.raises(UserError, match='--milestone-steps'):
        GAN(tiny_config._replace(milestone_steps='3,x'))


def test_history_keeps_the_counters_a_recipe_logs(tmp_path):
    from gan.hooks import History
    h = History(str(tmp_path), 2)
    losses = {'d_loss_real': 1.0, 'd_loss_fake': 1.0, 'd_acc_real': 0.5, 'd_acc_fake': 0.5, 'g_loss': 2.0}
    for step, g_steps in ((1, 1.0), (2, 2.0), (3, 1.0), (4, 1.0)):
        h.on_step_end(step, dict(losses, g_steps=g_steps))
    rows = io.read_history(h.path)
    assert [(r['step'], r['g_steps']) for r in rows] == [(2, 1.5), (4, 1.0)]
    # a file written without the column keeps its columns
    old = History(str(tmp_path / 'old'), 1)
    os.makedirs(str(tmp_path / 'old'))
    old.on_step_end(1, dict(losses))
    old.on_step_end(2, dict(losses, g_steps=2.0))
    assert [sorted(r) for r in io.read_history(old.path)] == [sorted(io.HISTORY_FIELDS)] * 2


def test_run_dir_given_by_name_must_be_new_or_empty(tmp_path):
    run = io.new_run_dir(str(tmp_path / 'save'), str(tmp_path / 'mine'))
    assert run == str(tmp_path / 'mine') and os.path.isdir(os.path.join(run, 'weight'))
    with pytest.raises(UserError, match='--run-dir'):
        io.new_run_dir(str(tmp_path / 'save'), run)


def _h5(folder, fname, group, name):
    import h5py
    with h5py.File(os.path.join(folder, fname), 'r') as f:
        return f['model_weights'][group][name][()]


def test_original_gan_animation_checkpoint_loads(fresh_session, reference_dir):
    import h5py
    import keras.backend as K
    path = os.path.join(reference_dir, 'generator_epoch_2.h5')
    gan = GAN.load_model(path)
    assert gan.step == 2
    # every weight equals the file's, in order (read independently with h5py)
    with h5py.File(path, 'r') as f:
        g = f['model_weights']['sequential_1']
        names = [n.decode() for n in g.attrs['weight_names']]
        ref = [g[n][()] for n in names]
    # tf.keras lists trainable weights layer by layer, then the BatchNorm statistics
    layers = [l for l in gan.generator.layers if l.weights]
    ordered = [w for l in layers for w in l.trainable_weights] + \
              [w for l in layers for w in l.non_trainable_weights]
    got = K.batch_get_value(ordered)
    assert len(got) == len(ref) == 28
    assert all(np.array_equal(a, b) for a, b in zip(got, ref))
    # D: moving statistics (non-trainable) land in the BatchNorm layers, not elsewhere
    d = gan.discriminator.layers[1]
    assert np.array_equal(K.get_value(d.moving_variance), _h5(reference_dir, 'discriminator_epoch_2.h5',
                                                            'sequential', 'batch_normalization/moving_variance:0'))
    imgs = gan.generate(n=4, seed=0)
    assert imgs.shape == (4, 64, 64, 3) and imgs.std() > 0


def test_standalone_keras_cannot_load_the_original_directly(fresh_session, reference_dir):
    """Why load_model() reads weights itself: Keras 2.3.1 rejects tf.keras's configs."""
    import keras
    with pytest.raises(TypeError, match='ragged'):
        keras.models.load_model(os.path.join(reference_dir, 'generator_epoch_2.h5'))


def test_bad_weight_files_give_clear_errors(fresh_session, tiny_config, tmp_path):
    gan = GAN(tiny_config)
    run = str(tmp_path)
    os.makedirs(os.path.join(run, 'weight'))
    gan.save_model(run, 1)
    good = io.weight_path(run, 'generator', 1)
    data = open(good, 'rb').read()
    wdir = tmp_path / 'bad' / 'weight'
    wdir.mkdir(parents=True)
    (wdir / 'generator_epoch_1.h5').write_bytes(data[: len(data) // 2])
    with pytest.raises(UserError, match='truncated or corrupt'):
        GAN.load_model(str(wdir / 'generator_epoch_1.h5'))
    (wdir / 'generator_epoch_2.h5').write_bytes(os.urandom(5000))
    with pytest.raises(UserError, match='generator_epoch_2.h5'):
        GAN.load_model(str(wdir / 'generator_epoch_2.h5'))
    # a discriminator file where a generator is expected: wrong architecture
    (wdir / 'generator_epoch_3.h5').write_bytes(open(io.weight_path(run, 'discriminator', 1), 'rb').read())
    with pytest.raises(UserError, match='does not match the generator architecture'):
        GAN.load_model(str(wdir / 'generator_epoch_3.h5'))
    with pytest.raises(UserError, match='does not exist'):
        GAN.load_model(str(tmp_path / 'nothing_here'))


def test_new_run_dirs_are_numbered_and_never_reused(tmp_path):
    out = str(tmp_path / 'save')
    a = io.new_run_dir(out)
    b = io.new_run_dir(out)
    os.makedirs(os.path.join(out, '7'))
    c = io.new_run_dir(out)
    assert [os.path.basename(p) for p in (a, b, c)] == ['1', '2', '8']
    assert os.path.isdir(os.path.join(c, 'image')) and os.path.isdir(os.path.join(c, 'weight'))


def _h5_contents(path):
    import h5py
    out = {}
    with h5py.File(path, 'r') as f:
        out['/'] = dict(f.attrs)
        f.visititems(lambda name, obj: out.__setitem__(
            name, (obj[()].tobytes() if hasattr(obj, 'shape') else None, dict(obj.attrs))))
    return out


def test_checkpoint_reads_values_once_and_writes_what_keras_writes(fresh_session, tiny_config, images,
                                                                  tmp_path):
    """save_model serves Keras' per-layer reads from one session call (a first save in the fused
    graph took ~88 s otherwise): the files equal Keras' own model.save, weights and optimizer."""
    import keras.backend as K
    gan = GAN(tiny_config)
    gan.train(images, steps=2)
    run = str(tmp_path / 'run')
    os.makedirs(os.path.join(run, 'weight'))
    getters = (K.batch_get_value, K.get_value)
    gan.save_model(run, 2)
    assert (K.batch_get_value, K.get_value) == getters            # restored after the block
    for kind, model in (('generator', gan.generator), ('discriminator', gan.discriminator),
                        ('gan', gan.combined)):
        plain = str(tmp_path / ('%s_plain.h5' % kind))
        model.save(plain, include_optimizer=True)
        ours, theirs = _h5_contents(io.weight_path(run, kind, 2)), _h5_contents(plain)
        assert sorted(ours) == sorted(theirs)
        assert any(k.startswith('optimizer_weights') for k in ours) == (kind != 'generator')
        for key in ours:
            if key == '/':
                assert ours[key].keys() == theirs[key].keys()
                assert ours[key].get('training_config') == theirs[key].get('training_config')
            else:
                assert ours[key][0] == theirs[key][0], (kind, key)
    with pytest.raises(RuntimeError):
        with io.values_read_once([gan.generator]):
            raise RuntimeError('inside')
    assert (K.batch_get_value, K.get_value) == getters


def test_a_checkpoint_torn_before_its_manifest_is_not_resumed(tmp_path):
    """Without a manifest a step counts only with all its model files; the state is written
    first, so a torn write (state, some models) is passed over, a weights-only save is not."""
    from gan import io
    run = str(tmp_path)
    os.makedirs(os.path.join(run, 'weight'))

    def touch(*names):
        for n in names:
            open(os.path.join(run, 'weight', n), 'wb').close()
    assert io.latest_step(run) is None
    touch('state_epoch_2.npz', 'generator_epoch_2.h5')           # killed inside D's file
    assert io.latest_step(run) is None
    touch('discriminator_epoch_2.h5', 'gan_epoch_2.h5')          # all there, manifest not yet
    assert io.latest_step(run) == 2
    touch('state_epoch_4.npz', 'generator_epoch_4.h5', 'discriminator_epoch_4.h5')
    assert io.latest_step(run) == 2
    for kind in ('generator', 'discriminator', 'gan'):            # weights only, an older save
        touch('%s_epoch_6.h5' % kind)
    assert io.latest_step(run) == 6
