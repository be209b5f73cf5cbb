"""`python -m gan datacheck PATH [--preset NAME]`: what training will see in a folder of images."""
import argparse
import hashlib
import os
import sys
from collections import Counter, defaultdict

import numpy as np

from . import backend
from .config import CHOICES, PRESETS, UserError, plan_epochs, resolve, uses_epochs
from .data import EXTENSIONS, decode_buffer, describe_resize, find_images, resize_image

SIZE = 64
SHOW = 10          # files named per problem; sizes listed


def check_folder(folder, resize='area', size=SIZE, progress=None):
    """Decode every image under `folder` as training would and tally what it finds.

    Returns a dict: 'paths' (image files found), 'sizes' (Counter of (width, height) of the
    readable ones), 'unreadable' ([(path, reason)]), 'same_bytes' and 'same_pixels' (groups of
    paths whose files, or whose images after loading at size x size, are identical).
    """
    if not os.path.exists(folder):
        raise UserError('%s does not exist; give the folder that holds the training images' % folder)
    if not os.path.isdir(folder):
        hint = ' (unpack the archive first)' if folder.lower().endswith(('.zip', '.tar', '.gz')) else ''
        raise UserError('%s is a file, not a folder; give the folder that holds the images%s'
                        % (folder, hint))
    paths = find_images(folder)
    if not paths:
        try:
            there = sorted(os.listdir(folder))
        except OSError as e:
            raise UserError('cannot list %s: %s' % (folder, e))
        what = ('it is empty' if not there else 'it holds %s%s' % (
            ', '.join(there[:5]), ' and %d more' % (len(there) - 5) if len(there) > 5 else ''))
        if any(name.lower().endswith(('.zip', '.tar', '.gz')) for name in there):
            what += ' (unpack the archive first)'
        raise UserError('no %s images under %s (subfolders searched); %s'
                        % ('/'.join(EXTENSIONS), folder, what))
    sizes, unreadable = Counter(), []
    by_bytes, by_pixels = defaultdict(list), defaultdict(list)
    for i, path in enumerate(paths):
        if progress and i and i % 10000 == 0:
            progress('%d of %d files checked' % (i, len(paths)))
        try:
            with open(path, 'rb') as f:
                raw = f.read()
            img = decode_buffer(np.frombuffer(raw, np.uint8))
            loaded = resize_image(img, resize, size)
        except (OSError, ValueError, MemoryError) as e:
            unreadable.append((path, str(e)))
            continue
        sizes[(img.shape[1], img.shape[0])] += 1
        by_bytes[hashlib.sha256(raw).digest()].append(path)
        by_pixels[hashlib.sha256(loaded.tobytes()).digest()].append(path)
    groups = lambda found: sorted(g for g in found.values() if len(g) > 1)     # noqa: E731
    return {'folder': folder, 'paths': paths, 'sizes': sizes, 'unreadable': unreadable,
            'same_bytes': groups(by_bytes), 'same_pixels': groups(by_pixels)}


def _extra(groups):
    """Files beyond the first of each group of identical ones."""
    return sum(len(g) - 1 for g in groups)


def _n(k, word=None):
    """'20,673', or with a word '1 file' / '2 files'."""
    text = format(k, ',')
    return text if word is None else '%s %s%s' % (text, word, '' if k == 1 else 's')


def format_report(found, cfg, show=SHOW, size=SIZE):
    """The check as text: files, sizes and what the loader does to them, problems, the recipe."""
    folder = found['folder']
    rel = lambda p: os.path.relpath(p, folder)                                   # noqa: E731
    sizes, unreadable = found['sizes'], found['unreadable']
    readable = sum(sizes.values())
    lines = ['folder       %s' % folder,
             'images       %s (%s, subfolders searched): %s readable, %s unreadable'
             % (_n(len(found['paths']), 'file'), ' '.join(EXTENSIONS), _n(readable),
                _n(len(unreadable)))]
    if readable:
        lines.append('sizes        %s distinct; what the loader does (--resize %s), most common '
                     'first:' % (_n(len(sizes)), cfg.resize))
        for (w, h), k in sorted(sizes.items(), key=lambda item: (-item[1], item[0]))[:show]:
            lines.append('  %9s %9s %5.1f%%  %s' % ('%dx%d' % (w, h), _n(k), 100.0 * k / readable,
                                                     describe_resize(w, h, cfg.resize, size)))
        if len(sizes) > show:
            rest = sorted(sizes.items(), key=lambda item: (-item[1], item[0]))[show:]
            sides = [s for (w, h), _ in rest for s in (w, h)]
            lines.append('  %s other sizes: %s images, sides %d to %d px'
                         % (_n(len(rest)), _n(sum(k for _, k in rest)), min(sides), max(sides)))
        as_is = sizes.get((size, size), 0)
        small = sum(k for (w, h), k in sizes.items() if min(w, h) < size)
        oblong = sum(k for (w, h), k in sizes.items() if w != h)
        lines.append('  in all: %s used as is, %s with a side under %d px, %s not square (%s)'
                     % (_n(as_is), _n(small), size, _n(oblong),
                        'centre-cropped' if cfg.resize == 'short-side-crop' else 'stretched'))
    lines.append('duplicates   exact copies (same SHA-256): %s beyond the first of %s'
                 % (_n(_extra(found['same_bytes']), 'file'), _n(len(found['same_bytes']), 'group')))
    lines.append('             other bytes, the same pixels once loaded at %dx%d: %s'
                 % (size, size, _n(_extra(found['same_pixels']) - _extra(found['same_bytes']),
                                   'more file')))
    for group in found['same_bytes'][:show]:
        lines.append('  ' + ' = '.join(rel(p) for p in group))
    if len(found['same_bytes']) > show:
        lines.append('  ... and %s more groups' % _n(len(found['same_bytes']) - show))
    if unreadable:
        lines.append('unreadable   skipped by training with a warning each:')
        for path, why in unreadable[:show]:
            lines.append('  %s: %s' % (rel(path), why))
        if len(unreadable) > show:
            lines.append('  ... and %s more' % _n(len(unreadable) - show))
    pixels = ('[0, 1] (x / 255)' if cfg.pixel_min == 0.0 else '[-1, 1] (x / 127.5 - 1)')
    order = 'RGB' if cfg.channel_order == 'rgb' else 'BGR (channels reversed after decoding)'
    lines.append('preset       %s: each image decoded to RGB (grayscale repeated, alpha dropped),'
                 % cfg.preset)
    lines.append('             resized to %dx%d by --resize %s; D sees %s, pixels in %s'
                 % (size, size, cfg.resize, order, pixels))
    if readable:
        lines.append('training     ' + _plan(cfg, readable))
    return '\n'.join(lines)


def _plan(cfg, n):
    """How the recipe's length comes out on `n` images."""
    try:
        planned = plan_epochs(cfg, n)
    except UserError as e:
        return 'cannot start: %s' % e
    if not uses_epochs(cfg):
        return ('%s of batch %d, real half batches drawn with replacement from the %s'
                % (_n(planned.steps, 'step'), planned.batch_size, _n(n, 'image')))
    how = ('full shuffled passes' if planned.sampling == 'passes'
           else 'batches drawn with replacement')
    epochs = ' (%s)' % _n(planned.data_epochs, 'epoch') if planned.data_epochs else ''
    return ('an epoch is %s of batch %d (%s); %s%s'
            % (_n(planned.steps_per_epoch, 'step'), planned.batch_size, how,
               _n(planned.steps, 'step'), epochs))


def parser():
    p = argparse.ArgumentParser(
        prog='python -m gan datacheck',
        description='Check a folder of training images the way training reads it: count, sizes '
        'and what the loader does to them, unreadable files, exact duplicates, and how long the '
        'preset\'s recipe is on it. Reads every image; writes nothing.')
    p.add_argument('folder', metavar='PATH', help='the folder given to train.py --data')
    p.add_argument('--preset', default='gan_animation', choices=sorted(PRESETS),
                   help='the recipe whose loading rules apply (default: gan_animation)')
    p.add_argument('--resize', default=None, choices=CHOICES['resize'],
                   help='override the preset\'s --resize rule')
    p.add_argument('--show', type=int, default=SHOW,
                   help='name at most this many files per problem and sizes (default: %d)' % SHOW)
    return p


def run(args):
    cfg = resolve(args.preset, resize=args.resize)
    found = check_folder(args.folder, cfg.resize, progress=lambda m: sys.stderr.write(m + '\n'))
    print(format_report(found, cfg, show=max(0, args.show)))
    if not found['sizes']:
        raise UserError('none of the %d image files under %s can be read (listed above); '
                        'training would stop' % (len(found['paths']), args.folder))
    return 0


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    return backend.run_command(run, parser().parse_args(argv))

