# Sphinx configuration for the docs site: `make docs` runs docs/build.py, which writes _site_src/ and builds it here.
import json, subprocess, sys
from pathlib import Path
from nbdev.config import get_config

_docs = Path(__file__).resolve().parent
sys.path.insert(0, str(_docs))
_c = get_config(path=_docs.parent)
project, author, copyright, release, language = _c.title, _c.author, _c.copyright, _c.version, 'en'
extensions = ['myst_nb']
exclude_patterns = ['.doctrees', 'html']
nb_execution_mode = 'off'            # the notebooks' saved outputs, never re-run
nb_output_stderr = 'warn'            # a warning in a saved output is a defect: -W fails the build
nb_merge_streams = True
nb_ipywidgets_js = {}                # no widget JavaScript from a CDN
myst_enable_extensions = ['colon_fence', 'dollarmath', 'attrs_block']
myst_heading_anchors = 6
myst_heading_slug_func = 'build.slug'   # heading ids as Quarto makes them, so nbdev's and the authors' links work
suppress_warnings = ['myst.header']  # show_doc's ### may follow the page's # directly, as on nbdev's sites
html_math_renderer = 'katex'
html_theme = 'sphinx_book_theme'
html_title = project
html_static_path = ['_static']
html_css_files = ['katex/katex.min.css', 'mnist37.css']
html_js_files = [('search-snippets.js', {'defer': 'defer'})]
html_favicon = '_static/favicon.svg'
html_copy_source = html_show_sourcelink = False
html_baseurl = _c.doc_host.rstrip('/') + _c.doc_baseurl.rstrip('/') + '/'
html_theme_options = {'repository_url': _c.git_url, 'repository_branch': _c.branch, 'use_repository_button': True,
                      'home_page_in_toc': True, 'show_toc_level': 2, 'navigation_with_keys': False,
                      'search_bar_text': 'Search the series...', 'navbar_persistent': [], 'secondary_sidebar_items': [],
                      'use_download_button': False, 'use_fullscreen_button': False}
_node = []


def _katex(self, node, display:bool):
    "Typeset `node`'s TeX with KaTeX (docs/katex.cjs, one node process for the whole build)."
    if not _node: _node.append(subprocess.Popen(['node', str(_docs/'katex.cjs')], cwd=_docs, text=True,
                                                stdin=subprocess.PIPE, stdout=subprocess.PIPE))
    _node[0].stdin.write(json.dumps([node.astext(), display]) + '\n'); _node[0].stdin.flush()
    out = json.loads(_node[0].stdout.readline())
    if isinstance(out, dict):
        from sphinx.util import logging
        logging.getLogger(__name__).warning(f"KaTeX can't typeset {node.astext()!r}: {out['error']}", location=node)
        out = node.astext()
    self.body.append(f'<div class="math">{out}</div>' if display else out)
    from docutils.nodes import SkipNode
    raise SkipNode


def setup(app):
    app.add_html_math_renderer('katex', (lambda s, n: _katex(s, n, False), None), (lambda s, n: _katex(s, n, True), None))
