"""Translate nbdev notebooks for renderers that are not Quarto.

One translator, two targets:

- `to_myst_nb` gives a MyST notebook (a plain nbformat dict) for Sphinx + myst-nb: `docs/build.py` builds the site;
- `to_gfm` gives GitHub-flavoured markdown: `tools/readme.py` writes README.md from `nbs/index.ipynb`.

It understands exactly the Quarto syntax our notebooks may use (see the house rules): front matter, the cell options
`#| hide`, `#| echo: false`, `#| output: false`, `#| include: false`, `#| output: asis`, callouts, math, and links to
other notebooks. Anything else Quarto-only (panel-tabsets, `{{< >}}` shortcodes, `@fig-` cross-references, other
fenced divs, unknown cell options) raises `TranslationError`, naming the notebook and the cell, so the build fails
loudly instead of publishing raw syntax.

Standard library and PyYAML only, so `tools/readme.py --check` stays fast.
"""
from __future__ import annotations

import ast
import copy
import html
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

__all__ = ['TranslationError', 'is_test_cell', 'TEST_FNS', 'page_name', 'pandoc_slug', 'cell_options', 'front_matter', 'cell_where', 'Page',
           'translate_nb', 'to_myst_nb', 'to_gfm', 'CALLOUTS']


class TranslationError(Exception):
    "A notebook uses syntax that the docs site or the README cannot render."
    def __init__(self, where:str, msg:str):
        super().__init__(f"{where}: {msg}")
        self.where, self.msg = where, msg


def page_name(nb_path) -> str:
    "The page a notebook is published as, without `.html`: nbdev's rule, `00_data.ipynb` -> `data`."
    # Same rule as `nbdev.doclinks._nbpath2html` (tests/test_translate.py checks they agree).
    return re.sub(r'^\d+[a-zA-Z0-9]*_', '', Path(nb_path).name.lower()).rsplit('.', 1)[0]


def pandoc_slug(title:str) -> str:
    "The id Pandoc (so Quarto, so nbdev's doc links) gives a heading: `MnistSample.foo` -> `mnistsample.foo`."
    s = re.sub(r'[^\w\s.-]', '', title.strip(), flags=re.UNICODE)
    s = re.sub(r'\s+', '-', s).lower()
    s = re.sub(r'^[^a-z]+', '', s)
    return s or 'section'


# ---------------------------------------------------------------------------------------------------------------
# Cell options

_re_opt = re.compile(r'^\s*#\s*\|(.*)$')
# Options we act on, and options that only matter to nbdev's export/test tools (shown cells just lose the line).
_OPTS_USED = {'hide', 'include', 'echo', 'output', 'export', 'exporti', 'exports', 'default_exp', 'eval', 'error',
              'code-fold', 'code-summary', 'exec_doc', 'filter_stream'}
_OPTS_IGNORED = {'notest', 'slow', 'skip_showdoc', 'skip_exec'}


def _opt_value(v:str):
    v = v.strip()
    if v.lower() in ('true', 'yes'): return True
    if v.lower() in ('false', 'no'): return False
    return v.strip('"\'')


def cell_options(source:str) -> tuple[dict, str]:
    "Split the leading `#|` lines of a code cell into a dict of options, and the code that follows."
    lines = source.splitlines()
    opts, i = {}, 0
    while i < len(lines) and (_re_opt.match(lines[i]) or (opts and not lines[i].strip())):
        m = _re_opt.match(lines[i])
        i += 1
        if not m: continue
        body = m.group(1).strip()
        if not body: continue
        if ':' in body.split()[0] or re.match(r'^[\w-]+\s*:', body):   # Quarto style: `#| echo: false`
            k, v = body.split(':', 1)
            opts[k.strip()] = _opt_value(v) if v.strip() else True
        else:                                                          # nbdev style: `#| export`, `#| default_exp x`
            k, *args = body.split()
            opts[k] = ' '.join(args) if args else True
    return opts, '\n'.join(lines[i:]).strip('\n')


def _check_options(opts:dict, where:str, flags=()):
    bad = [k for k in opts if k not in _OPTS_USED | _OPTS_IGNORED | set(flags)]
    if bad:
        raise TranslationError(where, f"unsupported cell option {', '.join('`#| '+k+'`' for k in bad)}: the docs site "
            "only understands `#| hide`, `#| echo: false`, `#| output: false`, `#| output: asis` and "
            "`#| include: false` (plus nbdev's export and test flags)")
    for k, ok in (('echo', (True, False)), ('include', (True, False)), ('output', (True, False, 'asis'))):
        if k in opts and opts[k] not in ok:
            raise TranslationError(where, f"`#| {k}: {opts[k]}` is not supported; use one of "
                                   + ', '.join(str(o).lower() for o in ok))


# ---------------------------------------------------------------------------------------------------------------
# Front matter

_re_fm = re.compile(r'^\s*---\s*\n(.*?\n)---\s*$', re.DOTALL)


def front_matter(cell:dict) -> dict|None:
    "The YAML front matter in a markdown or raw `cell`, or nbdev's `# Title` + `> description` form; else None."
    if cell.get('cell_type') not in ('markdown', 'raw'): return None
    src = _src(cell)
    m = _re_fm.match(src)
    if m:
        d = yaml.safe_load(m.group(1))
        return d if isinstance(d, dict) else None
    if cell['cell_type'] == 'markdown':   # nbdev's markdown form: a lone H1, then an optional `> description`
        lines = [l for l in src.strip().splitlines() if l.strip()]
        if lines and re.match(r'^#\s+\S', lines[0]) and all(l.startswith('>') for l in lines[1:]):
            d = {'title': lines[0][1:].strip()}
            if len(lines) > 1: d['description'] = ' '.join(l.lstrip('>').strip() for l in lines[1:])
            return d
    return None


# ---------------------------------------------------------------------------------------------------------------
# Pages

@dataclass
class Block:
    kind: str                    # 'md' or 'code'
    text: str                    # markdown, or the code (kept when the input is hidden: see show_input)
    where: str                   # 'nbs/03_x.ipynb, cell 12': for error messages
    outputs: list = field(default_factory=list)
    show_input: bool = True
    fold: bool = False           # collapse the code (Quarto's `#| code-fold: true`)
    tests: bool = False          # only fastcore test calls: collapsed behind a "Tests" toggle on the site
    alt: str = ''                # alt text for the cell's figures


@dataclass
class Page:
    src: str                     # the notebook, as shown in messages ('nbs/00_data.ipynb')
    name: str                    # the page: 'data' for data.html
    title: str
    description: str
    blocks: list
    meta: dict = field(default_factory=dict)

    @property
    def anchors(self) -> set:
        "Every heading id on the page, as Pandoc makes them (we make Sphinx use the same ids)."
        res = set()
        for b in self.blocks:
            if b.kind != 'md': continue
            masked, saved = _mask_code(b.text)   # (a `#` line inside a code block is not a heading)
            for h in re.findall(r'^#{1,6}\s+(.+?)\s*#*\s*$', masked, flags=re.MULTILINE):
                res.add(pandoc_slug(_plain(_unmask(h, saved))))
        return res


def _src(cell) -> str:
    s = cell.get('source', '')
    return ''.join(s) if isinstance(s, list) else s


def _text(x) -> str: return ''.join(x) if isinstance(x, list) else x


_WIDGET = 'application/vnd.jupyter.widget-view+json'
_AUTOGEN = '<!-- WARNING: THIS FILE WAS AUTOGENERATED! DO NOT EDIT! -->'
_HIDDEN_BY_NBDEV = ('hide', 'export', 'exporti', 'default_exp')


def _clean_outputs(outputs:list, where:str, allow_errors:bool) -> list:
    res = []
    for o in outputs:
        o = copy.deepcopy(o)
        kind = o.get('output_type')
        if kind == 'error' and not allow_errors:
            raise TranslationError(where, f"the saved output is an error ({o.get('ename')}: {o.get('evalue')}); "
                                   "fix the cell and re-run the notebook (show expected errors with `test_fail`)")
        if kind == 'stream' and o.get('name') == 'stderr':
            raise TranslationError(where, "the saved output writes to stderr (a warning?): warnings in outputs are "
                                   f"defects. Fix the cause and re-run the notebook. Output: {_text(o.get('text'))[:200]!r}")
        if kind in ('display_data', 'execute_result'):
            data = o.get('data', {})
            if _is_progress_style(data): continue
            if (bar := _progress_bar(data)) is not None:
                o['data'] = bar
                res.append(o)
                continue
            if _WIDGET in data:   # a live widget can't work on a static site: keep only a picture, if it left one
                data = {k: v for k, v in data.items() if k.startswith('image/')}
                if not data: continue
                o['data'] = data
        res.append(o)
    return res


_re_progress = re.compile(r'^\s*<div>\s*<progress\s+([^>]*)>\s*</progress>\s*(.*?)\s*</div>\s*$', re.DOTALL)


def _is_progress_style(data:dict) -> bool:
    "Is this output only fastprogress's `<style>` for its bars? (The site styles `<progress>` itself.)"
    h = _text(data.get('text/html', ''))
    return 'progress' in h and h.lstrip().startswith('<style>') and not re.sub(r'<style>.*?</style>', '', h,
                                                                               flags=re.DOTALL).strip()


def _progress_bar(data:dict) -> dict|None:
    """fastprogress's saved bar (`<div><progress max="200" value="200"></progress> 100.00% [200/200 00:00<00:00...
    loss 3.2]</div>`) as one clean line: the bar, then `100.00% [200/200 00:00] loss 3.2`, without the time-left
    estimate and its `...`. None if the output isn't a progress bar."""
    m = _re_progress.match(_text(data.get('text/html', '')))
    if not m: return None
    attrs = dict(re.findall(r'(\w+)="([^"]*)"', m.group(1)))
    mx, val, text = attrs.get('max', '1'), attrs.get('value', attrs.get('max', '1')), html.unescape(m.group(2))
    t = re.match(r'^([\d.]+%)\s*\[(\d+/\d+)\s+([\d:]+)(?:<[\d:]*)?(?:\.\.\.|\u2026)?\s*(.*?)\]?$', text.strip(), re.DOTALL)
    plain = (f"{t.group(1)} [{t.group(2)} {t.group(3)}]" + (f" {t.group(4).strip()}" if t.group(4).strip() else '')
             if t else re.sub(r'(\.\.\.|\u2026)', '', text).strip())
    if mx != val: plain += ' (interrupted)'
    return {'text/html': f'<div class="progress-done"><progress max="{html.escape(mx)}" value="{html.escape(val)}">'
                         f'</progress> <span>{html.escape(plain)}</span></div>',
            'text/plain': plain}


def _asis(outputs:list, where:str) -> str:
    "The markdown an `#| output: asis` cell produced (show_doc's output, for one)."
    parts = []
    for o in outputs:
        if o.get('output_type') == 'stream': parts.append(_text(o.get('text', '')))
        elif 'text/markdown' in o.get('data', {}): parts.append(_text(o['data']['text/markdown']))
        else:
            raise TranslationError(where, "`#| output: asis` needs markdown output (like show_doc's), "
                                   f"but the cell produced {sorted(o.get('data', {})) or o.get('output_type')}")
    md = '\n\n'.join(p.strip('\n') for p in parts)
    # show_doc starts with a rule; Sphinx can't start a section with one, and the heading marks the start anyway
    return re.sub(r'^\s*---\s*\n', '', md)


# Tests: cells of nothing but fastcore test calls are collapsed on the site (still in the page, still searchable)
TEST_FNS = {'test_eq', 'test_ne', 'test_close', 'test_fail', 'test_is', 'test_eq_type', 'test_fig_exists',
            'test_stdout', 'test_warns', 'test_shuffled', 'test_sig'}


def _test_call(node) -> bool:
    "Is `node` an expression statement calling a fastcore test function (`test_eq(...)`, `fc.test_eq(...)`)?"
    if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)): return False
    f = node.value.func
    return (f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None) in TEST_FNS


def is_test_cell(code:str) -> bool:
    """Is `code` only fastcore test calls and comments (a `for` loop over test calls counts too)? A cell that assigns
    a name is teaching code, whatever the tests do with it: later cells may use the name, so it stays visible."""
    try: tree = ast.parse(code)
    except SyntaxError: return False
    def ok(stmts) -> bool:
        return all(_test_call(n) or (isinstance(n, ast.For) and not n.orelse and ok(n.body)) for n in stmts)
    return bool(tree.body) and ok(tree.body)


# Figures: alt text from the title the cell's code gives the figure, else from where the figure is on the page
_re_title = re.compile(r"""(?:\btitle\s*=\s*|\.(?:set_title|suptitle|title)\(\s*)(['"])([^'"{}\n]+?)\1""")


def _figure_alts(blocks:list, page_title:str):
    "Give each code block with images an alt text (deterministic: only the page's own text goes into it)."
    n, heading = 0, ''
    for b in blocks:
        if b.kind == 'md':
            masked, saved = _mask_code(b.text)
            hs = re.findall(r'^#{1,6}\s+(.+?)\s*#*\s*$', masked, flags=re.MULTILINE)
            if hs: heading = _plain(_unmask(hs[-1], saved)).strip()
            continue
        k = sum(1 for o in b.outputs if any(m.startswith('image/') for m in o.get('data', {})))
        if not k: continue
        first, n = n + 1, n + k
        what = f"Figure {first}" if k == 1 else f"Figures {first} to {n}"
        t = _re_title.search(b.text)
        b.alt = (f"{what} from {page_title}: {t.group(2).strip()}" if t else
                 f"{what} from {page_title}: output of the cell after '{heading or page_title}'")


def cell_where(src:str, n, cell:dict) -> str:
    "Where a cell is, for messages: `nbs/03_x.ipynb, cell 12 (`first line`)`; `n` counts from 1."
    first = next((l.strip() for l in _src(cell).splitlines() if l.strip() and not _re_opt.match(l)), '')
    return f"{src}, cell {n}" + (f" (`{first[:50]}`)" if first else '')


def translate_nb(nb:dict, src:str, *, flags=(), numbers:dict|None=None) -> Page:
    """Turn notebook `nb` (a dict, as saved or after nbdev's processors) into a `Page` of blocks.
    `numbers` maps cell ids to their number in the saved notebook, for messages about processed notebooks."""
    num = lambda i, c: (numbers or {}).get(c.get('id'), '?') if numbers is not None else i + 1
    cells = [c for c in nb['cells'] if _src(c).strip() != _AUTOGEN]
    fm, first = None, 0
    for i, c in enumerate(cells[:2]):   # nbdev's processors may put a raw front matter cell first
        fm = front_matter(c)
        if fm is not None: first = i + 1; break
    if not fm or not fm.get('title'):
        raise TranslationError(f"{src}, cell 1", "the first cell must be front matter with a title: "
                               "a markdown cell `---\\ntitle: ...\\ndescription: ...\\n---`")
    blocks = []
    for i, c in enumerate(cells[first:], start=first):
        where = cell_where(src, num(i, c), c)
        kind, text = c.get('cell_type'), _src(c)
        if kind == 'raw':
            if front_matter(c) is None and text.strip():
                raise TranslationError(where, "raw cells are not rendered; use a markdown cell")
            continue
        if kind == 'markdown':
            if text.strip(): blocks.append(Block('md', text.strip('\n'), where))
            continue
        opts, code = cell_options(text)
        _check_options(opts, where, flags)
        if opts.get('include') is False or any(opts.get(k) for k in _HIDDEN_BY_NBDEV) or not (code or c.get('outputs')):
            continue
        code = '\n'.join(l for l in code.splitlines() if not re.search(r'#\|\s*hide_line\s*$', l))
        outputs = [] if opts.get('output') is False else _clean_outputs(c.get('outputs', []), where, opts.get('error') is True)
        show = opts.get('echo', True) is not False
        fold = opts.get('code-fold') is True   # (`show`, as nbdev sets for `#| exports`, means shown)
        if opts.get('output') == 'asis':
            if show and code: blocks.append(Block('code', code, where, fold=fold))
            md = _asis(outputs, where)
            if md.strip(): blocks.append(Block('md', md, where))
            continue
        if not show and not outputs: continue
        # prose that ends with a colon introduces this cell: it is the demonstration, so never fold it away
        introduced = bool(blocks) and blocks[-1].kind == 'md' and blocks[-1].text.rstrip().endswith(':')
        blocks.append(Block('code', code, where, outputs, show, fold,   # (myst-nb drops cells with no source)
                            tests=show and not fold and not introduced and is_test_cell(code)))
    _figure_alts(blocks, str(fm['title']))
    meta = {k: v for k, v in fm.items() if k not in ('title', 'description')}
    return Page(src, page_name(src), str(fm['title']), str(fm.get('description') or ''), blocks, meta)


# ---------------------------------------------------------------------------------------------------------------
# Markdown: code masking, loud failures, callouts, links

_re_fence = re.compile(r'^( {0,3})(`{3,}|~{3,})[^\n]*\n.*?(?:^\1?\2[`~]*[ \t]*$|\Z)', re.DOTALL | re.MULTILINE)
_re_icode = re.compile(r'(`+)(?!`).+?(?<!`)\1(?!`)', re.DOTALL)
_re_mathblock = re.compile(r'\$\$.+?\$\$', re.DOTALL)
_MASK = '\x00{}\x00'


def _mask_code(md:str) -> tuple[str, list]:
    "Replace code fences, inline code and display math with placeholders, so rewrites and checks skip them."
    saved = []
    def keep(m):
        saved.append(m.group(0))
        return _MASK.format(len(saved)-1)
    md = _re_fence.sub(keep, md)
    md = _re_mathblock.sub(keep, md)
    return _re_icode.sub(keep, md), saved


def _unmask(md:str, saved:list) -> str:
    for _ in range(3):   # placeholders can nest (inline code inside a masked block is masked with it)
        if '\x00' not in md: break
        md = re.sub('\x00(\\d+)\x00', lambda m: saved[int(m.group(1))], md)
    return md


def _plain(md:str) -> str:
    "Heading text as a reader sees it: no links, backticks or `*` emphasis."
    return re.sub(r'[`*]', '', re.sub(r'!?\[([^\]]*)\]\([^)]*\)', r'\1', md))


_UNSUPPORTED = [
    (re.compile(r'\{\{<'), "`{{< >}}` shortcodes are Quarto-only"),
    (re.compile(r'^\s*:{3,}\s*\{?\s*\.?panel-tabset', re.MULTILINE), "panel-tabsets are Quarto-only"),
    (re.compile(r'(?<![\w@])@(fig|tbl|sec|eq|lst|thm|lem|cor|prp|cnj|def|exm|exr)-[\w-]+'),
     "Quarto cross-references (`@fig-...`) are not supported; refer to the figure in words"),
]

CALLOUTS = {'note': 'NOTE', 'tip': 'TIP', 'warning': 'WARNING', 'important': 'IMPORTANT', 'caution': 'CAUTION'}
_re_div_open = re.compile(r'^\s*(:{3,})\s*(\{[^}]*\}|[\w.-]+)\s*$')
_re_div_close = re.compile(r'^\s*(:{3,})\s*$')


def _check_unsupported(masked:str, where:str):
    for rx, why in _UNSUPPORTED:
        m = rx.search(masked)
        if m:
            line = masked[:m.start()].count('\n') + 1
            raise TranslationError(where, f"{why} (line {line}: {masked.splitlines()[line-1].strip()[:80]!r})")


def _parse_div(spec:str, where:str) -> tuple[str, str]:
    "The callout kind and title in a fenced div's `{.callout-note title=\"...\"}`; anything else is an error."
    inner = spec.strip('{} ')
    if not spec.startswith('{'): inner = '.' + inner.lstrip('.')   # Pandoc: `::: callout-note` is a class too
    m = re.match(r'^\.callout-(\w+)((?:\s+[\w-]+=(?:"[^"]*"|\'[^\']*\'|\S+))*)$', inner)
    if not m or m.group(1) not in CALLOUTS:
        raise TranslationError(where, f"fenced div `::: {spec}` is not supported: the docs site renders only the callouts "
                               + ', '.join(f'`::: {{.callout-{k}}}`' for k in CALLOUTS))
    attrs = dict((k, v.strip('"\'')) for k, v in re.findall(r'([\w-]+)=("[^"]*"|\'[^\']*\'|\S+)', m.group(2)))
    bad = set(attrs) - {'title'}
    if bad: raise TranslationError(where, f"callout attribute {', '.join(sorted(bad))} is not supported (only `title`)")
    return m.group(1), attrs.get('title', '')


def _callouts(lines:list, where:str, render) -> list:
    "Replace each `::: {.callout-x}` ... `:::` block in `lines` (masked) with `render(kind, title, body_lines)`."
    out, i = [], 0
    while i < len(lines):
        m = _re_div_open.match(lines[i])
        if not m:
            if _re_div_close.match(lines[i]):
                raise TranslationError(where, f"a `{lines[i].strip()}` closes a fenced div that was never opened")
            out.append(lines[i]); i += 1; continue
        kind, title = _parse_div(m.group(2), where)
        depth, j = 1, i + 1
        while j < len(lines) and depth:
            if _re_div_open.match(lines[j]): depth += 1
            elif _re_div_close.match(lines[j]): depth -= 1
            j += 1
        if depth: raise TranslationError(where, f"the callout `{lines[i].strip()}` is never closed with `:::`")
        body = lines[i+1:j-1]
        while body and not body[0].strip(): body = body[1:]
        h = re.match(r'^#{1,6}\s+(.*?)\s*$', body[0]) if body else None
        if h and not title: title, body = h.group(1), body[1:]   # Quarto: a leading heading is the title
        out.extend(render(kind, title, _callouts(body, where, render)))
        i = j
    return out


_re_link = re.compile(r'(\]\(\s*<?)([^)\s>]+)(>?(?:\s+"[^"]*")?\s*\))')
_re_refdef = re.compile(r'^(\s{0,3}\[[^\]]+\]:\s*<?)(\S+?)(>?(?:\s+.*)?)$', re.MULTILINE)
_re_nblink = re.compile(r'^(?:\./)?(?:nbs/)?([\w.-]+\.ipynb)(#[^\s]*)?$')


def _rewrite_links(masked:str, fix) -> str:
    "Apply `fix(target) -> target` to every inline link and reference definition."
    masked = _re_link.sub(lambda m: m.group(1) + fix(m.group(2)) + m.group(3), masked)
    return _re_refdef.sub(lambda m: m.group(1) + fix(m.group(2)) + m.group(3), masked)


class _Links:
    "Resolves links to notebooks (`03_x.ipynb#a`) and absolute links into our own site, for one target."
    def __init__(self, pages:dict, where:str, site_url:str, fmt:str):
        self.pages, self.where, self.site_url, self.fmt = pages, where, site_url.rstrip('/'), fmt

    def page_link(self, name:str, anchor:str, original:str, strict:bool) -> str:
        if name not in self.pages:
            if not strict: return original
            raise TranslationError(self.where, f"link to {original!r}, but no notebook in nbs/ publishes {name}.html "
                                   f"(the pages are {', '.join(sorted(self.pages))})")
        anchors = self.pages[name]
        if anchor and anchors is not None and anchor.lstrip('#') not in anchors:
            if not strict: return None   # an nbdev auto-link to something without its own section: drop the link
            raise TranslationError(self.where, f"link to {original!r}, but {name} has no heading with id "
                                   f"{anchor.lstrip('#')!r}")
        if self.fmt == 'myst': return f"{name}.ipynb{anchor}"
        return f"{self.site_url}/{name}.html{anchor}"

    def __call__(self, target:str):
        m = _re_nblink.match(target)
        if m: return self.page_link(page_name(m.group(1)), m.group(2) or '', target, strict=True)
        if self.site_url and target.startswith(self.site_url + '/'):
            m = re.match(r'^([\w.-]+)\.html(#.*)?$', target[len(self.site_url)+1:])
            if m: return self.page_link(m.group(1), m.group(2) or '', target, strict=False)
        return target


def _convert_md(md:str, where:str, fmt:str, links:_Links) -> str:
    masked, saved = _mask_code(md)
    # nbdev's doc links also land inside code blocks (show_doc's signature comments), where they show as raw markdown
    saved = [re.sub(r'\[(`[^`\n]+`)\]\(https?://[^)\s]+\)', r'\1', s) if s.startswith(('`' * 3, '~~~')) else s
             for s in saved]
    _check_unsupported(masked, where)
    # links first, so a dropped nbdev auto-link `[`x`](url)` goes back to plain `x`
    def fix(t):
        r = links(t)
        return '\x01DROP\x01' if r is None else r
    masked = _rewrite_links(masked, fix)
    masked = re.sub(r'\[([^\]]*)\]\(\s*<?\x01DROP\x01>?\s*\)', r'\1', masked)
    if fmt == 'myst':
        # show_doc's source link carries Pandoc attributes; MyST's attrs_inline takes a class instead
        masked = re.sub(r'(\]\([^)]*\))\{[^}]*float:\s*right[^}]*\}', r'\1{.doc-source}', masked)
    else:
        masked = re.sub(r'(\]\([^)]*\))\{[^}]*\}', r'\1', masked)
    if fmt == 'myst':   # a link inside a heading disappears from Sphinx's table of contents: keep its text
        masked = re.sub(r'^(#{1,6}\s.*)$', lambda m: re.sub(r'(?<!!)\[([^\]]*)\]\([^)]*\)', r'\1', m.group(1)),
                        masked, flags=re.MULTILINE)
    lines = _callouts(masked.split('\n'), where, _render_callout_myst if fmt == 'myst' else _render_callout_gfm)
    return _unmask('\n'.join(lines), saved)


def _render_callout_myst(kind:str, title:str, body:list) -> list:
    inner = max([len(m.group(1)) for l in body if (m := re.match(r'^\s*(:{3,})', l))], default=2)
    fence = ':' * max(3, inner + 1)
    head = f"{fence}{{admonition}} {title}\n:class: {kind}" if title else f"{fence}{{{kind}}}"
    return [head, *body, fence]


def _render_callout_gfm(kind:str, title:str, body:list) -> list:
    head = [f"> [!{CALLOUTS[kind]}]"] + ([f"> **{title}**", ">"] if title else [])
    return head + [('> ' + l).rstrip() for l in body]


# ---------------------------------------------------------------------------------------------------------------
# Targets

def _anchor_map(pages) -> dict:
    return {p.name: p.anchors for p in pages}


def to_myst_nb(page:Page, pages:list, *, site_url:str='', toctree:list|None=None) -> dict:
    "A MyST notebook (nbformat 4 dict) for myst-nb: markdown translated, hidden parts gone, outputs kept."
    amap = _anchor_map(pages)
    cells = [_md_cell(f"# {page.title}")]
    if page.description: cells.append(_md_cell(f"{{.lead}}\n{page.description}"))
    for b in page.blocks:
        links = _Links(amap, b.where, site_url, 'myst')
        if b.kind == 'md':
            # unmask before fixing up `$` so the markdown the reader wrote reaches MyST as is
            cells.append(_md_cell(_convert_md(b.text, b.where, 'myst', links)))
        else:
            folded = (b.fold or b.tests) and b.show_input
            meta, mystnb = ({'tags': ([] if b.show_input else ['remove-input']) + (['hide-input'] if folded else [])}), {}
            if not meta['tags']: del meta['tags']
            if b.tests and folded: mystnb.update(code_prompt_show='Tests', code_prompt_hide='Hide tests')
            if b.alt: mystnb['image'] = {'alt': b.alt}
            if mystnb: meta['mystnb'] = mystnb
            cells.append({'cell_type': 'code', 'execution_count': None, 'id': f'c{len(cells)}',
                          'metadata': meta, 'outputs': _myst_outputs(b.outputs), 'source': b.text})
    if toctree:
        cells.append(_md_cell("```{toctree}\n:hidden:\n:maxdepth: 1\n\n" + '\n'.join(toctree) + "\n```"))
    for i, c in enumerate(cells): c['id'] = f'c{i}'
    # where each cell came from, so the build can point Sphinx's warnings at the notebook and cell
    meta_where = [f"{page.src} (front matter)"] * (2 if page.description else 1) + [b.where for b in page.blocks]
    meta_where += [f"{page.src} (the site's table of contents)"] * (len(cells) - len(meta_where))
    meta = {'kernelspec': {'name': 'python3', 'display_name': 'Python 3', 'language': 'python'},
            'language_info': {'name': 'python', 'pygments_lexer': 'ipython3'}}
    if page.description: meta['myst'] = {'html_meta': {'description': page.description}}
    meta['nbmd_where'] = meta_where
    return {'cells': cells, 'metadata': meta, 'nbformat': 4, 'nbformat_minor': 5}


def _md_cell(text:str) -> dict: return {'cell_type': 'markdown', 'id': '', 'metadata': {}, 'source': text}


def _myst_outputs(outputs:list) -> list:
    res = []
    for o in outputs:
        o = copy.deepcopy(o)
        if o.get('output_type') == 'execute_result': o['execution_count'] = None
        res.append(o)
    return res


def to_gfm(page:Page, pages:list, *, site_url:str, check_anchors:bool=True) -> str:
    "GitHub-flavoured markdown: `# Title`, the description as a blockquote, markdown as is, code and text outputs."
    amap = _anchor_map(pages) if check_anchors else {p.name: None for p in pages}
    out = [f"# {page.title}"]
    if page.description: out.append(f"> {page.description}")
    for b in page.blocks:
        links = _Links(amap, b.where, site_url, 'gfm')
        if b.kind == 'md':
            out.append(_convert_md(b.text, b.where, 'gfm', links))
            continue
        if b.show_input and b.text: out.append(f"```python\n{b.text}\n```")
        for o in b.outputs:
            text = _text(o.get('text', '')) if o.get('output_type') == 'stream' else None
            data = o.get('data', {})
            if text is None and 'text/markdown' in data: out.append(_text(data['text/markdown']).strip('\n')); continue
            if text is None and 'text/plain' in data: text = _text(data['text/plain'])
            if text is None: continue   # images and HTML need the docs site; the README keeps to text
            out.append(f"```\n{text.rstrip()}\n```")
    return '\n\n'.join(s.strip('\n') for s in out if s.strip()) + '\n'
