"""The user docs: a short README, a manual under docs/ and the findings under docs/findings/; every
link between them reaches its file and anchor; paths a user has: `../shared` (our machines' data)
only in the README's Development section, no absolute paths of our machines; figures' titles and
files carry none."""
import glob
import os
import re

from conftest import ROOT
from gan.eval.pictures import run_name, timeline_title

DOCS = ['README.md', 'data/README.md', 'docker/README.md', 'save/README.md'] + \
    sorted(os.path.relpath(p, ROOT) for p in glob.glob(os.path.join(ROOT, 'docs', '*.md'))) + \
    sorted(os.path.relpath(p, ROOT) for p in glob.glob(os.path.join(ROOT, 'docs', 'findings', '*.md')))
# The manual: how to use each part, no dated narrative. The findings: dated results.
MANUAL = ['docs/training.md', 'docs/gan_animation.md', 'docs/presets.md', 'docs/compare.md',
          'docs/study.md', 'docs/reproducibility.md', 'docs/benchmarks.md', 'docs/architecture.md']
FINDINGS = ['docs/findings/reproduction.md', 'docs/findings/equal-compute.md',
            'docs/findings/performance.md', 'docs/findings/mode-coverage.md']
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
    missing = [name for name in MANUAL + FINDINGS if name not in DOCS]
    assert not missing, missing


def test_the_readme_is_short_and_its_test_command_is_the_one_ci_runs():
    text = '\n'.join(_lines('README.md'))
    assert len(text.encode('utf-8')) <= 8600, 'keep the README short: details go to docs/'
    assert 'make test' in text and 'make venv' in text
    assert 'make test' in '\n'.join(_lines('.ci/run'))
    for name in MANUAL + FINDINGS:
        assert '(%s)' % name in text or '(%s#' % name in text, 'README.md links to ' + name


def test_the_manual_has_no_dates_and_each_finding_opens_with_its_results_and_command():
    date = re.compile(r'\b20\d\d-\d\d-\d\d\b')
    wrong = ['%s:%d: %s' % (name, i + 1, line.strip())
             for name in ['README.md'] + MANUAL for i, line in enumerate(_lines(name))
             if date.search(line)]
    assert not wrong, 'dated figures belong in docs/findings/:\n' + '\n'.join(wrong)
    for name in FINDINGS:
        lines = _lines(name)
        opening = lines[:next(i for i, line in enumerate(lines[1:], 1) if line.startswith('## '))]
        assert any(line.startswith('| ') for line in opening), name + ': a table of its results first'
        assert any(line.startswith('```') for line in opening), name + ': the command that remakes it'
        assert any(date.search(line) for line in lines), name + ': when it was measured'


def _links(name):
    """(line number, target, anchor) of each relative link in a Markdown file; an anchor alone
    (#x) targets the file itself."""
    for i, line in enumerate(_lines(name)):
        for target, anchor in re.findall(r'\]\((?!https?:|mailto:)([^)\s#]*)(?:#([^)\s]+))?\)', line):
            yield i + 1, target, anchor


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


def _resolve(name, target):
    return os.path.normpath(os.path.join(os.path.dirname(name), target)) if target else name


def test_links_between_docs_reach_their_files():
    broken = ['%s:%d: %s' % (name, i, target) for name in DOCS for i, target, _ in _links(name)
              if not os.path.exists(os.path.join(ROOT, _resolve(name, target)))]
    assert not broken, 'links to files that do not exist:\n' + '\n'.join(broken)


def test_links_between_docs_reach_their_anchors():
    broken = []
    for name in DOCS:
        for i, target, anchor in _links(name):
            path = _resolve(name, target)
            if anchor and path.endswith('.md') and os.path.exists(os.path.join(ROOT, path)) \
                    and anchor not in _anchors(path):
                broken.append('%s:%d: %s#%s' % (name, i, target, anchor))
    assert not broken, 'links to anchors that do not exist:\n' + '\n'.join(broken)
