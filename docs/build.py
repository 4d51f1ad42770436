"""Build the docs site into _site/ from the notebooks' saved outputs: no Quarto, no network, no notebook execution.

    python docs/build.py          # what `make docs` runs

1. nbdev's own notebook processors (as `nbdev_docs` uses them, except that the saved show_doc output is used
   instead of re-running the notebook's imports and exports) prepare each notebook: nbdev's doc links, hidden and
   exported cells removed, show_doc cells marked `#| output: asis`, and show_doc added for exports without one.
2. docs/nbmd.py translates what only Quarto understands into MyST, and fails loudly (notebook and cell) on syntax
   nobody can render.
3. Sphinx + myst-nb + sphinx-book-theme render the pages; any warning fails the build.
4. MathJax comes from the jupyter-server-mathjax package (a dev requirement), copied into _site: no CDN.

Pages are named as nbdev publishes them (00_data.ipynb -> data.html); nbs/index.ipynb is the home page, and the
other notebooks follow it in file-name order.
"""
from __future__ import annotations

import configparser, importlib, json, os, re, shutil, sys, time, warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS, NBS = ROOT/'docs', ROOT/'nbs'
SRC, OUT = ROOT/'_site_src', ROOT/'_site'
sys.path.insert(0, str(DOCS))
import nbmd  # noqa: E402


MIXED = 'mixes imports with other code'


class BuildError(Exception): pass


def rel(path) -> str:
    "`path` as shown in messages: relative to the repository when it is inside it."
    try: return str(Path(path).resolve().relative_to(ROOT))
    except ValueError: return str(path)


def settings() -> configparser.SectionProxy:
    cfg = configparser.ConfigParser(interpolation=None)
    cfg.read(ROOT/'settings.ini')
    return cfg['DEFAULT']


def notebooks() -> list[Path]:
    "The notebooks to publish, in series order: index first, then by file name (nbdev skips names starting _ or .)."
    nbs = sorted(p for p in NBS.glob('*.ipynb') if not p.name.startswith(('_', '.')))
    return sorted(nbs, key=lambda p: (p.name != 'index.ipynb', p.name))


def nbdev_process(paths:list[Path]) -> tuple[dict[Path, dict], dict[Path, dict]]:
    """Run nbdev's docs processors on each notebook; nbdev's warnings are errors. Returns the processed notebooks,
    and for each the number (from 1) of every cell id in the saved notebook, for messages."""
    from execnb.nbio import read_nb, nb2dict
    from nbdev.process import Processor
    from nbdev import processors as P

    class show_docs(Processor):
        """Stands in for nbdev's `exec_show_docs`, which re-runs the notebook's imports, exports and show_doc cells.
        We use the saved show_doc output, and render show_doc from the exported module (an import, nothing more)
        only where there is none: a show_doc cell that wasn't run, or an export without a show_doc cell (which
        nbdev documents anyway). nbdev's warnings are kept: they fail the build."""
        def __call__(self, cell):
            if not getattr(self.nb, 'has_docs_', None) or cell.cell_type != 'code': return
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter('always')
                P._do_eval(cell)   # nbdev warns about cells that mix imports with other code
            if caught:
                n = self.nb.cell_numbers_.get(cell.get('id'), '?')
                warnings.warn(f"{nbmd.cell_where('', n, cell).lstrip(', ')} {MIXED}")
            if P._is_showdoc(cell) and not any('text/markdown' in o.get('data', {}) for o in cell.get('outputs', [])):
                cell.outputs = [_show_doc(self.nb, cell.source, added=getattr(cell, 'has_sd', False))]
            if P._is_showdoc(cell):
                for o in cell.get('outputs', []):
                    d = o.get('data', {})
                    if 'text/markdown' in d:
                        md = d['text/markdown']
                        d['text/markdown'] = fix_show_doc(''.join(md) if isinstance(md, list) else md,
                                                          lambda name: _find(self.nb, name))

    def _show_doc(nb, source:str, added:bool) -> dict:
        "show_doc's markdown for a show_doc cell without saved output (or one nbdev added), from the exported module."
        from nbdev.showdoc import show_doc
        m = re.search(r'^show_doc\(\s*([\w.]+)\s*\)\s*$', source.splitlines()[-1])
        mod = f"{settings()['lib_name']}.{P._default_exp(nb)}"
        try:
            if not m: raise ValueError("only `show_doc(name)` can be rendered from the module")
            obj = importlib.import_module(mod)
            for part in m.group(1).split('.'): obj = getattr(obj, part)
        except Exception as e:
            what = f"the export {m.group(1) if m else source!r}" if added else f"the show_doc cell {source.splitlines()[-1]!r}"
            raise BuildError(f"{rel(nb.path_)}: {what} has no saved output, and it can't be rendered "
                             f"from {mod} ({type(e).__name__}: {e}). Run `nbdev_export`, then run the notebook and save it.") from e
        return {'output_type': 'execute_result', 'execution_count': None, 'metadata': {},
                'data': {'text/markdown': show_doc(obj)._repr_markdown_()}}

    def _find(nb, name:str):
        "The object `name` (`MnistSample`, `BasicOptim.step`) in the notebook's module, else in the whole package."
        lib = settings()['lib_name']
        for mod in dict.fromkeys([f"{lib}.{P._default_exp(nb)}", f"{lib}.all"]):
            try: obj = importlib.import_module(mod)
            except Exception: continue
            try:
                for part in name.split('.'): obj = getattr(obj, part)
                return obj
            except AttributeError: continue
        return None

    class Procs(P.FilterDefaults):
        def base_procs(self): return [show_docs if p is P.exec_show_docs else p for p in super().base_procs()]

    res, problems, numbering = {}, [], {}
    for path in paths:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always')
            nb = read_nb(path)
            codes = [c for c in nb.cells if c.cell_type == 'code' and c.source.strip()]
            if len(codes) > 3 and not any(c.get('outputs') for c in codes):
                problems.append(f"{rel(path)}: no code cell has saved output. The site shows saved outputs: run the "
                                "notebook top to bottom and save it.")
            numbering[path] = nb.cell_numbers_ = {c.get('id'): i + 1 for i, c in enumerate(nb.cells)}
            try: Procs()(nb)
            except BuildError: raise
            except Exception as e: problems.append(f"{rel(path)}: nbdev's processors failed: {e}")
        for w in caught:
            problems.append(f"{rel(path)}: {str(w.message).strip()}")
        res[path] = nb2dict(nb)
    if problems:
        why = ("\n(nbdev_docs runs every cell that imports something, to render show_doc; a cell that also does "
               "other work then runs out of context, and nbdev's Quarto build breaks. Put imports in cells of their "
               "own.)") if any(MIXED in p for p in problems) else ''
        raise BuildError("the notebooks need fixing before the site can be built (nbdev's warnings fail the build):\n- "
                         + '\n- '.join(dict.fromkeys(problems)) + why)
    return res, numbering


# --- show_doc for classes and methods ------------------------------------------------------------------------------
# nbdev 2.4.14's show_doc renders every class like a function (`def MnistSample(...)->None:`, `def GradCheckError(
# *args, **kwargs):`) and methods without their class or `self` (`def step():`). The build replaces that signature
# block with one rendered from the exported module: `class Name(Base):` with its fields (dataclass, NamedTuple) or
# its `__init__` parameters, with their docments comments; and `Class.method(self, ...)` for methods.

def _comments(obj) -> dict[int, str]:
    "Line number (1-based, in the file) -> the `# comment` ending that line, for the source of `obj`."
    import inspect, io, tokenize
    try: lines, start = inspect.getsourcelines(obj)
    except (OSError, TypeError): return {}
    res = {}
    try:
        for tok in tokenize.generate_tokens(io.StringIO(''.join(lines)).readline):
            if tok.type == tokenize.COMMENT: res[tok.start[0] + start - 1] = tok.string.lstrip('#').strip()
    except (tokenize.TokenError, IndentationError): pass
    return res


def _anno(a) -> str:
    import inspect
    a = getattr(a, '__forward_arg__', a)   # NamedTuple fields under `from __future__ import annotations`
    return a if isinstance(a, str) else inspect.formatannotation(a).replace(' ', '').replace('|', ' | ')


def _fields(cls) -> list[tuple[str, str]]:
    "`(name:anno=default, docment)` for each field of a dataclass or NamedTuple, in order, from the class body."
    import ast, dataclasses, inspect, textwrap
    try: src, start = inspect.getsourcelines(cls)
    except (OSError, TypeError): src, start = None, 0
    comments, docs = _comments(cls), {}
    if src:
        tree = ast.parse(textwrap.dedent(''.join(src)))
        for n in tree.body[0].body:
            if isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name):
                docs[n.target.id] = comments.get(n.end_lineno + start - 1, '')
    hints = getattr(cls, '__annotations__', {})
    if dataclasses.is_dataclass(cls):
        names = [(f.name, f.default) for f in dataclasses.fields(cls)]
    else:
        defaults = getattr(cls, '_field_defaults', {})
        names = [(f, defaults.get(f, dataclasses.MISSING)) for f in cls._fields]
    res = []
    for nm, default in names:
        s = nm + (f':{_anno(hints[nm])}' if nm in hints else '')
        if default is not dataclasses.MISSING: s += f'={default!r}'
        res.append((s, docs.get(nm, '')))
    return res


def _params(fn, skip_self:bool) -> list[tuple[str, str]]:
    "`(name:anno=default, docment)` for each parameter of `fn`, from fastcore's docments."
    from fastcore.docments import DocmentText
    params = DocmentText(fn, docstring=False).params
    if not skip_self:
        import inspect
        try: first = next(iter(inspect.signature(fn).parameters), None)
        except (TypeError, ValueError): first = None
        if first in ('self', 'cls') and not any(p.split(':')[0].split('=')[0] == first for p, _ in params):
            params = [(first, ''), *params]
    return params


def _lines(params:list, indent:str, maxline:int=110) -> list[str]:
    "Parameters one a line with their comments, or on one line when none has a comment and it fits."
    if not any(d for _, d in params):
        one = ', '.join(p for p, _ in params)
        if len(one) + len(indent) <= maxline: return [indent + one]
    return [f"{indent}{p},{' # ' + d if d else ''}" for p, d in params]


def class_sig(cls) -> str:
    "A class's signature block: decorators, `class Name(Bases):`, then its fields or its `__init__` parameters."
    import dataclasses, inspect
    bases = [b for b in getattr(cls, '__orig_bases__', cls.__bases__) if b is not object]
    names = ['NamedTuple' if getattr(b, '__name__', '') == 'NamedTuple' or b is tuple and hasattr(cls, '_fields')
             else _anno(b) for b in bases]
    if hasattr(cls, '_fields') and 'NamedTuple' not in names: names = ['NamedTuple']
    head = f"class {cls.__name__}" + (f"({', '.join(names)})" if names else '') + ':'
    if dataclasses.is_dataclass(cls):
        p = cls.__dataclass_params__
        flags = ', '.join(f'{k}=True' for k in ('frozen', 'order') if getattr(p, k, False))
        head = f"@dataclass{'(' + flags + ')' if flags else ''}\n{head}"
    if dataclasses.is_dataclass(cls) or hasattr(cls, '_fields'):
        body = [f"    {p}{' # ' + d if d else ''}" for p, d in _fields(cls)]
    elif '__init__' in vars(cls) and inspect.isfunction(vars(cls)['__init__']):
        params = _params(vars(cls)['__init__'], skip_self=False)
        one = _lines(params, '')
        body = ([f"    def __init__({one[0]}): ..."] if len(one) == 1 else
                ["    def __init__(", *_lines(params, '        '), "    ): ..."])
    else: body = []
    return head + ('\n' + '\n'.join(body) if body else ' ...')


def method_sig(cls, name:str, fn) -> str:
    "A method's signature block: `Class.method(self, ...)->ret:` with docments comments."
    import inspect
    from fastcore.docments import DocmentText
    raw = inspect.getattr_static(cls, name)
    static, klass = isinstance(raw, staticmethod), isinstance(raw, classmethod)
    params = _params(fn, skip_self=static or klass)
    if klass: params = [('cls', ''), *params]
    ret = re.sub(r'^\)(.*?):', r'\1', DocmentText(fn, docstring=False)._ret_str)   # `->T # doc`
    one = _lines(params, '')
    prefix = '@staticmethod\n' if static else '@classmethod\n' if klass else ''
    if len(one) == 1 and not any(d for _, d in params): return f"{prefix}{cls.__name__}.{name}({one[0]}){ret}"
    return f"{prefix}{cls.__name__}.{name}(\n" + '\n'.join(_lines(params, '    ')) + f"\n){ret}"


def fix_show_doc(md:str, find) -> str:
    """show_doc's markdown, with the signature of a class or a method rendered as `class_sig`/`method_sig` do.
    `find(name)` returns the documented object for a heading's name (`MnistSample`, `BasicOptim.step`), or None."""
    import inspect
    m = re.search(r'^(#{1,6}) (\S+)\s*\n\n```python\n(.*?)\n```', md, flags=re.MULTILINE | re.DOTALL)
    if not m: return md
    name = m.group(2)
    try: obj = find(name)
    except Exception: obj = None
    if obj is None: return md
    if inspect.isclass(obj): sig = class_sig(obj)
    elif '.' in name:
        owner = find(name.rsplit('.', 1)[0])
        if not inspect.isclass(owner): return md
        fn = getattr(obj, 'fget', None) or obj
        if not callable(fn): return md
        sig = method_sig(owner, name.rsplit('.', 1)[1], fn)
    else: return md
    return md[:m.start(3)] + sig + md[m.end(3):]


def placeholder_index(s) -> dict:
    "A home page for while nbs/index.ipynb doesn't exist yet."
    return {'cells': [{'cell_type': 'markdown', 'metadata': {},
                       'source': f"---\ntitle: {json.dumps(s['title'])}\ndescription: {json.dumps(s['description'])}\n---"},
                      {'cell_type': 'markdown', 'metadata': {}, 'source': 'The notebooks of the series are listed on the left.'}],
            'metadata': {}, 'nbformat': 4, 'nbformat_minor': 5}


def translate(processed:dict[Path, dict], numbering:dict, s) -> list[nbmd.Page]:
    flags = s.get('tst_flags', '').split()
    pages, errors = [], []
    for p, nb in processed.items():
        try: pages.append(nbmd.translate_nb(nb, rel(p), flags=flags, numbers=numbering[p]))
        except nbmd.TranslationError as e: errors.append(str(e))
    if errors: raise BuildError("the docs site can't render this:\n- " + '\n- '.join(errors))
    if not any(p.name == 'index' for p in pages):
        print("docs: nbs/index.ipynb doesn't exist yet; using a placeholder home page", file=sys.stderr)
        pages.insert(0, nbmd.translate_nb(placeholder_index(s), 'nbs/index.ipynb'))
    names = [p.name for p in pages]
    dups = {n for n in names if names.count(n) > 1}
    if dups: raise BuildError(f"two notebooks publish to the same page: {', '.join(sorted(dups))}.html")
    return pages


def write_sources(pages:list[nbmd.Page], site_url:str):
    if SRC.exists(): shutil.rmtree(SRC)
    SRC.mkdir()
    order = [p.name for p in pages if p.name != 'index']
    for p in pages:
        nb = nbmd.to_myst_nb(p, pages, site_url=site_url, toctree=order if p.name == 'index' else None)
        (SRC/f'{p.name}.ipynb').write_text(json.dumps(nb, indent=1, ensure_ascii=False), encoding='utf-8')


def sphinx():
    from sphinx.cmd.build import build_main
    if OUT.exists(): shutil.rmtree(OUT)
    log = SRC/'sphinx-warnings.txt'
    args = ['-b', 'html', '-c', str(DOCS), '-d', str(SRC/'.doctrees'), '-W', '--keep-going', '-q', '-j', '1',
            '-w', str(log), str(SRC), str(SRC/'html')]
    # myst-nb writes its files beside Sphinx's output folder, so that folder lives in _site_src, not in the repo root
    if build_main(args) != 0:
        where = _sphinx_where(log.read_text(encoding='utf-8') if log.exists() else '')
        raise BuildError("Sphinx warned or failed (warnings fail the build)" + (':\n- ' + '\n- '.join(where) if where else
                         '; see above'))
    shutil.move(str(SRC/'html'), str(OUT))


def _sphinx_where(log:str) -> list[str]:
    "Sphinx's warnings, pointed back at the notebook and cell each came from (myst-nb numbers lines (cell+1)*10000+n)."
    res = []
    for line in log.splitlines():
        m = re.match(r'^(.*?)/_site_src/([\w.-]+)\.ipynb:(\d+): (?:WARNING|ERROR): (.*)$', line)
        if not m: continue
        meta = json.loads((SRC/f'{m.group(2)}.ipynb').read_text(encoding='utf-8'))['metadata'].get('nbmd_where', [])
        i = int(m.group(3)) // 10000 - 1
        res.append(f"{meta[i] if 0 <= i < len(meta) else m.group(2)}: {m.group(4)}")
    return res


def mathjax():
    "Copy MathJax 2.7 from the jupyter-server-mathjax package: the site never loads it from a CDN."
    try: import jupyter_server_mathjax
    except ImportError as e:
        raise BuildError("jupyter-server-mathjax is missing: run `make venv` (it is a dev requirement)") from e
    src = Path(jupyter_server_mathjax.__file__).parent/'static'
    shutil.copytree(src, OUT/'_static'/'mathjax', ignore=shutil.ignore_patterns('*.md', 'LICENSE*'))
    shutil.copy(src/'LICENSE', OUT/'_static'/'mathjax'/'LICENSE.txt')


def main() -> int:
    t0 = time.perf_counter()
    os.chdir(ROOT)   # nbdev finds settings.ini from the working directory
    s = settings()
    site_url = s['doc_host'].rstrip('/') + s['doc_baseurl'].rstrip('/')
    try:
        paths = notebooks()
        processed, numbering = nbdev_process(paths)
        pages = translate(processed, numbering, s)
        write_sources(pages, site_url)
        sphinx()
        mathjax()
        shutil.rmtree(OUT/'_sources', ignore_errors=True)   # empty: we don't publish the notebooks' sources
        (OUT/'.nojekyll').touch()
    except (BuildError, nbmd.TranslationError) as e:
        print(f"\ndocs: BUILD FAILED\n{e}", file=sys.stderr)
        return 1
    print(f"docs: built {len(pages)} pages into {OUT.relative_to(ROOT)}/ in {time.perf_counter()-t0:.1f} s: "
          + ', '.join(f'{p.name}.html' for p in pages))
    return 0


if __name__ == '__main__':
    sys.exit(main())
