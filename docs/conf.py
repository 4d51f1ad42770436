# Sphinx configuration: `make docs` runs docs/build.py, which writes the pages into _site_src/ and builds them here.
import json, subprocess, sys, docutils.nodes, sphinx.util.logging
from pathlib import Path
from nbdev.config import get_config
sys.path.insert(0, str(Path(__file__).parent))   # for build.slug
_c, _node, _log = get_config(path=Path(__file__).parent.parent), [], sphinx.util.logging.getLogger(__name__)
project, author, copyright, release, language = _c.title, _c.author, _c.copyright, _c.version, 'en'
extensions, exclude_patterns = ['myst_nb'], ['.doctrees', 'html']
nb_execution_mode = 'off'            # the notebooks' saved outputs, never re-run
nb_output_stderr = 'warn'            # a warning in a saved output is a defect: -W fails the build
nb_merge_streams, nb_ipywidgets_js = True, {}   # (no widget JavaScript from a CDN)
myst_enable_extensions = ['colon_fence', 'dollarmath', 'attrs_block']
myst_heading_anchors, myst_heading_slug_func = 6, 'build.slug'   # ids as Quarto makes them: the notebooks' links work
suppress_warnings = ['myst.header']  # show_doc's ### may follow the page's # directly, as on nbdev's sites
html_math_renderer, html_theme, html_title, html_static_path = 'katex', 'sphinx_book_theme', project, ['_static']
html_css_files, html_favicon = ['katex/katex.min.css', 'mnist37.css'], '_static/favicon.svg'
html_js_files = [('search-snippets.js', {'defer': 'defer'}), ('optional.js', {'defer': 'defer'})]
html_copy_source = html_show_sourcelink = False
html_baseurl = _c.doc_host.rstrip('/') + _c.doc_baseurl.rstrip('/') + '/'
html_theme_options = {'repository_url': _c.git_url, 'repository_branch': _c.branch, 'use_repository_button': True,
                      'use_download_button': False, 'use_fullscreen_button': False, 'home_page_in_toc': True,
                      'show_toc_level': 2, 'navigation_with_keys': False, 'search_bar_text': 'Search the series...',
                      'navbar_persistent': [], 'secondary_sidebar_items': ['page-toc']}

def _katex(self, node, display:bool=False):
    "Typeset `node`'s TeX to HTML with KaTeX (docs/katex.cjs: one node process for the whole build)."
    if not _node: _node.append(subprocess.Popen(['node', 'katex.cjs'], cwd=Path(__file__).parent, text=True,
                                                stdin=subprocess.PIPE, stdout=subprocess.PIPE))
    _node[0].stdin.write(json.dumps([node.astext(), display]) + '\n'); _node[0].stdin.flush()
    out = json.loads(_node[0].stdout.readline())
    if isinstance(out, dict):   # a warning with the page and line: -W fails the build
        _log.warning(f"KaTeX can't typeset {node.astext()!r}: {out['error']}", location=node)
    self.body.append(f'<div class="math">{out}</div>' if display else out if isinstance(out, str) else '')
    raise docutils.nodes.SkipNode

def setup(app):
    app.add_html_math_renderer('katex', (_katex, None), (lambda s, n: _katex(s, n, True), None))
