"""Export a run's generator as weights only, with the run's config.json beside it.

    .venv37/bin/python scripts/export_pretrained.py ~/runs/gan_animation-seed1 --step 1720 --out pretrained

Writes OUT/generator_epoch_<step>.h5 (Keras save_weights: no optimizer, no discriminator) and
OUT/config.json, prints their SHA-256, and refuses to overwrite either. GAN.load_model(OUT) and
`python sample.py OUT --out grid.png` load the result.
"""
import argparse
import hashlib
import os
import shutil
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def sha256(path):
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('run', help='run folder written by train.py')
    p.add_argument('--step', type=int, default=None, help='checkpoint step (default: latest)')
    p.add_argument('--out', default=os.path.join(ROOT, 'pretrained'))
    args = p.parse_args(argv)
    from gan import GAN, UserError, backend
    try:
        backend.setup(0)
        gan = GAN.load_model(args.run, step=args.step, compile=False)
        if gan.run_dir is None:
            raise UserError('%s is not a run folder with a config.json' % args.run)
        weights = os.path.join(args.out, 'generator_epoch_%d.h5' % gan.step)
        config = os.path.join(args.out, 'config.json')
        for path in (weights, config):
            if os.path.exists(path):
                raise UserError('%s exists; choose another --out (nothing is overwritten)' % path)
        os.makedirs(args.out, exist_ok=True)
        gan.generator.save_weights(weights)
        shutil.copyfile(os.path.join(gan.run_dir, 'config.json'), config)
    except UserError as e:
        sys.stderr.write('Error: %s\n' % e)
        return 1
    finally:
        backend.release()
    for path in (weights, config):
        print('%s  %s  (%d bytes)' % (sha256(path), path, os.path.getsize(path)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
