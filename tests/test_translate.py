"Unit tests for docs/build.py's translation (what nbdev's processors leave to Quarto) and tools/readme.py. No Sphinx."
import json, sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT/'docs'), str(ROOT/'tools')]
import build  # noqa: E402

SITE = 'https://mnist37.github.io/mnist37'


def md(s): return {'cell_type': 'markdown', 'metadata': {}, 'source': s}
def code(s, *outputs): return {'cell_type': 'code', 'metadata': {}, 'source': s, 'outputs': list(outputs),
                               'execution_count': 1}
def png(w=None): return {'output_type': 'display_data', 'data': {'image/png': 'iVBOR', 'text/plain': '<Figure>'},
                         'metadata': {'image/png': {'width': w, 'height': 100}} if w else {}}


@pytest.fixture
def page(tmp_path, monkeypatch):
    "Translate a notebook of `cells` (after `# Broadcasting` and `#| default_exp data`) through nbdev's processors."
    monkeypatch.chdir(ROOT)   # nbdev reads settings.ini from the working directory
    def run(*cells, fmt='myst', name='03_broadcasting.ipynb'):
        path = tmp_path/name
        nb = [md('# Broadcasting\n\n> Many at once.'), code('#| default_exp data'), *cells]
        path.write_text(json.dumps({'cells': nb, 'metadata': {}, 'nbformat': 4, 'nbformat_minor': 5}))
        return build.page(path, fmt, {'image_files': 'data', 'mnist_distance': 'broadcasting'})['cells']
    return run


def codes(cells): return [c for c in cells if c['cell_type'] == 'code']


# --- names, order, loud failures ----------------------------------------------------------------------------------

def test_page_names_and_order(tmp_path, monkeypatch):
    assert [build.page_name(n) for n in ('90_data.ipynb', '03_broadcasting.ipynb', 'index.ipynb', '10a_x.ipynb')] == \
        ['data', 'broadcasting', 'index', 'x']
    for n in ('90_data', '02_b_exercises', 'index', '07_more', '02_b', '01_a'): (tmp_path/f'{n}.ipynb').touch()
    monkeypatch.setattr(build, 'NBS', tmp_path)
    assert [p.stem for p in build.notebooks()] == ['index', '01_a', '02_b', '02_b_exercises', '07_more', '90_data']
    assert [build.is_appendix(p) for p in build.notebooks()] == [False] * 5 + [True]
    assert build.slug('Finding the data: `get_mnist_sample`!') == 'finding-the-data-get_mnist_sample'


@pytest.mark.parametrize('cell,msg', [
    (code('#| fig-cap: "Digits"\nshow()'), 'unknown cell option fig-cap:'),
    (code('#| label: fig-digits\nshow()'), 'unknown cell option label:'),
    (md('::: {.panel-tabset}\n## A\n:::'), 'a fenced div other than a callout'),
    (md('::: {.column-margin}\nside\n:::'), 'a fenced div other than a callout'),
    (md('See {{< video https://x.y >}}.'), 'shortcode'),
    (md('As @fig-digits shows.'), 'cross-reference'),
])
def test_quarto_syntax_nobody_renders_fails_naming_notebook_and_cell(page, cell, msg):
    with pytest.raises(build.BuildError, match=msg) as e: page(md('fine'), cell)
    assert '03_broadcasting.ipynb, cell 4: ' in str(e.value)


def test_quarto_syntax_in_code_and_known_options_pass(page):
    page(md('Write `{{< x >}}` or `@fig-a`:\n\n```\n::: {.panel-tabset}\n```\nMail me@fig-tree.org'),
         code('#| notest\n#| echo: false\nx'), md('::: {.callout-tip}\nok\n:::'))


# --- cells: nbdev's processors, then options to myst-nb tags ---------------------------------------------------------

def test_exports_show_source_and_no_show_doc_export_shows_only_show_doc(page):
    cells = page(code('#| exports\ndef mnist_distance(a, b):\n    "Doc."\n    return a'),
                 code('#| export\ndef image_files(path, # where\n                split:str="train"): "Doc."'),
                 code('#| hide\nsecret = 1'), code('#| exporti\ndef _p(): pass'))
    assert [c['source'] for c in codes(cells)] == ['def mnist_distance(a, b):\n    "Doc."\n    return a']
    text = '\n'.join(c['source'] for c in cells if c['cell_type'] == 'markdown')
    assert '### mnist_distance' not in text and '(api-mnist_distance)=' in text
    assert '(api-image_files)=\n```{index} single: image_files' in text
    doc = text.split('### image_files', 1)[1]
    assert '\n\n```python\nimage_files(path: Path, split: str' in doc   # the real one, from mnist37.data
    assert '|  | Type | Default | Details |' in doc and '| `split` | str |  | ' in doc and '{target' not in text


def test_options_become_myst_nb_tags(page):
    c = codes(page(code('#| echo: false\nprint(42)', {'output_type': 'stream', 'name': 'stdout', 'text': '42\n'}),
                   code('#| output: false\nx', {'output_type': 'stream', 'name': 'stdout', 'text': '1\n'}),
                   code('#| include: false\ny'), code('z = 1 #| hide_line\nw = 2')))
    assert c[0]['metadata'] == {'tags': ['remove-input']} and ''.join(c[0]['outputs'][0]['text']) == '42\n'
    assert c[1]['outputs'] == [] and [x['source'] for x in c[2:]] == ['w = 2']


def test_output_asis_is_markdown(page):
    out = {'output_type': 'display_data', 'metadata': {}, 'data': {'text/markdown': '**bold**', 'text/plain': 'x'}}
    cells = page(code('#| output: asis\n#| echo: false\nshow()', out))
    assert not codes(cells) and cells[-1]['source'] == '**bold**'


@pytest.mark.parametrize('src,folded', [
    ('test_eq(f(2), 4)', True), ('assert f(2) == 4, "why"\ntest_close(a, b)', True),
    ('for n in (1, 2): test_eq(f(n), 2*n)', True), ('fc.test_ne(a, b)', True),
    ('x = f(2)\ntest_eq(x, 4)', False), ('print(f(2))', False), ('test_eq(', False), ('', False)])
def test_cells_that_only_test_fold_behind_tests(page, src, folded):
    assert build.is_test(src) is folded
    if not src: return
    c = codes(page(md('Some prose.'), code(src)))[0]
    assert ('hide-input' in c['metadata'].get('tags', [])) is folded
    if folded: assert c['metadata']['mystnb']['code_prompt_show'] == 'Tests'


def test_a_test_that_prose_introduces_stays_open(page):
    assert codes(page(md('PyTorch refuses:'), code('test_fail(lambda: f(-1))')))[0]['metadata'] == {}


def test_figures_alt_text_from_their_title_and_half_size(page):
    c = codes(page(code('plt.plot(x); plt.title("Loss against step")', png(300)), code('show(x)', png()),
                   md('## The `sgd` step\n\n::: {.callout-tip}\n## Aside\nx\n:::'),
                   code("for a in axs: a.set_title(f'{n}: {p:.2f}')\nfig.suptitle('Mistakes')", png()),
                   code("ax.set_title(f'{name}'); ax2.set(title='fast'); ax3.set_title('slow')", png()),
                   code("ax.set_title(F'{x}', title='{y}')", png())))
    alts = [x['metadata']['mystnb']['image']['alt'] for x in c]   # (myst-nb reads the width)
    assert alts == ['Loss against step', 'Figure on Broadcasting', 'Mistakes', 'fast; slow',
                    "Figure in 'The sgd step' on Broadcasting"]   # never an f-string; else section and page
    assert c[0]['outputs'][0]['metadata']['image/png']['width'] == 300


def test_show_doc_reads_signature_and_docments_from_the_source():
    src = '''# %% no docment
def descend(f=_parabola, # the function
  *a, lr:float=1e-1, **kw,
  ) -> float: # the end
  "Go downhill."
@dataclass
class Box:
  # how wide
  w: int = 1
  h: int|None = None'''
    doc = build.show_doc(src, 'descend', 'u')
    assert '[source](u#L2)' in doc and 'descend(f=_parabola, *a, lr: float = 0.1, **kw) -> float\n```\n\nGo' in doc
    assert '| `f` |  | _parabola | the function |' in doc and '| **Returns** | float |  | the end |' in doc
    doc = build.show_doc(src, 'Box', 'u')
    assert 'class Box(w: int = 1, h: int | None = None)' in doc and '| `h` | int \\| None | None |  |' in doc
    assert '| `w` | int | 1 | how wide |' in doc


def test_heatmap_text_contrasts_with_each_cell():
    css = '#T_a_row0_col0 {\n  background-color: #626262;\n  color: #f1f1f1;\n}\n#T_a_row0_col1 {\n  ' \
          'background-color: #bdbdbd;\n  color: #f1f1f1;\n}'
    assert build.contrast(css).count('color: #ffffff') == 1 and build.contrast(css).count('color: #000000') == 1


# --- markdown ---------------------------------------------------------------------------------------------------

def mk(s, fmt='myst'): return build.markdown(s, fmt, {'mnist_distance': 'broadcasting', 'sgd': 'sgd'}, SITE)


def test_callouts():
    assert mk('::: {.callout-note}\nRemember `x`.\n:::') == ':::{note}\nRemember `x`.\n:::'
    assert mk('::: {.callout-tip}\n## Why\nBecause.\n:::') == ':::{admonition} Why\n:class: tip\nBecause.\n:::'
    assert mk('::: {.callout-warning title="Hot"}\nx\n:::') == ':::{admonition} Hot\n:class: warning\nx\n:::'
    assert mk('::: {.callout-caution}\n## Mind\nOne.\n\nTwo.\n:::', 'gfm') == \
        '> [!CAUTION]\n> **Mind**\n>\n> One.\n> \n> Two.'


def test_answers_render_their_markdown():
    assert mk('1. Why?\n   <details><summary>Answer</summary>Because `x`.</details>') == \
        '1. Why?\n   <details class="answer"><summary>Answer</summary>\n\n   Because `x`.\n\n   </details>'


def test_links():
    assert mk('See [p](01_pixels.ipynb#pixel-values) and [d](90_data.ipynb).') == \
        'See [p](pixels.ipynb#pixel-values) and [d](data.ipynb).'
    assert mk('[p](01_pixels.ipynb#a)', 'gfm') == f'[p]({SITE}/pixels.html#a)'
    assert mk('`mnist_distance`, `sgd()`, `SGD`, `x = sgd`') == \
        '[`mnist_distance`](#api-mnist_distance), [`sgd()`](#api-sgd), `SGD`, `x = sgd`'   # where each is taught
    assert mk('Use `mnist_distance`.', 'gfm') == f'Use [`mnist_distance`]({SITE}/broadcasting.html#api-mnist-distance).'
    assert mk(s := '`[a](01_x.ipynb)`\n\n```\n[b](02_y.ipynb) `sgd`\n```') == s   # code is left alone


def test_math_passes_through():
    src = 'The mean $\\bar x = \\frac{1}{n}\\sum_i x_i$ and\n\n$$\nd = |a - b|\n$$'
    assert mk(src) == src and mk(src, 'gfm') == src


# --- README.md ------------------------------------------------------------------------------------------------------

def test_readme_is_current_and_check_detects_a_stale_one(tmp_path, monkeypatch, capsys):
    import readme
    assert readme.main(['--check']) == 0, "README.md is stale: run `python tools/readme.py`"
    text = (ROOT/'README.md').read_text()
    assert text.startswith(readme.HEADER + '\n\n# mnist37\n\n> ') and '```python\nfrom mnist37.all import *' in text
    monkeypatch.setattr(readme, 'ROOT', tmp_path)
    monkeypatch.setattr(readme, 'render', lambda: text)   # rendered above: only the comparison is left to test
    (tmp_path/'README.md').write_text(text + 'edited by hand\n')
    assert readme.main(['--check']) == 1 and 'stale' in capsys.readouterr().err
