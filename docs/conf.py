# Sphinx configuration for the mnist37 docs site. `make docs` runs docs/build.py, which translates the notebooks
# into _site_src/ and builds them with this file; don't run sphinx-build by hand.
import configparser, sys
from pathlib import Path

_root = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(_root/'docs'))   # for nbmd.pandoc_slug below
_cfg = configparser.ConfigParser(interpolation=None)
_cfg.read(_root/'settings.ini')
_s = _cfg['DEFAULT']

project = _s['title']
author = _s['author']
copyright = _s['copyright']
release = version = _s['version']
language = 'en'

extensions = ['myst_nb']
root_doc = 'index'
exclude_patterns = ['.doctrees']

# --- notebooks: render the saved outputs, never execute ----------------------------------------------------------
nb_execution_mode = 'off'
nb_output_stderr = 'warn'            # a warning in a saved output fails the build (it is a defect)
nb_merge_streams = True
nb_ipywidgets_js = {}                # no widget JavaScript from a CDN: the site makes no outside requests
myst_enable_extensions = ['colon_fence', 'dollarmath', 'amsmath', 'attrs_block', 'attrs_inline']
myst_heading_anchors = 6
myst_heading_slug_func = 'nbmd.pandoc_slug'   # heading ids as Quarto makes them, so nbdev's doc links work
myst_update_mathjax = False          # we configure MathJax 2 ourselves, below
suppress_warnings = [
    'myst.header',                   # show_doc headings (###) may follow a page title (#) directly, as on nbdev sites
]

# --- MathJax 2.7, copied into _site/_static/mathjax by docs/build.py from the jupyter-server-mathjax package ---------
mathjax_path = 'mathjax/MathJax.js'
mathjax2_config = {
    'config': ['TeX-AMS-MML_HTMLorMML-full.js'],   # the combined configuration the package ships (as Jupyter used it)
    'tex2jax': {'inlineMath': [['\\(', '\\)']], 'displayMath': [['\\[', '\\]']],
                'processEscapes': False, 'processEnvironments': False,
                'processClass': 'math|output_area', 'ignoreClass': 'tex2jax_ignore|mathjax_ignore|document'},
    'HTML-CSS': {'availableFonts': [], 'webFont': 'STIX-Web', 'imageFont': None, 'preferredFont': None, 'scale': 92},
    'showMathMenu': False, 'messageStyle': 'none',
}

# --- HTML --------------------------------------------------------------------------------------------------------
html_theme = 'sphinx_book_theme'
html_title = project
html_static_path = ['_static']
html_css_files = ['mnist37.css']
html_favicon = '_static/favicon.svg'
html_js_files = [('search-snippets.js', {'defer': 'defer'})]   # after searchtools.js
html_copy_source = False
html_show_sourcelink = False
html_baseurl = _s['doc_host'].rstrip('/') + _s['doc_baseurl'].rstrip('/') + '/'
html_last_updated_fmt = None
html_theme_options = {
    'repository_url': _s['git_url'],
    'repository_branch': _s['branch'],
    'path_to_docs': 'nbs',
    'use_repository_button': True,
    'use_source_button': False,
    'use_issues_button': False,
    'use_download_button': False,
    'use_fullscreen_button': False,
    'show_prev_next': True,
    'show_toc_level': 2,
    'home_page_in_toc': True,
    'navigation_with_keys': False,
    'search_bar_text': 'Search the series...',
    'navbar_persistent': [],         # search lives in the sidebar; no second search box in a header bar
    'extra_footer': '',
}
