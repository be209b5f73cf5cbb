"""The user docs use paths a user has: `../shared` (our machines' data) only in the README's
Development section, no absolute paths of our machines; figures' titles and files carry none."""
import glob
import os
import re

from conftest import ROOT
from gan.eval.pictures import run_name, timeline_title

DOCS = ['README.md', 'data/README.md', 'docker/README.md'] + \
    sorted(os.path.relpath(p, ROOT) for p in glob.glob(os.path.join(ROOT, 'docs', '*.md')))
SHARED = re.compile(r'\.\./shared\b|\bshared/(?:data|fixtures|runs)\b')
MACHINE = re.compile(r'(?<![\w.~$-])(?:/(?:work|root|tmp)/|/home/[^/\s`\'"]+/)')
# Paths inside the Docker image, which every user of the image has: its HOME.
CONTAINER = ('/tmp/home',)


def _lines(name):
    with open(os.path.join(ROOT, name), encoding='utf-8') as f:
        return f.read().splitlines()


def _development_lines(lines):
    """Line numbers of the README's '## Development' section (its heading to the next '## ')."""
    inside, found = False, set()
    for i, line in enumerate(lines):
        if line.startswith('## '):
            inside = line.strip() == '## Development'
        if inside:
            found.add(i)
    return found


def test_the_docs_exist():
    assert 'docs/compare.md' in DOCS and len(DOCS) > 5


def test_shared_folder_only_in_the_readme_development_section():
    wrong = []
    for name in DOCS:
        lines = _lines(name)
        allowed = _development_lines(lines) if name == 'README.md' else set()
        if name == 'README.md':
            assert allowed, 'README.md has no "## Development" section'
        wrong += ['%s:%d: %s' % (name, i + 1, line.strip()) for i, line in enumerate(lines)
                  if SHARED.search(line) and i not in allowed]
    assert not wrong, 'name ../shared only in README.md\'s Development section:\n' + '\n'.join(wrong)


def test_no_absolute_paths_of_our_machines():
    wrong = []
    for name in DOCS:
        for i, line in enumerate(_lines(name)):
            if any(not line[m.start():].startswith(CONTAINER) for m in MACHINE.finditer(line)):
                wrong.append('%s:%d: %s' % (name, i + 1, line.strip()))
    assert not wrong, 'use paths a user has (~/datasets/anime-faces, save/1):\n' + '\n'.join(wrong)


def test_the_patterns_catch_what_they_should():
    for bad in ('--data /work/shared/data', 'see /root/runs/x', 'in /tmp/cmpwork/save/1',
                'at /home/alice/runs/', '`../shared/fixtures`'):
        assert MACHINE.search(bad) or SHARED.search(bad), bad
    for good in ('~/datasets/anime-faces', '/workspace/data', 'save/1', '$HOME/.cache',
                 'python -m gan datacheck ~/datasets/anime-faces', 'shared the 2 cores'):
        assert not (MACHINE.search(good) or SHARED.search(good)), good


def test_committed_images_and_timeline_titles_carry_no_machine_paths():
    for path in glob.glob(os.path.join(ROOT, 'docs', 'images', '*')):
        with open(path, 'rb') as f:
            data = f.read().decode('latin-1')
        assert not MACHINE.search(data) and '../shared' not in data, path
    assert run_name('/home/alice/runs/save/1') == 'save/1'
    title = timeline_title({'run': '/root/runs/gan_animation-seed1', 'n': 100, 'seed': 0})
    assert title == 'runs/gan_animation-seed1: 100 images per checkpoint, seed 0'


def _anchors(name):
    """The anchors a Markdown file offers: GitHub's slug of each heading and explicit ids."""
    found = set()
    for line in _lines(name):
        if line.startswith('#'):
            text = line.lstrip('#').strip().lower()
            found.add(re.sub(r'[^\w\- ]', '', text).replace(' ', '-'))
        found.update(re.findall(r'<a id="([^"]+)">', line))
    return found


def test_links_between_docs_reach_their_anchors():
    broken = []
    for name in DOCS:
        for i, line in enumerate(_lines(name)):
            for target, anchor in re.findall(r'\]\(([\w./-]*\.md)#([\w.-]+)\)', line):
                path = os.path.normpath(os.path.join(os.path.dirname(name), target))
                if os.path.exists(os.path.join(ROOT, path)) and anchor not in _anchors(path):
                    broken.append('%s:%d: %s#%s' % (name, i + 1, target, anchor))
    assert not broken, 'links to anchors that do not exist:\n' + '\n'.join(broken)
