"""Write README.md from nbs/index.ipynb, without Quarto (what `nbdev_readme` would do if Quarto were installed).

    python tools/readme.py           # write README.md
    python tools/readme.py --check   # exit 1 if README.md is stale (`make check` runs this)

The notebook is translated by docs/nbmd.py, the same code the docs site uses: front matter title as `# Title`,
description as a blockquote, markdown as is (callouts become GitHub alerts, links to notebooks point at the docs
site), code cells unless hidden, and their text outputs.
"""
from __future__ import annotations

import argparse, configparser, json, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT/'docs'))
import nbmd  # noqa: E402

HEADER = "<!-- Generated from nbs/index.ipynb by tools/readme.py: edit the notebook, then run `python tools/readme.py`. -->"


def render() -> str:
    cfg = configparser.ConfigParser(interpolation=None)
    cfg.read(ROOT/'settings.ini')
    s = cfg['DEFAULT']
    site_url = s['doc_host'].rstrip('/') + s['doc_baseurl'].rstrip('/')
    nbs = sorted(p for p in (ROOT/'nbs').glob('*.ipynb') if not p.name.startswith(('_', '.')))
    # every notebook is a page links may point to; only the pages' names matter here, not their anchors
    pages = [nbmd.Page(f'nbs/{p.name}', nbmd.page_name(p), '', '', []) for p in nbs]
    src = s.get('readme_nb', 'index.ipynb')
    nb = json.loads((ROOT/'nbs'/src).read_text(encoding='utf-8'))
    page = nbmd.translate_nb(nb, f'nbs/{src}', flags=s.get('tst_flags', '').split())
    return HEADER + '\n\n' + nbmd.to_gfm(page, pages, site_url=site_url, check_anchors=False)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--check', action='store_true', help="don't write; exit 1 if README.md is out of date")
    args = p.parse_args(argv)
    try: text = render()
    except nbmd.TranslationError as e:
        print(f"readme: {e}", file=sys.stderr)
        return 1
    readme = ROOT/'README.md'
    if args.check:
        if not readme.exists() or readme.read_text(encoding='utf-8') != text:
            print("README.md is stale: it doesn't match nbs/index.ipynb. Run `python tools/readme.py` "
                  "(or `.venv/bin/python tools/readme.py`) and commit README.md.", file=sys.stderr)
            return 1
        print("README.md is up to date with nbs/index.ipynb")
        return 0
    readme.write_text(text, encoding='utf-8')
    print("wrote README.md")
    return 0


if __name__ == '__main__':
    sys.exit(main())
