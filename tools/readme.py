"""Write README.md from nbs/index.ipynb through the docs site's pipeline (docs/build.py's `page()`, on nbdev's
processors) and nbconvert's markdown exporter: links to notebooks point at the site, callouts become GitHub alerts.
`python tools/readme.py` writes it; `python tools/readme.py --check` exits 1 if it is stale (`make check` runs this)."""
import json, os, re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT/'docs'))
HEADER = ("<!-- Generated from nbs/index.ipynb by tools/readme.py: edit the notebook, "
          "then run `python tools/readme.py`. -->")

def render() -> str:
    import build, nbformat
    from nbconvert import MarkdownExporter
    os.chdir(build.ROOT)   # nbdev reads settings.ini from the working directory
    index = build.NBS/build.get_config(path=build.ROOT).get('readme_nb', 'index.ipynb')
    nb = build.page(index, 'gfm', build.taught(build.notebooks()))
    for c in nb['cells']: c['source'] = '' if 'remove-input' in c['metadata'].get('tags', []) else c['source']
    md, _ = MarkdownExporter(exclude_raw=True).from_notebook_node(nbformat.reads(json.dumps(nb), 4))
    return HEADER + '\n\n' + re.sub(r'\n{3,}', '\n\n', md).strip() + '\n'

def main(argv=None) -> int:
    check, readme, text = '--check' in (sys.argv[1:] if argv is None else argv), ROOT/'README.md', render()
    if not check: readme.write_text(text, encoding='utf-8')
    elif not readme.exists() or readme.read_text(encoding='utf-8') != text:
        return print("README.md is stale: it doesn't match nbs/index.ipynb. Run `python tools/readme.py` and "
                     "commit it.", file=sys.stderr) or 1
    return 0

if __name__ == '__main__':
    sys.exit(main())
