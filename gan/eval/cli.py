"""`python compare.py`: a run's images against real ones and the original's grids; its timeline."""
import argparse
import os
import re
import sys

from .. import backend, io
from ..config import UserError
from ..grids import through_original_figure
from . import references
from .imagesets import subsample
from .pictures import GIF_MAX_FRAMES, side_by_side, unique_paths, write_png
from .scores import compare_sets, format_table, split_real
from .sets import (DEFAULT_N, bn_label, generate_from_checkpoint, is_checkpoint, load_real,
                   load_set, load_undrawn, resolve_step)
from .timeline import timeline

# cv2, PIL, matplotlib and Keras are imported inside the functions that use them: compare.py
# --help loads none of them.

DEFAULT_REAL_N = 1000


def _real_n(text):
    if text == 'all':
        return None
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError('expected a number of images or "all", got %r' % text)
    return value


def parser():
    p = argparse.ArgumentParser(
        prog='compare.py',
        description='Compare images from a checkpoint (or a grid PNG or folder) with real images '
        'and a reference such as the original\'s published grid: prints one table (SWD, MS-SSIM '
        'diversity, nearest real image) and writes it as JSON with a side-by-side PNG. Existing '
        'outputs are never overwritten: a suffix _2, _3, ... is added.')
    p.add_argument('source', nargs='?', help='"ours": a run folder, a weight folder or a '
                   'generator_epoch_<step>.h5 (N images are generated), or a grid PNG, a folder '
                   'of images, a .npy array or a reference name')
    p.add_argument('--step', type=int, default=None,
                   help='checkpoint step when SOURCE is a run or weight folder (default: latest)')
    p.add_argument('--reference', default=None,
                   help='reference set: a published grid by name (original:1720; see '
                   '--list-references; downloaded once into ~/.cache/gan-animation), a grid PNG, '
                   'a folder or a .npy; rows that need it are left out without it')
    p.add_argument('--list-references', action='store_true',
                   help='print the names of the published grids (the original\'s and the sibling '
                   'projects\') with their source and exit')
    p.add_argument('--real', default='data', help='real images: a folder (searched recursively), '
                   'a grid or a .npy (default: data)')
    p.add_argument('--n', type=int, default=DEFAULT_N,
                   help='images generated from a checkpoint, at most this many from a grid or folder '
                   'source or reference (default: %d)' % DEFAULT_N)
    p.add_argument('--real-n', type=_real_n, default=DEFAULT_REAL_N, metavar='N|all',
                   help='size of the real set, drawn with --seed; --n more real images are held '
                   'out for the real-vs-real floor (default: %d; "all": every image, --n of them '
                   'held out)' % DEFAULT_REAL_N)
    p.add_argument('--seed', type=int, default=0,
                   help='seed of the latents, the real sample and the metrics (default: 0)')
    p.add_argument('--out', default=None, help='output folder (default: <run>/compare for a run, '
                   'else ./compare)')
    p.add_argument('--bn-batch', type=int, default=0, metavar='K',
                   help='generate with G\'s BatchNorm normalising each batch of K latents by its '
                   'own statistics (nothing of G is updated), as a PyTorch generator not switched '
                   'to eval() draws: AnimeFacesWithGAN\'s grids are 64 latents drawn so (give 64 '
                   'beside them). Default 0: inference mode, on the moving statistics')
    p.add_argument('--like-original', action='store_true',
                   help='draw "ours" into the original\'s matplotlib figures and cut them out again '
                   'before measuring: the resampling the original\'s published grids went '
                   'through, for a like-for-like comparison with them')
    p.add_argument('--undraw', action='store_true',
                   help='read SOURCE or --reference files that are the original\'s 1152 x 1152 '
                   'figures as the 64-px images they were drawn from (undone by least squares), '
                   'instead of cutting and shrinking their tiles: a comparison with no drawing in '
                   'it')
    p.add_argument('--fine-scale', action='store_true',
                   help='also print each set\'s 2-pixel-period (checkerboard) energy and its '
                   'share of the fine detail')
    p.add_argument('--timeline', action='store_true',
                   help='also measure every saved checkpoint of the run SOURCE and write '
                   'timeline.json, timeline.png and an animated timeline.gif of its grids')
    p.add_argument('--gif-frames', type=int, default=GIF_MAX_FRAMES,
                   help='at most this many grids in the GIF, evenly spaced (default: %d)'
                   % GIF_MAX_FRAMES)
    return p


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    return backend.run_command(run, parser().parse_args(argv), argv)


def _check_given(flag, text, what):
    """A set given by reference name or path: an unknown name or a missing path is an error."""
    if references.lookup(text) is not None:
        return
    if references.looks_like_name(text):
        references.get(text)                   # the unknown-name error, listing the names
    if not os.path.exists(text):
        raise UserError('%s %s does not exist; give %s' % (flag, text, what))


def _label(text):
    """A set's label: a reference name with its source, else the path as given."""
    ref = references.lookup(text)
    if ref is None:
        return text
    return '%s (%s %s, %s)' % (ref.name, ref.repository, ref.path, ref.published)


def _stem(path):
    name = os.path.basename(os.path.normpath(str(path)))
    name = os.path.splitext(name)[0] if not os.path.isdir(str(path)) else name
    return re.sub(r'[^A-Za-z0-9_.-]+', '_', name) or 'set'


def run(args, argv=()):
    """The CLI behind main(): load the sets, print the table, write JSON, PNG and the timeline."""
    if args.list_references:
        print(references.format_catalogue())
        return 0
    if args.source is None:
        raise UserError('give SOURCE: a run folder (save/1), a generator_epoch_<step>.h5, a grid '
                        'PNG, a folder of images or a reference name (see compare.py --help)')
    if args.n < 2:
        raise UserError('--n must be at least 2 (MS-SSIM diversity needs pairs), got %d' % args.n)
    if args.real_n is not None and args.real_n < 2:
        raise UserError('--real-n must be at least 2 or "all", got %d' % args.real_n)
    if args.seed < 0:
        raise UserError('--seed must be 0 or more, got %d' % args.seed)
    if args.gif_frames < 1:
        raise UserError('--gif-frames must be at least 1, got %d' % args.gif_frames)
    if args.bn_batch < 0:
        raise UserError('--bn-batch must be 0 (inference mode) or a batch size, got %d' % args.bn_batch)
    if args.undraw and args.like_original:
        raise UserError('--undraw and --like-original exclude each other: --undraw takes the '
                        'drawing out of the original\'s figures, --like-original puts it into ours')
    source = args.source
    _check_given('SOURCE', source, 'a run folder (save/1), a generator_epoch_<step>.h5, a grid '
                 'PNG, a folder of images or a reference name')
    if args.reference is not None:
        _check_given('--reference', args.reference, 'a reference name (python compare.py '
                     '--list-references), a grid PNG, a folder or a .npy')
    if not os.path.exists(args.real):
        raise UserError('--real %s does not exist' % args.real)
    checkpoint = references.lookup(source) is None and is_checkpoint(source)
    run_dir = None
    if checkpoint:
        run_dir, step = resolve_step(source, args.step)
    elif args.step is not None:
        raise UserError('--step applies when SOURCE is a run folder or a checkpoint; %s is an image '
                        'set' % source)
    elif args.bn_batch:
        raise UserError('--bn-batch applies when SOURCE is a run folder or a checkpoint; %s is an '
                        'image set' % source)
    if args.timeline and run_dir is None:
        raise UserError('--timeline needs a run folder (with weight/ and image/) as SOURCE; %s '
                        'is not one' % source)
    out_dir = args.out or (os.path.join(run_dir, 'compare') if run_dir else 'compare')

    def load(path, flag):
        images = load_undrawn(path, flag) if args.undraw else None
        if images is None:
            return load_set(path, args.n, args.seed, flag), ''
        if len(images) > args.n:
            images = subsample(images, args.n, args.seed)
        return images, ', undrawn from the original\'s figure'

    # Image sets first (cheap, and their errors come before TensorFlow starts), the model last.
    ours, ours_how, ref_how = None, '', ''
    if not checkpoint:
        ours, ours_how = load(source, 'SOURCE')
        if len(ours) < 2:
            raise UserError('SOURCE %s holds %d image; the comparison needs at least 2'
                            % (source, len(ours)))
    n = args.n if checkpoint else len(ours)
    reference = None
    if args.reference is not None:
        reference, ref_how = load(args.reference, '--reference')
    want = None if args.real_n is None else args.real_n + n
    real = load_real(args.real, want, args.seed)
    if len(real) < n + 2:
        raise UserError('--real %s has %d readable images; it needs at least %d (%d held out for the '
                        'floor, as many as ours, and 2 more)' % (args.real, len(real), n + 2, n))
    if want is not None and len(real) < want:
        print('note: --real %s has %d images, so the real set has %d (not --real-n %d) and %d are '
              'held out for the floor' % (args.real, len(real), len(real) - n, args.real_n, n))
    if checkpoint:
        ours, step = generate_from_checkpoint(source, n=n, seed=args.seed, step=step,
                                              bn_batch=args.bn_batch)
        ours_label = '%s, step %d, latents from seed %d' % (source, step, args.seed)
        if args.bn_batch:
            ours_label += ', ' + bn_label(args.bn_batch)
        stem = 'compare_%d' % step
    else:
        ours_label = _label(source) + ours_how
        stem = 'compare_%s' % _stem(source)
    if args.like_original:
        ours = through_original_figure(ours)
        ours_label += ', drawn as the original drew its grids'
    labels = {'ours': ours_label, 'real': '%s, drawn with seed %d' % (args.real, args.seed)}
    if reference is not None:
        labels['reference'] = _label(args.reference) + ref_how
    result = compare_sets(ours, real, reference, seed=args.seed, labels=labels,
                          fine_scale=args.fine_scale)
    result['command'] = ['compare.py'] + list(argv)
    sources = {key: references.lookup(text) for key, text in (('ours', source),
                                                               ('reference', args.reference))}
    published = {key: dict(ref._asdict(), layout=ref.layout._asdict(), url=references.url(ref))
                 for key, ref in sources.items() if ref is not None}
    if published:
        result['published'] = published
    if checkpoint:
        result['step'] = step
        result['bn_batch'] = args.bn_batch
    print(format_table(result))
    drawn = sources.get('reference')
    if drawn is None and args.reference is not None and os.path.isfile(args.reference):
        drawn = references.identify(args.reference)          # a catalogue grid given as a file
    if checkpoint and drawn is not None and drawn.bn_batch and drawn.bn_batch != args.bn_batch:
        print('note: %s was drawn with BatchNorm on each batch of %d latents; ours is %s. For a '
              'like-for-like picture give --bn-batch %d'
              % (drawn.name, drawn.bn_batch, bn_label(args.bn_batch) or 'in inference mode',
                 drawn.bn_batch))

    io.ensure_writable_dir(out_dir)
    json_path, png_path = unique_paths(out_dir, stem, ('.json', '.png'))
    _, rest = split_real(real, n, args.seed)
    panels = [('ours: %s' % (('step %d%s' % (step, ', BN on batches of %d' % args.bn_batch
                                             if args.bn_batch else '')) if checkpoint
                             else os.path.basename(os.path.normpath(source))), ours)]
    if reference is not None:
        panels.append(('reference: %s' % os.path.basename(os.path.normpath(args.reference)),
                       reference))
    panels.append(('real: %s' % os.path.basename(os.path.normpath(args.real)), rest))
    write_png(png_path, side_by_side(panels))
    result['files'] = {'json': json_path, 'png': png_path}
    io.write_json(json_path, result)
    print('wrote %s and %s' % (json_path, png_path))

    if args.timeline:
        print('timeline of %s:' % run_dir)
        floor = next(r['swd'] for r in result['rows'] if r['b'] == 'real' and r.get('floor_for'))
        t = timeline(run_dir, real, n=n, seed=args.seed, out_dir=out_dir, floor=floor,
                     known={step: ours}, gif_frames=args.gif_frames, log=print,
                     like_original=args.like_original)
        if not t['steps']:
            print('no checkpoints in %s: the timeline has the grids only' % run_dir)
        print('wrote %s' % ', '.join(t['files'][k] for k in ('json', 'plot', 'gif')
                                     if k in t['files']))
    return 0
