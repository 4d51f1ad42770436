"""Build the docs site into _site/ from the notebooks' saved outputs (`make docs`): no Quarto, nothing executed.
nbdev's processors (`FilterDefaults`, less settings.ini's `skip_procs`) prepare each notebook; `page()` does what nbdev
leaves to Quarto (options to myst-nb tags, asis to markdown, callouts, page names, show_doc for `#| export`) and fails
on Quarto syntax nobody renders, naming notebook and cell. Sphinx + myst-nb build with `-W` (so broken links fail),
KaTeX typesets math at build time (docs/katex.cjs); tools/readme.py writes README.md from the same `page()`."""
import ast, io, json, os, re, shutil, sys, time, tokenize
from pathlib import Path
from nbdev.config import get_config
sys.modules.setdefault('rfc3987_syntax', None)   # jsonschema's optional IRI checker, unused here: 1.5 s to import

ROOT = Path(__file__).resolve().parent.parent
NBS, SRC, OUT = ROOT/'nbs', ROOT/'_site_src', ROOT/'_site'
OPTIONS = {'hide', 'export', 'exports', 'exporti', 'default_exp', 'echo:', 'output:', 'include:', 'eval:', 'error:',
           'exec_doc', 'filter_stream', 'notest', 'slow', 'skip_exec', 'skip_showdoc'}
UNSUPPORTED = [(r'\{\{<.*', 'a `{{< >}}` shortcode'), (r'(?<![\w@])@(fig|tbl|sec|eq|lst)-[\w-]+', 'a cross-reference'),
               (r'^[ \t]*:{3,}[ \t]*(?!\{?[ \t]*\.?callout-(note|tip|warning|important|caution)\b)[^\s:].*',
                'a fenced div other than a callout')]

class BuildError(Exception): pass

def slug(title:str) -> str:
    "A heading's id as Pandoc (so Quarto, so the notebooks' links) makes it: 'Finding `x`!' -> 'finding-x'."
    return re.sub(r'^[^a-z]+', '', re.sub(r'\s+', '-', re.sub(r'[^\w\s.-]', '', title.strip())).lower()) or 'section'

def page_name(path) -> str: return re.sub(r'^\d+[a-zA-Z0-9]*_', '', Path(path).stem.lower())   # nbdev's rule

def notebooks() -> list[Path]:
    "index, then by file name: lessons 01, 02, ... (each one's exercises after it), then appendices (90_...)."
    return sorted(sorted(p for p in NBS.glob('*.ipynb') if not p.name.startswith(('_', '.'))),
                  key=lambda p: p.name != 'index.ipynb')

def is_appendix(path) -> bool: return int((re.match(r'\d+', Path(path).name) or [0])[0]) >= 90

def defs(cells, directive:str='exports?') -> list[str]:
    "The public functions and classes defined in `cells` that start with `#| export` (or the directive given)."
    return [n.name for c in cells if c.cell_type == 'code' and re.match(rf'\s*#\|\s*{directive}\b', c.source)
            for n in (c.parsed_() or []) if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and n.name[0] != '_']

def taught(paths) -> dict[str, str]:
    "Every exported public name -> the page that teaches it; each gets a label there, for links to land on."
    from execnb.nbio import read_nb
    return {n: page_name(p) for p in paths for n in defs(read_nb(p).cells)}

def check(path:Path, nb):
    "Fail on syntax the site can't render, naming the notebook and the cell (nbdev's processors pass it on)."
    from nbdev.process import extract_directives
    known = OPTIONS | set(get_config(path=ROOT).get('tst_flags', '').split())
    for i, c in enumerate(nb.cells, 1):
        where, text = f"{os.path.relpath(path, ROOT)}, cell {i}", re.sub(r'(`+).*?\1', '', c.source, flags=re.DOTALL)
        if c.cell_type == 'code' and (bad := set(extract_directives(c, remove=False)) - known):
            raise BuildError(f"{where}: unknown cell option {', '.join(sorted(bad))}; known: {' '.join(sorted(known))}")
        for rx, what in UNSUPPORTED if c.cell_type == 'markdown' else []:
            if m := re.search(rx, text, re.MULTILINE):
                raise BuildError(f"{where}: {what} is Quarto-only syntax the site can't render: {m[0]!r}")

def show_doc(src:str, name:str, url:str) -> str:
    """show_doc as nbdev's sites show it (heading, source link, signature, docstring, Type | Default | Details), read
    from the module's source `src`, not imported: importing it would import torch, 2 s of the build."""
    lines, node = src.splitlines(), next(n for n in ast.parse(src).body if getattr(n, 'name', None) == name)
    fn = node if not isinstance(node, ast.ClassDef) else next((f for f in node.body if getattr(f, 'name', '') ==
                                                                '__init__'), None)   # no __init__: a dataclass
    if fn:
        a = fn.args
        dflt = dict([*zip((a.posonlyargs + a.args)[::-1], a.defaults[::-1]), *zip(a.kwonlyargs, a.kw_defaults)])
        ps = [('*' * ((x is a.vararg) + 2*(x is a.kwarg)) + x.arg, x.annotation, dflt.get(x), x.lineno)
              for x in [*a.posonlyargs, *a.args, a.vararg, *a.kwonlyargs, a.kwarg] if x and x.arg != 'self']
    else: ps = [(f.target.id, f.annotation, f.value, f.lineno) for f in node.body if isinstance(f, ast.AnnAssign)]
    u, cell = lambda n: '' if n is None else ast.unparse(n), lambda s: s.replace('|', '\\|')
    ret = u(fn.returns) if fn is node and u(fn.returns) != 'None' else ''
    notes = {node.lineno - 1 + t.start[0] + (t.line.lstrip()[0] == '#'): t.string.lstrip('#').strip() for t in
             tokenize.generate_tokens(io.StringIO('\n'.join(lines[node.lineno - 1:node.end_lineno])).readline)
             if t.type == tokenize.COMMENT}   # docments: the comment ending a parameter's line, else the line above it
    params = [p + (f': {u(t)}' if t else '') + ((' = ' if t else '=') + u(d) if d else '') for p, t, d, _ in ps]
    head, tail = f"{'class ' if fn is not node else ''}{name}(", ')' + (f' -> {ret}' if ret else '')
    code = head + ', '.join(params) + tail
    if len(code) > 88: code = head + '\n' + ''.join(f'    {p},\n' for p in params) + tail
    rows = [(f'`{p}`', u(t), u(d), notes.get(n, '')) for p, t, d, n in ps]
    if ret: rows.append(('**Returns**', ret, '', notes.get(fn.returns.lineno, '')))
    table = '|  | Type | Default | Details |\n|--|--|--|--|\n' + '\n'.join(
        '| ' + ' | '.join(map(cell, r)) + ' |' for r in rows) if any(r[3] for r in rows) else ''
    return '\n\n'.join(s for s in [f"### {name}", f"[source]({url}#L{node.lineno})", f"```python\n{code}\n```",
                                   ast.get_docstring(node), table] if s)

def contrast(html:str) -> str:
    "pandas Styler heatmaps: each cell's text black or white, whichever contrasts more with it (at least 4.58:1)."
    def lum(h:str) -> float:
        c = [v/12.92 if v <= 0.04045 else ((v + 0.055)/1.055)**2.4 for v in (int(h[i:i+2], 16)/255 for i in (0, 2, 4))]
        return 0.2126*c[0] + 0.7152*c[1] + 0.0722*c[2]
    ink = lambda m: '#000000' if (lum(m[1]) + 0.05)**2 >= 0.0525 else '#ffffff'   # (L+.05)/.05 >= 1.05/(L+.05)
    return re.sub(r'\{[^{}]*background-color: *#([0-9a-fA-F]{6})[^{}]*\}', lambda m: re.sub(
        r'(?<![-\w])color: *#[0-9a-fA-F]{6}', f'color: {ink(m)}', m[0]), html)

def markdown(md:str, fmt:str, labels:dict, site:str) -> str:
    """Links, callouts and answers, for MyST (`fmt='myst'`) or GitHub (`'gfm'`). An exported name in backticks links
    to where it is taught (nbdev's `add_links` would load every installed package's index: 2 s); code is left alone."""
    from docutils.nodes import make_id
    code = []
    def keep(m):
        name = re.fullmatch(r'`(\w+)(?:\(\))?`', m[0])
        if name and name[1] in labels: code.append(f"[{m[0]}]({site}/{labels[name[1]]}.html#"
            f"{make_id('api-' + name[1])})" if fmt == 'gfm' else f"[{m[0]}](#api-{name[1].lower()})")
        else: code.append(m[0])
        return f'\x00{len(code) - 1}\x00'
    def link(m):
        page, anchor = page_name(m[2]), m[3] or ''
        return f"[{m[1]}]({site}/{page}.html{anchor})" if fmt == 'gfm' else f"[{m[1]}]({page}.ipynb{anchor})"
    def callout(m):
        kind, title, body = m[2], m[3] or '', m[4]
        if not title and (h := re.match(r'\s*#+ (.*)\n', body)): title, body = h[1], body[h.end():]
        if fmt == 'gfm': return f"> [!{kind.upper()}]\n" + (f"> **{title}**\n>\n" if title else '') + \
            re.sub(r'^', '> ', body.strip('\n'), flags=re.MULTILINE)
        return f":::{{admonition}} {title}\n:class: {kind}\n{body}:::" if title else f":::{{{kind}}}\n{body}:::"
    md = re.sub(r'```.*?```|`[^`\n]+`', keep, md, flags=re.DOTALL)
    md = re.sub(r'\[([^\]]*)\]\((?:\./)?([\w.-]+\.ipynb)(#[^)\s]*)?\)', link, md)
    md = re.sub(r'^(:{3,}) *\{?\s*\.?callout-(\w+)(?: +title="([^"]*)")? *\}?\n(.*?)^\1 *$', callout, md,
                flags=re.MULTILINE | re.DOTALL)
    md = re.sub(r'^([ \t]*)<details>\s*<summary>(.*?)</summary>(.*?)</details>',   # answers: markdown inside
                r'\1<details class="answer"><summary>\2</summary>\n\n\1\3\n\n\1</details>', md,
                flags=re.MULTILINE | re.DOTALL)
    return re.sub('\x00(\\d+)\x00', lambda m: code[int(m[1])], md)

def index_cell(names) -> dict:   # where each name is taught: a label (`api-name`, for links to land on), an index entry
    return md_cell(''.join(f"(api-{n.lower()})=\n```{{index}} single: {n}\n```\n" for n in names))

def md_cell(text:str) -> dict: return {'cell_type': 'markdown', 'id': '', 'metadata': {}, 'source': text}

def page(path:Path, fmt:str='myst', labels:dict={}) -> dict:
    "The notebook at `path` through nbdev's processors, translated: a notebook for myst-nb (or for README.md)."
    from execnb.nbio import read_nb
    from nbdev.processors import FilterDefaults
    nb, cfg = read_nb(path), get_config(path=ROOT)
    check(path, nb)
    exports, mod = set(defs(nb.cells, 'exports')), re.search(r'^#\|\s*default_exp\s+(\S+)', '\n'.join(
        c.source for c in nb.cells), re.MULTILINE)
    FilterDefaults()(nb)
    fm, site = getattr(nb, 'frontmatter_', {}), cfg.doc_host.rstrip('/') + cfg.doc_baseurl.rstrip('/')
    cells = [md_cell(f"# {fm.get('title', page_name(path))}")]
    if fm.get('description'): cells.append(md_cell(('{.lead}\n' if fmt == 'myst' else '> ') + fm['description']))
    if path.name[0] == '0':   # lessons and exercises: the same Colab link as the notebook's badge (tools/hosted.py)
        colab = cfg.git_url.replace('https://github.com/', 'https://colab.research.google.com/github/')
        cells.append(md_cell(f"[Open in Colab]({colab}/blob/{cfg.branch}/nbs/{path.name})"))
    for c in nb.cells:
        if c.cell_type == 'markdown': cells.append(md_cell(markdown(c.source, fmt, labels, site)))
        if c.cell_type != 'code': continue
        opts = {k.rstrip(':'): ' '.join(v) for k, v in c.directives_.items()}
        if m := re.search(r'^show_doc\((\w+)\)\s*$', c.source, re.MULTILINE):
            if m[1] in exports: continue   # `#| exports`: its source is shown, and that is its documentation
            src = cfg.lib_path/f"{mod[1].replace('.', '/')}.py"
            url = f"{cfg.git_url}/blob/{cfg.branch}/{src.relative_to(ROOT)}"
            doc = show_doc(src.read_text('utf-8'), m[1], url)
            c.outputs, opts['output'] = [{'output_type': 'display_data', 'data': {'text/markdown': doc}}], 'asis'
            if fmt == 'myst': cells.append(index_cell([m[1]]))
        if opts.get('include') == 'false': continue
        src = re.sub(r'\A(\s*#\|.*\n)*', '', c.source).strip()   # (nbdev leaves Quarto's options in: they are in opts)
        outs = [] if opts.get('output') == 'false' else c.get('outputs', [])   # (texts may be lists of lines)
        if opts.get('output') == 'asis':
            md = ''.join(''.join(o.get('data', {}).get('text/markdown', o.get('text', ''))) for o in outs)
            cells.append(md_cell(markdown(md, fmt, labels, site))); continue
        tags, meta = ([] if opts.get('echo') != 'false' else ['remove-input']), {}
        if 'exports' in c.directives_:
            if fmt == 'myst' and defs([c], ''): cells.append(index_cell(defs([c], '')))
        elif not tags and is_test(src) and not cells[-1]['source'].rstrip().endswith(':'):
            tags, meta = ['hide-input'], {'code_prompt_show': 'Tests', 'code_prompt_hide': 'Hide tests'}
        for d in (o['data'] for o in outs if 'data' in o):
            if 'text/html' in d: d['text/html'] = contrast(''.join(d['text/html']))
            if 'image/png' in d: meta['image'] = {'alt': alt(src, cells)}
        cells.append({'cell_type': 'code', 'execution_count': None, 'id': '', 'source': src, 'outputs': outs,
                      'metadata': {**({'tags': tags} if tags else {}), **({'mystnb': meta} if meta else {})}})
    for i, c in enumerate(cells): c['id'] = f'c{i}'
    return {'cells': cells, 'metadata': {'language_info': {'name': 'python'}}, 'nbformat': 4, 'nbformat_minor': 5}

def alt(src:str, cells:list) -> str:
    """A figure's alt text (myst-nb sizes retina PNGs): the literal titles its code gives it, its `suptitle` if any
    (never an f-string, nothing with `{`), else the section it is in (the last heading in `cells`) and the page."""
    ts = [(f == 'suptitle', t) for f, p, _, t in re.findall(r"""(?:\btitle\s*=\s*|\.(set_title|suptitle|title)\()\s*"""
          r"""(\w*)(['"])(.*?)\3""", src) if 'f' not in p.lower() and t.strip() and not re.search('[{}]', t)]
    if ts: return '; '.join([t for sup, t in ts if sup] or dict.fromkeys(t for _, t in ts))
    hs = [re.sub(r'[`*]|\[([^\]]*)\]\([^)]*\)', r'\1', h) for c in cells if c['cell_type'] == 'markdown'
          for h in re.findall(r'^#+ +(.+?) *$', re.sub('```.*?```', '', c['source'], flags=re.DOTALL), re.MULTILINE)]
    return f"Figure in '{hs[-1]}' on {hs[0]}" if len(hs) > 1 else f"Figure on {hs[0]}"

def is_test(code:str) -> bool:
    "Only `test_*(...)` calls and `assert`s (a `for` over them too): a cell that only checks, folded on the site."
    try: tree = ast.parse(code)
    except SyntaxError: return False
    def ok(n): return (isinstance(n, ast.Assert) or isinstance(n, ast.Expr) and isinstance(n.value, ast.Call) and
                       re.fullmatch(r'test_\w+', getattr(n.value.func, 'id', getattr(n.value.func, 'attr', ''))) or
                       isinstance(n, ast.For) and all(map(ok, n.body)))
    return bool(tree.body) and all(map(ok, tree.body))

def sphinx(pages:dict[str, dict], appendices:set):
    "Write the MyST notebooks (index holds the tables of contents) and build them: any warning fails the build."
    from sphinx.cmd.build import build_main
    shutil.rmtree(SRC, ignore_errors=True); shutil.rmtree(OUT, ignore_errors=True); SRC.mkdir()
    toc = lambda cap, ns: f"```{{toctree}}\n:hidden:\n{cap}\n" + '\n'.join(ns) + '\n```\n' if ns else ''
    pages['index']['cells'].append(md_cell(toc('', [n for n in pages if n not in appendices | {'index'}]) +
                                           toc(':caption: Appendices', [n for n in pages if n in appendices])))
    for name, nb in pages.items(): (SRC/f'{name}.ipynb').write_text(json.dumps(nb), 'utf-8')
    if build_main(['-b', 'html', '-c', str(ROOT/'docs'), '-d', str(SRC/'.doctrees'), '-W', '--keep-going', '-q',
                   str(SRC), str(SRC/'html')]):
        raise BuildError("Sphinx warned (above; _site_src/NAME.ipynb is the page built from the notebook for NAME)")
    shutil.move(str(SRC/'html'), str(OUT))   # then serve KaTeX's stylesheet and fonts, drop what pages needn't load
    katex = ROOT/'docs'/'node_modules'/'katex'/'dist'
    shutil.copytree(katex/'fonts', OUT/'_static'/'katex'/'fonts', ignore=shutil.ignore_patterns('*.ttf', '*.woff'))
    shutil.copy(katex/'katex.min.css', OUT/'_static'/'katex')
    for p in [OUT/'_sources', OUT/'_static'/'vendor', OUT/'_static'/'locales']: shutil.rmtree(p, ignore_errors=True)
    css = OUT/'_static'/'styles'/'pydata-sphinx-theme.css'   # no @font-face for the icon fonts dropped: no 404s
    css.write_text(re.sub(r'@font-face\{[^}]*fontawesome[^}]*\}', '', css.read_text('utf-8')), 'utf-8')
    for p in {*OUT.rglob('*.map'), *OUT.glob('_static/scripts/fontawesome*')}: p.unlink()
    for p in OUT.glob('*.html'):
        drop = 'fontawesome' + ('' if p.name == 'search.html' else '|searchtools|language_data|search-|searchindex')
        html = re.sub(rf'<(script|link)[^>]*({drop})[^>]*>(</script>)?\s*', '', p.read_text('utf-8'))
        fonts = ('Main-Regular', 'Math-Italic') if 'class="katex"' in html else ()   # math fonts come with the page:
        html = html.replace('</head>', ''.join(f'<link rel="preload" href="_static/katex/fonts/KaTeX_{f}.woff2" as='
                            '"font" type="font/woff2" crossorigin>' for f in fonts) + '</head>')   # no reflow
        p.write_text(re.sub(r'aria-label="Toggle hidden content">(\s*<p class="collapsed[^"]*">Tests<)',
                            r'aria-label="Tests">\1', html), 'utf-8')
    (OUT/'.nojekyll').touch()

def main() -> int:
    t0 = time.perf_counter()
    sys.modules['matplotlib_inline'] = None   # execnb's inline figures, unused here: 0.6 s to import
    os.chdir(ROOT)   # nbdev reads settings.ini from the working directory
    try:
        paths = notebooks(); labels = taught(paths)
        sphinx({page_name(p): page(p, 'myst', labels) for p in paths}, {page_name(p) for p in paths if is_appendix(p)})
    except BuildError as e: return print(f"\ndocs: BUILD FAILED\n{e}", file=sys.stderr) or 1
    print(f"docs: built {len(paths)} pages into _site/ in {time.perf_counter() - t0:.1f} s", flush=True)
    return 0

if __name__ == '__main__':
    os._exit(main())   # skip tearing down what Sphinx built in memory, 0.7 s (main() flushed its output)
