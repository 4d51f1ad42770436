"""Build the docs site into _site/ from the notebooks' saved outputs: no Quarto, no network, nothing executed.

    python docs/build.py          # what `make docs` runs

1. nbdev's own processors (`FilterDefaults`, minus settings.ini's `skip_procs`) prepare each notebook, as for
   `nbdev_docs`: front matter, hidden and exported cells, `hide_line`, show_doc cells for exports, doc links.
2. `page()` keeps to what only Quarto would do: cell options to myst-nb tags, `#| output: asis` to markdown,
   callouts to admonitions, page names; and it renders show_doc (for `#| export` cells only) from the exported
   module. Quarto syntax nobody renders fails the build, naming the notebook and the cell.
3. Sphinx + myst-nb render the pages (`-W`: a warning, a broken link among them, fails the build); KaTeX, from the
   npm registry (docs/package.json), typesets the math while building, so pages load no math JavaScript.
tools/readme.py writes README.md from the same `page()`.
"""
from __future__ import annotations

import ast, inspect, json, os, re, shutil, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.modules.setdefault('rfc3987_syntax', None)   # jsonschema (via nbformat) builds its grammars on import: 1 s
NBS, SRC, OUT = ROOT/'nbs', ROOT/'_site_src', ROOT/'_site'
OPTIONS = {'hide', 'export', 'exports', 'exporti', 'default_exp', 'echo:', 'output:', 'include:', 'eval:', 'error:',
           'exec_doc', 'filter_stream', 'notest', 'slow', 'skip_exec', 'skip_showdoc'}
CALLOUTS = {'note', 'tip', 'warning', 'important', 'caution'}
UNSUPPORTED = [(r'\{\{<', 'a `{{< >}}` shortcode'), (r'(?<![\w@])@(fig|tbl|sec|eq|lst)-[\w-]+', 'a cross-reference'),
               (r'^[ \t]*:{3,}[ \t]*(?!\{?[ \t]*\.?callout-(' + '|'.join(CALLOUTS) + r')\b)[^\s:]', 'a fenced div other than a callout')]
TESTS = re.compile(r'(test_\w+|assert)\b')


class BuildError(Exception): pass


def slug(title:str) -> str:
    "A heading's id as Pandoc (so Quarto, so nbdev's links) makes it: 'Finding `x`!' -> 'finding-x'."
    s = re.sub(r'\s+', '-', re.sub(r'[^\w\s.-]', '', title.strip())).lower()
    return re.sub(r'^[^a-z]+', '', s) or 'section'


def page_name(path) -> str: return re.sub(r'^\d+[a-zA-Z0-9]*_', '', Path(path).stem.lower())   # nbdev's rule


def notebooks() -> list[Path]:
    "index, then the others by file name: lessons 01, 02, ... (their exercises after them), appendices (90_...) last."
    nbs = sorted(p for p in NBS.glob('*.ipynb') if not p.name.startswith(('_', '.')))
    return sorted(nbs, key=lambda p: p.name != 'index.ipynb')


def is_appendix(path) -> bool: return (m := re.match(r'(\d+)', Path(path).name)) is not None and int(m[1]) >= 90


def check(path:Path, nb):
    "Fail on syntax the site can't render, naming the notebook and the cell: nbdev's processors would pass it on."
    from nbdev.process import extract_directives
    tst = set(get_config().get('tst_flags', '').split())
    for i, c in enumerate(nb.cells, 1):
        where, text = f"{os.path.relpath(path, ROOT)}, cell {i}", re.sub(r'(`+).*?\1', '', c.source, flags=re.DOTALL)
        if c.cell_type == 'code':
            bad = set(extract_directives(c, remove=False)) - OPTIONS - tst
            if bad: raise BuildError(f"{where}: unknown cell option {', '.join(sorted(bad))} (the site knows "
                                     f"{', '.join(sorted(OPTIONS))})")
        elif c.cell_type == 'markdown':
            for rx, what in UNSUPPORTED:
                if m := re.search(rx, text, re.MULTILINE):
                    raise BuildError(f"{where}: {what} is Quarto-only syntax the site can't render: {m[0]!r}")


def get_config():
    from nbdev.config import get_config
    return get_config(path=ROOT)


def show_doc(obj, name:str) -> str:
    "show_doc as markdown, as on nbdev's sites: heading, source link, signature, docstring, Type | Default | Details."
    from fastcore.docments import docments
    from nbdev.doclinks import NbdevLookup
    src = (NbdevLookup().code(f"{obj.__module__}.{obj.__qualname__}") or '').replace('#LNone', '')
    sig = inspect.signature(obj)   # annotations as the source spells them (`from __future__ import annotations`)
    txt = lambda a: '' if a is sig.empty or a is None else a if isinstance(a, str) else getattr(a, '__name__', repr(a))
    ps = [p for p in sig.parameters.values() if p.name != 'self']
    params = ['*' * (p.kind == p.VAR_POSITIONAL) + '**' * (p.kind == p.VAR_KEYWORD) + p.name +
              (f': {txt(p.annotation)}' if p.annotation is not p.empty else '') +
              (f' = {p.default!r}' if p.default is not p.empty else '') for p in ps]
    ret = '' if inspect.isclass(obj) or txt(sig.return_annotation) in ('', 'None') else \
        f' -> {txt(sig.return_annotation)}'
    head = f"{'class ' if inspect.isclass(obj) else ''}{name}("
    code = head + ', '.join(params) + ')' + ret
    if len(code) > 88: code = head + '\n' + ''.join(f'    {p},\n' for p in params) + ')' + ret
    dm, cell = docments(obj, full=True), lambda x: txt(x).replace('|', '\\|')
    rows = [f"| `{p.name}` | {cell(p.annotation)} | {'' if p.default is p.empty else cell(repr(p.default))} | "
            f"{cell(dm.get(p.name, {}).get('docment'))} |" for p in ps]
    if ret: rows.append(f"| **Returns** | {cell(sig.return_annotation)} | | {cell(dm.get('return', {}).get('docment'))} |")
    table = '|  | Type | Default | Details |\n|--|--|--|--|\n' + '\n'.join(rows) if any(
        dm.get(k, {}).get('docment') for k in dm) else ''
    return '\n\n'.join(s for s in [f"### {name}", f"[source]({src})" if src else '', f"```python\n{code}\n```",
                                   inspect.getdoc(obj) or '', table] if s)


def contrast(html:str) -> str:
    "pandas Styler heatmaps: per cell, black or white text, whichever contrasts more with the cell (>= 4.58:1)."
    def lum(hex_):
        c = [int(hex_[i:i+2], 16)/255 for i in (0, 2, 4)]
        c = [v/12.92 if v <= 0.04045 else ((v + 0.055)/1.055)**2.4 for v in c]
        return 0.2126*c[0] + 0.7152*c[1] + 0.0722*c[2]
    def fix(m):
        ink = '#000000' if (lum(m[1]) + 0.05)/0.05 >= 1.05/(lum(m[1]) + 0.05) else '#ffffff'
        return re.sub(r'(?<![-\w])color: *#[0-9a-fA-F]{6}', f'color: {ink}', m[0])
    return re.sub(r'\{[^{}]*background-color: *#([0-9a-fA-F]{6})[^{}]*\}', fix, html)


def markdown(md:str, fmt:str, labels:set, site:str) -> str:
    "Callouts, answers and links, for MyST (`fmt='myst'`) or GitHub (`'gfm'`). Code spans and blocks are left alone."
    from docutils.nodes import make_id
    code = []
    def keep(m):
        code.append(re.sub(r'\[(`[^`]+`)\]\([^)]+\)', r'\1', m[0]))   # (nbdev links inside code: plain code)
        return f'\x00{len(code) - 1}\x00'
    md = re.sub(r'```.*?```|`[^`\n]+`', keep, md, flags=re.DOTALL)
    def link(m):
        text, page, anchor = m[1], m[2], (m[3] or '').lstrip('#')
        if fmt == 'gfm' and page.endswith('.html') and anchor.lower() in labels: anchor = make_id(f'api-{anchor}')
        if fmt == 'gfm': return f"[{text}]({site}/{page_name(page)}.html{'#' + anchor if anchor else ''})"
        if page.endswith('.html'): return f"[{text}](#api-{anchor.lower()})" if anchor.lower() in labels else text
        return f"[{text}]({page_name(page)}.ipynb{'#' + anchor if anchor else ''})"
    def callout(m):
        kind, title, body = m[2], m[3] or '', m[4]
        if not title and (h := re.match(r'\s*#+ (.*)\n', body)): title, body = h[1], body[h.end():]
        if fmt == 'gfm': return f"> [!{kind.upper()}]\n" + (f"> **{title}**\n>\n" if title else '') + \
            re.sub(r'^', '> ', body.strip('\n'), flags=re.MULTILINE)
        return f":::{{admonition}} {title}\n:class: {kind}\n{body}:::" if title else f":::{{{kind}}}\n{body}:::"
    target = rf'(?:{re.escape(site)}/)?([\w.-]+\.(?:ipynb|html))(#[^)\s]*)?'
    md = re.sub(rf'\[([^\]]*)\]\({target}\)', link, md)
    md = re.sub(r'^(:{3,}) *\{?\s*\.?callout-(\w+)(?: +title="([^"]*)")? *\}?\n(.*?)^\1 *$', callout, md,
                flags=re.MULTILINE | re.DOTALL)
    md = re.sub(r'^([ \t]*)<details>\s*<summary>(.*?)</summary>(.*?)</details>',   # answers: markdown inside
                r'\1<details class="answer"><summary>\2</summary>\n\n\1\3\n\n\1</details>', md,
                flags=re.MULTILINE | re.DOTALL)
    return re.sub('\x00(\\d+)\x00', lambda m: code[int(m[1])], md)


def taught(paths) -> set[str]:
    "Every public name the notebooks export: each gets a label (and an index entry) where it is taught."
    from execnb.nbio import read_nb
    return {n.name.lower() for p in paths for c in read_nb(p).cells if re.match(r'\s*#\|\s*exports?\b', c.source)
            for n in (c.parsed_() or []) if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and n.name[0] != '_'}


def page(path:Path, fmt:str='myst', labels:set=frozenset()) -> dict:
    "The notebook at `path`, processed by nbdev and translated: a notebook for myst-nb (or for README.md)."
    from execnb.nbio import read_nb
    from nbdev.processors import FilterDefaults
    import importlib
    nb, cfg = read_nb(path), get_config()
    check(path, nb)
    exports = {n.name for c in nb.cells if c.cell_type == 'code' and re.match(r'\s*#\|\s*exports\b', c.source)
               for n in (c.parsed_() or []) if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    mod = re.search(r'^#\|\s*default_exp\s+(\S+)', '\n'.join(c.source for c in nb.cells), re.MULTILINE)
    FilterDefaults()(nb)
    fm, site = getattr(nb, 'frontmatter_', {}), cfg.doc_host.rstrip('/') + cfg.doc_baseurl.rstrip('/')
    cells, shown = [md_cell(f"# {fm.get('title', page_name(path))}")], []
    if fm.get('description'): cells.append(md_cell(('{.lead}\n' if fmt == 'myst' else '> ') + fm['description']))
    for c in nb.cells:
        if c.cell_type == 'markdown':
            cells.append(md_cell(markdown(c.source, fmt, labels, site)))
        if c.cell_type != 'code': continue
        opts = {k.rstrip(':'): ' '.join(v) for k, v in c.directives_.items()}
        if m := re.search(r'^show_doc\(([\w.]+)\)\s*$', c.source, re.MULTILINE):
            name = m[1]
            if name in exports: continue   # `#| exports`: the source is shown, and that is its documentation
            obj = importlib.import_module(f"{cfg.lib_name}.{mod[1] if mod else 'all'}")
            for part in name.split('.'): obj = getattr(obj, part)
            c.outputs, opts['output'] = [{'output_type': 'display_data', 'metadata': {},
                                          'data': {'text/markdown': show_doc(obj, name)}}], 'asis'
            shown.append(name)
            if fmt == 'myst': cells.append(md_cell(f"(api-{name.lower()})=\n```{{index}} single: {name}\n```"))
        if opts.get('include') == 'false': continue
        src = re.sub(r'\A(\s*#\|.*\n)*', '', c.source).strip()   # (nbdev leaves Quarto's options in; they are in opts)
        outs = [] if opts.get('output') == 'false' else [{k: ''.join(v) if k == 'text' else v for k, v in o.items()}
                                                        for o in c.get('outputs', [])]
        for o in outs:
            if 'data' in o: o['data'] = {k: ''.join(v) if isinstance(v, list) else v for k, v in o['data'].items()}
        if opts.get('output') == 'asis':
            cells.append(md_cell(markdown(''.join(''.join(o.get('data', {}).get('text/markdown', o.get('text', '')))
                                                  for o in outs), fmt, labels, site)))
            continue
        tags = [] if opts.get('echo') != 'false' else ['remove-input']
        meta = {}
        if 'exports' in c.directives_:
            defs = sorted(n.name for n in (c.parsed_() or []) if getattr(n, 'name', '_')[0] != '_')
            shown += defs
            if fmt == 'myst' and defs: cells.append(md_cell('\n'.join(f"(api-{d.lower()})=" for d in defs) + '\n' +
                                                            ''.join(f"```{{index}} single: {d}\n```\n" for d in defs)))
        elif not tags and is_test(src) and not (cells[-1]['source'].rstrip().endswith(':')):
            tags, meta = ['hide-input'], {'code_prompt_show': 'Tests', 'code_prompt_hide': 'Hide tests'}
        for o in outs:
            d = o.get('data', {})
            if 'text/html' in d: d['text/html'] = contrast(d['text/html'])
            if 'image/png' in d:
                title = re.search(r"""(?:title\s*=\s*|\.(?:set_title|suptitle|title)\()\s*f?(['"])(.+?)\1""", src)
                meta['image'] = {'alt': title[2] if title else f"Figure: {fm.get('title', '')}",
                                 **{k: f"{v}px" for k, v in o.get('metadata', {}).get('image/png', {}).items()
                                    if k == 'width'}}
        cells.append({'cell_type': 'code', 'execution_count': None, 'id': '', 'source': src, 'outputs': outs,
                      'metadata': {**({'tags': tags} if tags else {}), **({'mystnb': meta} if meta else {})}})
    for i, c in enumerate(cells): c['id'] = f'c{i}'
    return {'cells': cells, 'metadata': {'kernelspec': {'name': 'python3', 'display_name': 'Python 3',
            'language': 'python'}, 'language_info': {'name': 'python'}, 'title': fm.get('title', ''), 'shown': shown},
            'nbformat': 4, 'nbformat_minor': 5}


def md_cell(text:str) -> dict: return {'cell_type': 'markdown', 'id': '', 'metadata': {}, 'source': text}


def is_test(code:str) -> bool:
    "Only `test_*(...)` calls and `assert`s (a `for` over them too): a cell that only checks, folded on the site."
    try: tree = ast.parse(code)
    except SyntaxError: return False
    def ok(n): return (isinstance(n, ast.Assert) or isinstance(n, ast.Expr) and isinstance(n.value, ast.Call) and
                       re.fullmatch(r'test_\w+', getattr(n.value.func, 'id', getattr(n.value.func, 'attr', ''))) or
                       isinstance(n, ast.For) and all(map(ok, n.body)))
    return bool(tree.body) and all(map(ok, tree.body))


def sphinx(pages:dict[str, dict]):
    "Write the MyST notebooks (index gets the table of contents) and build them; any warning fails the build."
    from sphinx.cmd.build import build_main
    shutil.rmtree(SRC, ignore_errors=True); shutil.rmtree(OUT, ignore_errors=True)
    SRC.mkdir()
    names = [n for n in pages if n != 'index']
    toc = lambda cap, ns: f"```{{toctree}}\n:hidden:\n:maxdepth: 1\n{':caption: ' + cap if cap else ''}\n\n" + \
        '\n'.join(ns) + '\n```' if ns else ''
    pages['index']['cells'].append(md_cell(toc('', [n for n in names if not pages[n]['appendix']]) + '\n\n' +
                                           toc('Appendices', [n for n in names if pages[n]['appendix']])))
    for name, nb in pages.items():
        (SRC/f'{name}.ipynb').write_text(json.dumps({k: v for k, v in nb.items() if k != 'appendix'}), 'utf-8')
    if build_main(['-b', 'html', '-c', str(ROOT/'docs'), '-d', str(SRC/'.doctrees'), '-W', '--keep-going', '-q',
                   str(SRC), str(SRC/'html')]):
        raise BuildError("Sphinx warned (see above; _site_src/NAME.ipynb is the page built from the notebook NAME)")
    shutil.move(str(SRC/'html'), str(OUT))


def finish():
    "Serve KaTeX's stylesheet and fonts; drop what no page loads (icon fonts, source maps, unused translations)."
    katex = ROOT/'docs'/'node_modules'/'katex'/'dist'
    shutil.copytree(katex/'fonts', OUT/'_static'/'katex'/'fonts', ignore=shutil.ignore_patterns('*.ttf', '*.woff'))
    shutil.copy(katex/'katex.min.css', OUT/'_static'/'katex')
    for junk in ['_sources', '_static/vendor', '_static/locales', '_static/scripts/fontawesome.js']:
        p = OUT/junk
        shutil.rmtree(p) if p.is_dir() else p.unlink(missing_ok=True)
    for p in OUT.rglob('*.map'): p.unlink()
    for p in OUT.glob('*.html'):
        drop = r'fontawesome' if p.name == 'search.html' else r'fontawesome|searchtools|language_data|search-snippets|searchindex'
        html = re.sub(rf'<(script|link)[^>]*({drop})[^>]*>(</script>)?\s*', '', p.read_text('utf-8'))
        html = re.sub(r'aria-label="Toggle hidden content">(\s*<p class="collapsed[^"]*">Tests<)', r'aria-label="Tests">\1', html)
        p.write_text(html, 'utf-8')
    (OUT/'.nojekyll').touch()


def main() -> int:
    import os
    t0 = time.perf_counter()
    os.chdir(ROOT)   # nbdev reads settings.ini from the working directory
    try:
        paths = notebooks()
        labels = taught(paths)
        pages = {page_name(p): {**page(p, 'myst', labels), 'appendix': is_appendix(p)} for p in paths}
        sphinx(pages)
        finish()
    except BuildError as e:
        print(f"\ndocs: BUILD FAILED\n{e}", file=sys.stderr)
        return 1
    print(f"docs: built {len(pages)} pages into _site/ in {time.perf_counter() - t0:.1f} s: "
          + ', '.join(f'{n}.html' for n in pages))
    return 0


if __name__ == '__main__':
    sys.exit(main())
