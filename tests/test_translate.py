"Unit tests for docs/nbmd.py, the notebook translator shared by the docs build and tools/readme.py. Fast: no Sphinx."
import json, shutil, sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT/'docs'), str(ROOT/'tools')]
import nbmd  # noqa: E402
from nbmd import TranslationError  # noqa: E402

SITE = 'https://mnist37.github.io/mnist37'


def md(s): return {'cell_type': 'markdown', 'metadata': {}, 'source': s}
def code(s, *outputs, id=None):
    c = {'cell_type': 'code', 'metadata': {}, 'source': s, 'outputs': list(outputs), 'execution_count': 1}
    if id: c['id'] = id
    return c
def stream(text, name='stdout'): return {'output_type': 'stream', 'name': name, 'text': text}
def result(**data): return {'output_type': 'execute_result', 'execution_count': 1, 'metadata': {},
                            'data': {k.replace('_', '/', 1): v for k, v in data.items()}}
FM = md('---\ntitle: Broadcasting\ndescription: Many at once.\n---')


def nb(*cells, fm=FM): return {'cells': [fm, *cells] if fm else list(cells), 'metadata': {}, 'nbformat': 4, 'nbformat_minor': 5}
def page(*cells, src='nbs/03_broadcasting.ipynb', **kw): return nbmd.translate_nb(nb(*cells, **kw), src)
OTHER = nbmd.translate_nb(nb(md('## Pixel values\n\ntext'), fm=md('---\ntitle: Pixels\n---')), 'nbs/01_pixels.ipynb')


def myst(*cells, **kw):
    p = page(*cells, **kw)
    return nbmd.to_myst_nb(p, [p, OTHER], site_url=SITE)
def myst_md(*cells):
    "All the markdown of the translated page, after the title and lead."
    return '\n\n'.join(c['source'] for c in myst(*cells)['cells'][2:] if c['cell_type'] == 'markdown')
def gfm(*cells, **kw):
    p = page(*cells, **kw)
    return nbmd.to_gfm(p, [p, OTHER], site_url=SITE)


# --- names, ids, options ------------------------------------------------------------------------------------------

@pytest.mark.parametrize('name', ['00_data.ipynb', '03_broadcasting.ipynb', 'index.ipynb', '06_mnist_sgd.ipynb',
                                  '10a_extra_notes.ipynb', 'Mixed_Case.ipynb'])
def test_page_names_match_nbdev(name):
    from nbdev.doclinks import _nbpath2html
    assert nbmd.page_name(name) + '.html' == _nbpath2html(Path(name)).name


def test_pandoc_slug_matches_nbdev_anchors():
    assert nbmd.pandoc_slug('get_mnist_sample') == 'get_mnist_sample'
    assert nbmd.pandoc_slug('MnistSample') == 'mnistsample'
    assert nbmd.pandoc_slug('MnistSample.as_dict') == 'mnistsample.as_dict'
    assert nbmd.pandoc_slug('Finding the data: get_mnist_sample') == 'finding-the-data-get_mnist_sample'
    assert nbmd.pandoc_slug('2. Why?') == 'why'


@pytest.mark.parametrize('src,opts,body', [
    ('#| hide\nx = 1', {'hide': True}, 'x = 1'),
    ('#|hide\nx', {'hide': True}, 'x'),
    ('#| hide:\nx', {'hide': True}, 'x'),
    ('#| echo: false\n#| output: asis\nshow_doc(f)', {'echo': False, 'output': 'asis'}, 'show_doc(f)'),
    ('#| default_exp data', {'default_exp': 'data'}, ''),
    ('#| code-fold: show\n#| code-summary: "Exported source"\ndef f(): pass',
     {'code-fold': 'show', 'code-summary': 'Exported source'}, 'def f(): pass'),
    ('x = 1  #| not an option\n#| nor this', {}, 'x = 1  #| not an option\n#| nor this'),
])
def test_cell_options(src, opts, body):
    assert nbmd.cell_options(src) == (opts, body)


# --- front matter ---------------------------------------------------------------------------------------------------

def test_front_matter_becomes_title_and_lead():
    cells = myst(md('Hello'))['cells']
    assert cells[0]['source'] == '# Broadcasting'
    assert cells[1]['source'] == '{.lead}\nMany at once.'
    assert gfm(md('Hello')).startswith('# Broadcasting\n\n> Many at once.\n\nHello')


def test_front_matter_nbdev_markdown_form_and_raw_cell():
    p = page(md('Hi'), fm=md('# Pixels\n\n> Images are numbers.'))
    assert (p.title, p.description) == ('Pixels', 'Images are numbers.')
    p = page(md('Hi'), fm={'cell_type': 'raw', 'metadata': {}, 'source': '---\ntitle: Raw\n---'})
    assert p.title == 'Raw'


def test_no_front_matter_fails():
    with pytest.raises(TranslationError, match='first cell must be front matter'):
        page(md('# Just a heading\n\nand text'), fm=None)


# --- cell options ---------------------------------------------------------------------------------------------------

def test_hidden_cells_are_dropped():
    out = myst(code('#| hide\nsecret = 1', stream('s\n')), code('#| include: false\nalso = 2', stream('a\n')),
               code('#| export\ndef f(): pass'), code('#| exporti\ndef _g(): pass'), code('#| default_exp x'),
               code('shown = 3'))
    sources = [c['source'] for c in out['cells'] if c['cell_type'] == 'code']
    assert sources == ['shown = 3']


def test_echo_false_keeps_output_and_hides_input():
    c = [c for c in myst(code('#| echo: false\nprint(42)', stream('42\n')))['cells'] if c['cell_type'] == 'code'][0]
    assert c['metadata']['tags'] == ['remove-input']
    assert c['source'] == 'print(42)'        # kept: myst-nb drops cells with empty source, outputs and all
    assert c['outputs'][0]['text'] == '42\n'
    assert 'print(42)' not in gfm(code('#| echo: false\nprint(42)', stream('42\n')))


def test_output_false_drops_outputs():
    c = [c for c in myst(code('#| output: false\nx', result(text_plain='1')))['cells'] if c['cell_type'] == 'code'][0]
    assert c['outputs'] == [] and c['source'] == 'x'


def test_output_asis_renders_markdown_not_code():
    doc = ('---\n\n[source](https://github.com/mnist37/mnist37/blob/main/mnist37/data.py#L35)'
           '{target="_blank" style="float:right; font-size:smaller"}\n\n### fastai_data_path\n\n'
           '```python\ndef fastai_data_path()->Path:\n```\n\n*The folder.*')
    out = myst(code('#| echo: false\n#| output: asis\nshow_doc(fastai_data_path)',
                    result(text_markdown=doc, text_plain='def fastai_data_path()')))
    assert not [c for c in out['cells'] if c['cell_type'] == 'code']
    text = out['cells'][-1]['source']
    assert text.startswith('[source](https://github.com/mnist37/mnist37/blob/main/mnist37/data.py#L35){.doc-source}')
    assert '### fastai_data_path' in text and '---' not in text
    g = gfm(code('#| echo: false\n#| output: asis\nshow_doc(f)', result(text_markdown=doc)))
    assert '[source](https://github.com/mnist37/mnist37/blob/main/mnist37/data.py#L35)\n' in g and '{target' not in g


def test_output_asis_needs_markdown():
    with pytest.raises(TranslationError, match='asis'):
        page(code('#| output: asis\nx', result(image_png='iVBOR')))


def test_heading_anchors_are_pandoc_ids():
    p = page(md('## Finding the data: [`get_mnist_sample`](https://x.y/z)\n\n```\n# not a heading\n```'))
    assert p.anchors == {'finding-the-data-get_mnist_sample'}


def test_show_doc_headings_are_anchors():
    p = page(code('#| output: asis\n#| echo: false\nshow_doc(MnistSample.as_dict)',
                  result(text_markdown='---\n\n### MnistSample.as_dict\n\ndoc')))
    assert 'mnistsample.as_dict' in p.anchors


@pytest.mark.parametrize('src,msg', [
    ('#| fig-cap: "Digits"\nshow()', 'unsupported cell option `#| fig-cap`'),
    ('#| label: fig-digits\nshow()', 'unsupported cell option `#| label`'),
    ('#| echo: fenced\nx', '`#| echo: fenced` is not supported'),
    ('#| output: weird\nx', '`#| output: weird` is not supported'),
])
def test_unknown_cell_options_fail_loudly(src, msg):
    with pytest.raises(TranslationError, match=msg) as e:
        page(code(src))
    assert str(e.value).startswith('nbs/03_broadcasting.ipynb, cell 2 (`')   # names the notebook and the cell


def test_test_flags_are_allowed():
    assert page(code('#| notest\nx'), code('#| slow\ny')).blocks[1].text == 'y'


# --- outputs --------------------------------------------------------------------------------------------------------

def test_error_outputs_fail_unless_expected():
    err = {'output_type': 'error', 'ename': 'ValueError', 'evalue': 'bad', 'traceback': []}
    with pytest.raises(TranslationError, match='ValueError: bad'): page(code('f()', err))
    assert page(code('#| error: true\nf()', err)).blocks[0].outputs[0]['ename'] == 'ValueError'


def test_stderr_output_fails():
    with pytest.raises(TranslationError, match='stderr'):
        page(code('f()', stream('UserWarning: careful\n', name='stderr')))


def test_widgets_keep_only_a_picture():
    w = {'application/vnd.jupyter.widget-view+json': {'model_id': 'x'}, 'text/plain': 'interactive(...)'}
    assert page(code('slider()', {'output_type': 'display_data', 'metadata': {}, 'data': w})).blocks[0].outputs == []
    p = page(code('slider()', {'output_type': 'display_data', 'metadata': {}, 'data': {**w, 'image/png': 'iVBOR'}}))
    assert p.blocks[0].outputs[0]['data'] == {'image/png': 'iVBOR'}


def test_gfm_shows_code_and_text_outputs():
    g = gfm(code('1 + 1', result(text_plain='2')), code('print("hi")', stream('hi\n')))
    assert '```python\n1 + 1\n```\n\n```\n2\n```' in g and '```\nhi\n```' in g


# --- markdown: callouts ---------------------------------------------------------------------------------------------

def test_callouts_become_admonitions():
    assert myst_md(md('::: {.callout-note}\nRemember this.\n:::')) == ':::{note}\nRemember this.\n:::'
    assert myst_md(md('::: {.callout-tip}\n## Why\nBecause.\n:::')) == ':::{admonition} Why\n:class: tip\nBecause.\n:::'
    assert myst_md(md('::: {.callout-warning title="Careful"}\nHot.\n:::')) == \
        ':::{admonition} Careful\n:class: warning\nHot.\n:::'
    assert myst_md(md('::: callout-important\nx\n:::')) == ':::{important}\nx\n:::'


def test_callouts_in_gfm_are_github_alerts():
    assert gfm(md('::: {.callout-caution}\n## Mind\nLine one.\n\nLine two.\n:::')).endswith(
        '> [!CAUTION]\n> **Mind**\n>\n> Line one.\n>\n> Line two.\n')


def test_nested_callouts_and_code_inside():
    out = myst_md(md('::: {.callout-note}\nOuter\n\n::: {.callout-tip}\nInner\n:::\n\n```python\n:::\n```\n:::'))
    assert out == '::::{note}\nOuter\n\n:::{tip}\nInner\n:::\n\n```python\n:::\n```\n::::'


@pytest.mark.parametrize('src,msg', [
    ('::: {.callout-note}\nnever closed', 'never closed'),
    ('text\n:::', 'never opened'),
    ('::: {.column-margin}\nside\n:::', r'fenced div `::: \{.column-margin\}` is not supported'),
    ('::: {.callout-note collapse="true"}\nx\n:::', 'callout attribute collapse'),
    ('::: {.callout-danger}\nx\n:::', 'not supported'),
    ('::: {.panel-tabset}\n## A\n## B\n:::', 'panel-tabsets are Quarto-only'),
    ('See {{< video https://x.y >}}.', 'shortcodes are Quarto-only'),
    ('As @fig-digits shows.', 'cross-references'),
])
def test_unrenderable_markdown_fails_loudly(src, msg):
    with pytest.raises(TranslationError, match=msg) as e:
        myst(md('fine'), md(src))
    assert 'nbs/03_broadcasting.ipynb, cell 3' in str(e.value)


def test_quarto_syntax_inside_code_is_fine():
    out = myst_md(md('Write `{{< x >}}` or `@fig-a` or:\n\n```\n::: {.panel-tabset}\n```'))
    assert '`{{< x >}}`' in out and '::: {.panel-tabset}' in out
    assert myst_md(md('Mail me@fig-tree.org')) == 'Mail me@fig-tree.org'


# --- markdown: links ------------------------------------------------------------------------------------------------

def test_links_to_notebooks():
    assert myst_md(md('See [pixels](01_pixels.ipynb) and [values](01_pixels.ipynb#pixel-values).')) == \
        'See [pixels](pixels.ipynb) and [values](pixels.ipynb#pixel-values).'
    assert 'See [pixels](https://mnist37.github.io/mnist37/pixels.html#pixel-values).' in \
        gfm(md('See [pixels](01_pixels.ipynb#pixel-values).'))
    assert myst_md(md('[pixels]: ./01_pixels.ipynb')) == '[pixels]: pixels.ipynb'


def test_links_to_missing_notebooks_or_anchors_fail():
    with pytest.raises(TranslationError, match="no notebook in nbs/ publishes gradients.html"):
        myst(md('[g](04_gradients.ipynb)'))
    with pytest.raises(TranslationError, match="no heading with id 'nowhere'"):
        myst(md('[g](01_pixels.ipynb#nowhere)'))


def test_nbdev_doc_links_become_local():
    assert myst_md(md(f'Use [`f`]({SITE}/pixels.html#pixel-values).')) == 'Use [`f`](pixels.ipynb#pixel-values).'
    # a symbol without its own section (a private helper): nbdev links it anyway; we keep just the name
    assert myst_md(md(f'Use [`_helper`]({SITE}/pixels.html#_helper).')) == 'Use `_helper`.'
    assert myst_md(md('Other sites stay: [x](https://docs.fast.ai/x.html#y).')) == \
        'Other sites stay: [x](https://docs.fast.ai/x.html#y).'


def test_links_in_code_are_left_alone():
    assert myst_md(md('`[a](01_pixels.ipynb)` and\n\n```\n[b](02_nowhere.ipynb)\n```')) == \
        '`[a](01_pixels.ipynb)` and\n\n```\n[b](02_nowhere.ipynb)\n```'


def test_nbdev_links_inside_code_blocks_are_undone():
    doc = f'### f\n\n```python\ndef f(\n    p:Path, # defaults to [`get_path()`]({SITE}/data.html#get_path)\n):\n```'
    assert myst_md(md(doc)) == '### f\n\n```python\ndef f(\n    p:Path, # defaults to `get_path()`\n):\n```'


def test_links_in_headings_keep_their_text_for_the_toc():
    assert myst_md(md(f'## Finding [`x`]({SITE}/pixels.html)')) == '## Finding `x`'


def test_math_passes_through():
    src = 'The mean $\\bar x = \\frac{1}{n}\\sum_i x_i$ and\n\n$$\nd = |a - b|\n$$'
    assert myst_md(md(src)) == src
    assert src in gfm(md(src))


# --- whole notebooks ------------------------------------------------------------------------------------------------

def test_index_gets_a_hidden_toctree_in_series_order():
    p = nbmd.translate_nb(nb(md('Home'), fm=md('---\ntitle: mnist37\n---')), 'nbs/index.ipynb')
    cells = nbmd.to_myst_nb(p, [p], toctree=['data', 'pixels'])['cells']
    assert cells[-1]['source'] == '```{toctree}\n:hidden:\n:maxdepth: 1\n\ndata\npixels\n```'


def test_processed_notebook_messages_use_saved_cell_numbers():
    n = nb(md('a'), code('#| fig-cap: x\nf()', id='abc'))
    with pytest.raises(TranslationError, match=r'cell 7 \(`f\(\)`\)'):
        nbmd.translate_nb(n, 'nbs/03_broadcasting.ipynb', numbers={'abc': 7})


def test_nbdev_autogenerated_warning_cell_is_dropped():
    assert page(md('<!-- WARNING: THIS FILE WAS AUTOGENERATED! DO NOT EDIT! -->'), md('x')).blocks[0].text == 'x'


# --- tools/readme.py ------------------------------------------------------------------------------------------------

def test_readme_check_detects_a_stale_readme(tmp_path, monkeypatch, capsys):
    import readme
    (tmp_path/'nbs').mkdir()
    shutil.copy(ROOT/'settings.ini', tmp_path/'settings.ini')
    index = nb(md('Welcome. Start with [the data](00_data.ipynb).'), code('1 + 1', result(text_plain='2')),
               fm=md('---\ntitle: mnist37\ndescription: Threes and sevens.\n---'))
    (tmp_path/'nbs'/'index.ipynb').write_text(json.dumps(index))
    (tmp_path/'nbs'/'00_data.ipynb').write_text(json.dumps(nb(md('x'))))
    monkeypatch.setattr(readme, 'ROOT', tmp_path)
    assert readme.main(['--check']) == 1
    assert 'run `python tools/readme.py`' in capsys.readouterr().err.lower()
    assert readme.main([]) == 0
    text = (tmp_path/'README.md').read_text()
    assert '# mnist37\n\n> Threes and sevens.\n\nWelcome. Start with [the data](https://mnist37.github.io/mnist37/data.html).' in text
    assert '```python\n1 + 1\n```\n\n```\n2\n```' in text
    assert readme.main(['--check']) == 0
    (tmp_path/'README.md').write_text(text + 'edited by hand\n')
    assert readme.main(['--check']) == 1


# --- docs/build.py: nbdev's processing step -------------------------------------------------------------------------

@pytest.fixture
def process(tmp_path, monkeypatch):
    "Run the build's nbdev step on notebooks made of `cells` (with `#| default_exp data`, so mnist37.data documents)."
    import build
    monkeypatch.chdir(ROOT)   # nbdev reads settings.ini from the working directory
    def run(*cells):
        path = tmp_path/'09_try.ipynb'
        path.write_text(json.dumps(nb(code('#| default_exp data', id='dx'), *cells)))
        (processed, _), = [build.nbdev_process([path])]
        return nbmd.translate_nb(processed[path], 'nbs/09_try.ipynb')
    return run


def test_build_fails_on_nbdev_warnings(process):
    import build
    with pytest.raises(build.BuildError, match=r"cell 4 \(`import os`\) mixes imports with other code") as e:
        process(code('#| export\ndef fastai_data_path(): "doc"', id='a'), code('import os\nx = os.sep', id='b'))
    assert 'Put imports in cells of their own' in str(e.value)


def test_build_keeps_saved_show_doc_and_documents_what_is_missing(process):
    saved = result(text_markdown='---\n\n### image_files\n\n*Saved output.*', text_plain='x')
    p = process(code('show_doc(image_files)', saved, id='a'),          # saved output: used as is
                code('show_doc(check_mnist_sample)', id='b'),          # never run: rendered from mnist37.data
                code('#| export\ndef load_mnist_sample(): "A stand-in."', id='c'))   # no show_doc: nbdev adds one
    text = '\n'.join(b.text for b in p.blocks if b.kind == 'md')
    assert '*Saved output.*' in text
    assert '### check_mnist_sample' in text and 'raising an error that says what is wrong' in text
    assert '### load_mnist_sample' in text
    assert not [b for b in p.blocks if b.kind == 'code' and 'show_doc' in b.text]


def test_build_fails_when_show_doc_cannot_be_rendered(process):
    import build
    with pytest.raises(build.BuildError, match=r"show_doc cell 'show_doc\(no_such_thing\)' has no saved output"):
        process(code('show_doc(no_such_thing)', id='a'))


# --- `#| exports`: the source is shown, as nbdev's processors show it -------------------------------------------------

def test_exports_cells_show_their_source_and_export_cells_stay_hidden():
    out = myst(code('#| export\ndef hidden(): pass'), code('#| exporti\ndef _internal(): pass'),
               code('#| exports\ndef shown(x):\n    "Doc."\n    return x'))
    sources = [c['source'] for c in out['cells'] if c['cell_type'] == 'code']
    assert sources == ['def shown(x):\n    "Doc."\n    return x']   # the directive line is gone


def test_exports_cells_through_nbdevs_processors(process):
    p = process(code('#| export\ndef fastai_data_path(): "Hidden."', id='a'),
                code('#| exports\ndef image_files(x): "Shown."\n', id='b'), code('#| exporti\ndef _i(): pass', id='c'),
                code('1 + 1', result(text_plain='2'), id='d'))
    shown = [b.text for b in p.blocks if b.kind == 'code']
    assert shown == ['def image_files(x): "Shown."', '1 + 1']                   # nbdev adds code-fold: show, which shows it
    assert 'Hidden.' not in ''.join(shown) and '_i' not in ''.join(shown)
    text = '\n'.join(b.text for b in p.blocks if b.kind == 'md')
    assert '### image_files' in text and '### fastai_data_path' in text   # both documented by show_doc


# --- show_doc: classes as classes, methods with their class --------------------------------------------------------

def test_class_signatures():
    import build
    from dataclasses import dataclass
    from typing import NamedTuple
    from mnist37.data import MnistSample
    sig = build.class_sig(MnistSample)
    assert sig.startswith('@dataclass(frozen=True)\nclass MnistSample:\n    train_3s:torch.Tensor # the 6131 training 3s\n')
    class Stats(NamedTuple):
        "Doc."
        loss: float # the loss
        n: int = 3
    assert build.class_sig(Stats) == 'class Stats(NamedTuple):\n    loss:float # the loss\n    n:int=3'
    class CheckError(AssertionError): "Doc."
    assert build.class_sig(CheckError) == 'class CheckError(AssertionError): ...'
    class Opt:
        def __init__(self,
                     lr:float, # the learning rate
                    ): self.lr = lr
        def step(self, n:int=1) -> None: "Doc."
    assert build.class_sig(Opt) == 'class Opt:\n    def __init__(\n        self,\n        lr:float, # the learning rate\n    ): ...'
    assert build.method_sig(Opt, 'step', Opt.step) == 'Opt.step(self, n:int=1)->None'
    @dataclass
    class Point:
        x: float # across
    assert build.class_sig(Point) == '@dataclass\nclass Point:\n    x:float # across'


def test_show_doc_of_classes_and_methods_in_the_build(process):
    saved = result(text_markdown='---\n\n### MnistSample\n\n```python\ndef MnistSample(\n    train_3s:torch.Tensor\n)->None:\n```'
                                 '\n\n*The four folders.*')
    meth = result(text_markdown='---\n\n### MnistSample.as_dict\n\n```python\ndef as_dict(\n    \n):\n```\n\n*By name.*')
    p = process(code('show_doc(MnistSample)', saved, id='a'), code('show_doc(MnistSample.as_dict)', meth, id='b'))
    text = '\n'.join(b.text for b in p.blocks if b.kind == 'md')
    assert 'def MnistSample' not in text and 'def as_dict' not in text
    assert '```python\n@dataclass(frozen=True)\nclass MnistSample:\n    train_3s:torch.Tensor # the 6131 training 3s' in text
    assert '```python\nMnistSample.as_dict(self)->dict[str, torch.Tensor]\n```' in text
    assert '*The four folders.*' in text and '*By name.*' in text


# --- test cells collapse behind a "Tests" toggle ---------------------------------------------------------------------

@pytest.mark.parametrize('src,expected', [
    ('test_eq(f(2), 4)', True),
    ('# the edges\ntest_eq(f(torch.zeros(3)).shape, (3,))\ntest_close(f(torch.zeros(3)).sum(), 0.)', True),
    ('x = torch.zeros(3)\ntest_eq(f(x).shape, (3,))', False),  # a name later cells may use: keep it visible
    ('test_fail(lambda: f(-1), contains="must be positive")', True),
    ('for n in (1, 2): test_eq(f(n), 2*n)', True),
    ('fc.test_ne(a, b)', True),
    ('x = f(2)\nx', False),                       # shows a result: teaching, not just testing
    ('y = f(2)\ntest_eq(1, 1)', False),           # `y` isn't used by the tests: teaching code
    ('print(f(2))\ntest_eq(f(2), 4)', False),
    ('def g(): pass\ntest_eq(g(), None)', False),
    ('x = 1', False), ('', False), ('test_eq(', False),
])
def test_is_test_cell(src, expected):
    assert nbmd.is_test_cell(src) is expected


def test_test_cells_are_collapsed_but_kept():
    out = myst(code('test_eq(f(3), 9)'), code('f(3)', result(text_plain='9')))
    cells = [c for c in out['cells'] if c['cell_type'] == 'code']
    assert cells[0]['source'] == 'test_eq(f(3), 9)'                           # still in the page (and searchable)
    assert cells[0]['metadata']['tags'] == ['hide-input']
    assert cells[0]['metadata']['mystnb']['code_prompt_show'] == 'Tests'
    assert cells[1]['metadata'] == {}
    assert 'test_eq(f(3), 9)' in gfm(code('test_eq(f(3), 9)'))                # the README shows them as is


def test_a_test_cell_that_prose_introduces_stays_open():
    out = myst(md('Try it, and PyTorch refuses:'), code('test_fail(lambda: f(-1), contains="negative")'))
    cell = next(c for c in out['cells'] if c['cell_type'] == 'code')
    assert 'hide-input' not in cell['metadata'].get('tags', [])


# --- fastprogress bars -------------------------------------------------------------------------------------------------

def test_progress_bars_render_cleanly():
    style = {'output_type': 'display_data', 'metadata': {},
             'data': {'text/html': '\n<style>\n progress { width: 300px; }\n</style>\n', 'text/plain': '<HTML>'}}
    bar = '<div><progress max="200" value="200"></progress> 100.00% [200/200 00:01&lt;00:00... loss 3.278]</div>'
    out = {'output_type': 'display_data', 'metadata': {}, 'data': {'text/html': bar, 'text/markdown': bar, 'text/plain': bar}}
    b = page(code('sgd(...)', style, out)).blocks[0]
    assert len(b.outputs) == 1                                                     # the <style> output is gone
    d = b.outputs[0]['data']
    assert set(d) == {'text/html', 'text/plain'}
    assert d['text/plain'] == '100.00% [200/200 00:01] loss 3.278'
    assert '...' not in d['text/html'] and '\u2026' not in d['text/html'] and '&lt;' not in d['text/html']
    assert d['text/html'].startswith('<div class="progress-done"><progress max="200" value="200"></progress>')
    assert '```\n100.00% [200/200 00:01] loss 3.278\n```' in gfm(code('sgd(...)', style, out))
    other = {'output_type': 'display_data', 'metadata': {}, 'data': {'text/html': '<table class="fastprogress"></table>'}}
    assert page(code('fit()', other)).blocks[0].outputs[0]['data'] == other['data']   # not a bar: as it was


# --- figures get meaningful alt text -------------------------------------------------------------------------------------

def test_figures_get_alt_text():
    img = {'output_type': 'display_data', 'metadata': {}, 'data': {'image/png': 'iVBOR', 'text/plain': '<Figure>'}}
    out = myst(md('## The mean 3\n\nLook.'), code('show_image(mean_3)', img),
               code('plot(f, title="Loss against step")', img), code('show_digits(xs)', img, img))
    alts = [c['metadata'].get('mystnb', {}).get('image', {}).get('alt') for c in out['cells'] if c['cell_type'] == 'code']
    assert alts == ["Figure 1 from Broadcasting: output of the cell after 'The mean 3'",
                    'Figure 2 from Broadcasting: Loss against step',
                    "Figures 3 to 4 from Broadcasting: output of the cell after 'The mean 3'"]
