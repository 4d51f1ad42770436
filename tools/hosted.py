"""Make every lesson and exercise notebook runnable in Colab or any hosted Jupyter.

    python tools/hosted.py           # add or refresh the badge and the install cell (then nbdev_clean)
    python tools/hosted.py --check   # fail if a notebook lacks them or has a stale one

Each notebook gets, built from `git_url` and `branch` in settings.ini:
- an "Open in Colab" badge as the last line of its first markdown cell;
- a first code cell, hidden on the site, that installs mnist37 only when it is missing (a hosted kernel).
"""
import json, re, sys
from configparser import ConfigParser
from pathlib import Path

root = Path(__file__).resolve().parents[1]
cfg = ConfigParser(delimiters=['=']); cfg.read(root/'settings.ini'); cfg = cfg['DEFAULT']
repo = cfg['git_url'].removeprefix('https://github.com/')
BADGE = ('[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]'
         f'(https://colab.research.google.com/github/{repo}/blob/{cfg["branch"]}/nbs/{{name}})')
INSTALL = ('#| hide\n'
           '# In Colab or another hosted notebook, mnist37 is not installed yet: install it.\n'
           'try: import mnist37\n'
           'except ImportError:\n'
           f'    %pip install -q "mnist37[nb] @ git+{cfg["git_url"]}@{cfg["branch"]}"')
re_badge = re.compile(r'\n*\[!\[Open In Colab\]\([^)]*\)\]\([^)]*\)\s*$')

def src(c): return ''.join(c['source'])

def fix(nb:dict, name:str) -> dict:
    "`nb` with its badge and install cell up to date."
    cells = nb['cells']
    first = next(c for c in cells if c['cell_type'] == 'markdown')
    text = re_badge.sub('', src(first)).rstrip('\n')
    first['source'] = f"{text}\n\n{BADGE.format(name=name)}".splitlines(True)
    code = [c for c in cells if c['cell_type'] == 'code']
    hosted = [c for c in code if 'mnist37[nb]' in src(c)]
    for c in hosted: cells.remove(c)
    at = next(i for i, c in enumerate(cells) if c['cell_type'] == 'code'
              and 'default_exp' not in src(c) and '%config' not in src(c))
    cells.insert(at, {'cell_type': 'code', 'execution_count': None, 'id': 'c01ab0c5',
                      'metadata': {}, 'outputs': [], 'source': INSTALL.splitlines(True)})
    return nb

def notebooks():
    return sorted(p for p in (root/'nbs').glob('0*.ipynb'))

def norm(nb:dict) -> list: return [(c['cell_type'], c['source']) for c in nb['cells']]

if __name__ == '__main__':
    stale = []
    for p in notebooks():
        nb = json.loads(p.read_text())
        old = norm(nb)
        if norm(fix(nb, p.name)) == old: continue
        stale.append(p.name)
        if '--check' not in sys.argv:
            p.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + '\n')
    if stale and '--check' in sys.argv:
        sys.exit(f"Run `python tools/hosted.py`: no Colab badge or install cell, or a stale one, in "
                 f"{', '.join(stale)}")
