"""The docs site in a real browser: headless Chromium (Debian's `chromium`) driven by playwright.

The tests serve _site/ themselves on 127.0.0.1 (building it first if it is missing; `make test` runs `make docs`
first), load every page once, and check what a reader would see: titles, figures, the pandas heatmap's colours,
rendered math, working links, search, no raw Quarto syntax, and no request leaving the machine. Full-page
screenshots land in _screenshots/ (git-ignored).

Without Chromium the tests skip, saying why; with the CI environment variable set they fail instead.
"""
from __future__ import annotations

import functools, http.server, json, os, re, shutil, subprocess, sys, threading, time
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest
from conftest import require

ROOT = Path(__file__).resolve().parent.parent
SITE, SHOTS = ROOT/'_site', ROOT/'_screenshots'
sys.path.insert(0, str(ROOT/'docs'))
import nbmd  # noqa: E402

CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
                 '--disable-sync', '--no-first-run', '--disable-quic']


def _notebooks() -> dict[str, dict]:
    "page name -> {'title', 'images', 'src'} for every notebook the site should publish, in series order."
    res = {}
    paths = sorted((p for p in (ROOT/'nbs').glob('*.ipynb') if not p.name.startswith(('_', '.'))),
                   key=lambda p: (p.name != 'index.ipynb', p.name))
    for p in paths:
        nb = json.loads(p.read_text(encoding='utf-8'))
        try: page = nbmd.translate_nb(nb, f'nbs/{p.name}')
        except nbmd.TranslationError:   # the build fails on this notebook and says why; here we just expect its page
            res[nbmd.page_name(p)] = dict(title=(nbmd.front_matter(nb['cells'][0]) or {}).get('title'), images=0)
            continue
        images = sum(1 for b in page.blocks for o in b.outputs if any(k.startswith('image/') for k in o.get('data', {})))
        res[page.name] = dict(title=page.title, images=images)
    return res


NOTEBOOKS = _notebooks()
PAGES = list(NOTEBOOKS) if 'index' in NOTEBOOKS else ['index', *NOTEBOOKS]


def _find_chromium() -> str|None:
    for name in ('chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'):
        if shutil.which(name): return shutil.which(name)
    return next((p for p in ('/usr/bin/chromium', '/usr/lib/chromium/chromium') if os.access(p, os.X_OK)), None)


# --- fixtures: the site, a local server, a browser ------------------------------------------------------------------

@pytest.fixture(scope='session')
def site() -> Path:
    if not (SITE/'index.html').exists():
        r = subprocess.run([sys.executable, str(ROOT/'docs'/'build.py')], cwd=ROOT)
        assert r.returncode == 0, "building the site failed: run `make docs` and read its message"
    return SITE


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args): pass


@pytest.fixture(scope='session')
def base_url(site):
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), functools.partial(_Quiet, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope='session')
def browser():
    exe = _find_chromium()
    require(exe is not None, "Chromium is not installed (Debian: `apt-get install chromium`), so the site can't be "
                             "checked in a browser")
    try: from playwright.sync_api import sync_playwright
    except ImportError: sync_playwright = None
    require(sync_playwright is not None, "playwright is not installed: run `make venv`")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        yield b
        b.close()


class Visit:
    "One page, loaded once in the browser, with everything the tests look at."
    def __init__(self, browser, base_url:str, path:str, shot:str|None=None, wait_for:str|None=None):
        self.url = urljoin(base_url, path)
        self.requests, self.failures, self.errors = [], [], []
        ctx = browser.new_context(viewport={'width': 1280, 'height': 900})
        page = ctx.new_page()
        page.on('request', lambda r: self.requests.append(r.url))
        page.on('response', lambda r: r.status >= 400 and self.failures.append(f"{r.status} {r.url}"))
        # (MathJax 2 probes web-font support with a font at about:blank, which Chromium refuses: harmless)
        page.on('requestfailed', lambda r: r.url != 'about:blank' and self.failures.append(f"failed {r.url}: {r.failure}"))
        page.on('pageerror', lambda e: self.errors.append(str(e)))
        t0 = time.perf_counter()
        self.status = page.goto(self.url, wait_until='networkidle').status
        if wait_for: page.wait_for_selector(wait_for, timeout=15_000)
        # MathJax 2 typesets asynchronously: wait until its queue is done
        page.wait_for_function("() => !document.querySelector('.math.notranslate') || (window.MathJax && MathJax.Hub && "
                               "MathJax.Hub.queue.pending === 0 && !MathJax.Hub.queue.running && "
                               "document.querySelectorAll('.MathJax, .MathJax_Display, .MathJax_SVG').length > 0)",
                               timeout=15_000)
        self.seconds = time.perf_counter() - t0
        self.title = page.title()
        self.data = page.evaluate(_PAGE_JS)
        if shot:
            SHOTS.mkdir(exist_ok=True)
            page.screenshot(path=str(SHOTS/f'{shot}.png'), full_page=True)
        ctx.close()


_PAGE_JS = r"""() => {
  const article = document.querySelector('article') || document.body;
  // prose: visible text outside code, math and scripts
  const skip = new Set(['PRE', 'CODE', 'SCRIPT', 'STYLE', 'NOSCRIPT']);
  const prose = [];
  const walk = el => {
    if (skip.has(el.tagName) || el.classList.contains('MathJax') || el.classList.contains('MathJax_Display')
        || el.classList.contains('MathJax_Preview') || el.classList.contains('math')) return;
    for (const n of el.childNodes) {
      if (n.nodeType === 3) prose.push(n.textContent);
      else if (n.nodeType === 1) walk(n);
    }
  };
  walk(document.body);
  const colour = el => getComputedStyle(el).backgroundColor;
  return {
    h1: (article.querySelector('h1') || {}).innerText || '',
    prose: prose.join(' ').replace(/\s+/g, ' '),
    code: [...document.querySelectorAll('pre')].map(p => p.innerText),
    images: [...document.querySelectorAll('img')].map(i => ({src: i.currentSrc || i.src, w: i.naturalWidth,
                                                             complete: i.complete, alt: i.getAttribute('alt') || ''})),
    testToggles: [...document.querySelectorAll('details.hide.above-input')].map(d => ({
        summary: (d.querySelector('summary') || {}).innerText || '', open: d.open,
        code: (d.querySelector('pre') || {}).textContent || ''})),
    overflowing: [...document.querySelectorAll('div.cell_output pre, div.highlight-python pre')].filter(
        p => p.scrollWidth > p.clientWidth + 2).map(p => p.textContent.slice(0, 80)),
    math: document.querySelectorAll('.math.notranslate').length,   // Sphinx's math (MathJax adds inner .math spans)
    mathUnrendered: [...document.querySelectorAll('.math.notranslate')].filter(
        m => !m.querySelector('.MathJax, .MathJax_Display, .MathJax_SVG')).map(m => m.textContent.slice(0, 60)),
    links: [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href')),
    sidebar: [...document.querySelectorAll('nav.bd-docs-nav a.reference')].map(a => a.getAttribute('href')),
    prev: (document.querySelector('a.left-prev') || {}).href || null,
    next: (document.querySelector('a.right-next') || {}).href || null,
    styler: [...document.querySelectorAll('table[id^="T_"]')].map(t => ({
        id: t.id, cells: [...t.querySelectorAll('td')].map(colour)})),
    searchResults: [...document.querySelectorAll('#search-results ul.search li a')].map(a => a.getAttribute('href')),
  };
}"""


@pytest.fixture(scope='session')
def visit(browser, base_url):
    cache = {}
    def get(name:str) -> Visit:
        if name not in cache:
            if not (SITE/f'{name}.html').exists():
                pytest.fail(f"{name}.html is missing from _site: run `make docs` (is the site stale?)")
            cache[name] = Visit(browser, base_url, f'{name}.html', shot=name)
        return cache[name]
    return get


def _plain_colour(c:str) -> bool:
    "Is a computed CSS colour transparent or white (i.e. not a heatmap colour)?"
    m = re.match(r'rgba?\((\d+), (\d+), (\d+)(?:, ([\d.]+))?\)', c)
    if not m: return True
    r, g, b, a = int(m[1]), int(m[2]), int(m[3]), float(m[4] or 1)
    return a == 0 or (r, g, b) == (255, 255, 255)


# --- the tests ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('name', PAGES)
def test_page_loads_with_its_title(visit, name):
    v = visit(name)
    assert v.status == 200
    title = NOTEBOOKS[name]['title'] if name in NOTEBOOKS else None
    if title:
        assert v.data['h1'].strip().rstrip('#').strip() == title, f"{name}.html: the H1 should be the front-matter title"
        assert v.title.startswith(title), f"{name}.html: <title> is {v.title!r}"
    assert not v.errors, f"{name}.html: JavaScript errors: {v.errors}"


@pytest.mark.parametrize('name', PAGES)
def test_no_request_leaves_the_machine(visit, name):
    v = visit(name)
    outside = [u for u in v.requests if urlparse(u).scheme not in ('data', 'blob', 'about')
               and urlparse(u).hostname != '127.0.0.1']
    assert not outside, f"{name}.html requested: {outside}"
    assert not v.failures, f"{name}.html: failed requests: {v.failures}"


@pytest.mark.parametrize('name', PAGES)
def test_figures_are_images_that_load(visit, name):
    v = visit(name)
    broken = [i['src'] for i in v.data['images'] if not (i['complete'] and i['w'] > 0)]
    assert not broken, f"{name}.html: images that don't load: {broken}"
    expected = NOTEBOOKS.get(name, {}).get('images', 0)
    figures = [i for i in v.data['images'] if '/_images/' in i['src'] or i['src'].startswith('data:image')]
    assert len(figures) >= expected, f"{name}.html shows {len(figures)} figures; the notebook has {expected}"


@pytest.mark.parametrize('name', PAGES)
def test_figures_have_meaningful_alt_text(visit, name):
    v = visit(name)
    figures = [i for i in v.data['images'] if '/_images/' in i['src'] or i['src'].startswith('data:image')]
    bad = [i['alt'] for i in figures if not i['alt'].strip() or re.search(r'[0-9a-f]{16,}|\.(png|jpe?g|svg)\b', i['alt'])]
    assert not bad, f"{name}.html: figures whose alt text is empty or a file name: {bad[:3]}"


@pytest.mark.parametrize('name', PAGES)
def test_test_cells_are_behind_a_tests_toggle(visit, name):
    v = visit(name)
    for t in v.data['testToggles']:
        if not t['summary'].strip().startswith('Tests'): continue
        assert not t['open'], f"{name}.html: a Tests toggle starts open"
        assert any(f in t['code'] for f in nbmd.TEST_FNS), f"{name}.html: a Tests toggle holds {t['code'][:80]!r}"
    assert not v.data['overflowing'], f"{name}.html: outputs or signatures that scroll sideways: {v.data['overflowing'][:3]}"


@pytest.mark.parametrize('name', PAGES)
def test_math_is_rendered(visit, name):
    v = visit(name)
    assert not v.data['mathUnrendered'], f"{name}.html: math MathJax didn't render: {v.data['mathUnrendered'][:5]}"
    for raw in ('$$', '\\(', '\\)', '\\[', '\\]'):
        assert raw not in v.data['prose'], f"{name}.html: raw math delimiter {raw!r} in the text"


@pytest.mark.parametrize('name', PAGES)
def test_no_raw_quarto_syntax(visit, name):
    v = visit(name)
    for raw in ('#|', ':::', '{{<', '@fig-'):
        assert raw not in v.data['prose'], f"{name}.html: raw {raw!r} in the text: ...{_around(v.data['prose'], raw)}..."
    for code in v.data['code']:
        lines = [l for l in code.splitlines() if l.lstrip().startswith('#|')]
        assert not lines, f"{name}.html: a code block shows cell options: {lines}"


def _around(text, s, n=60):
    i = text.find(s)
    return text[max(0, i-n):i+n]


@pytest.fixture(scope='session')
def link_checker(base_url):
    import requests
    cache = {}
    def check(url:str) -> str|None:
        "None if `url` (maybe with a #fragment) resolves on the local server, else what is wrong."
        page, _, frag = url.partition('#')
        if page not in cache:
            r = requests.get(page, timeout=10)
            cache[page] = (r.status_code, r.text if 'html' in r.headers.get('content-type', '') else '')
        status, html = cache[page]
        if status != 200: return f"HTTP {status}"
        if frag and not re.search(rf'''\bid=["']{re.escape(frag)}["']''', html): return f"no element with id {frag!r}"
        return None
    return check


@pytest.mark.parametrize('name', PAGES)
def test_links_resolve(visit, link_checker, name):
    v = visit(name)
    bad = {}
    for href in dict.fromkeys(v.data['links']):
        url = urljoin(v.url, href)
        if urlparse(url).hostname != '127.0.0.1' or urlparse(url).scheme not in ('http', 'https'): continue
        if (err := link_checker(url)): bad[href] = err
    assert not bad, f"{name}.html: links that don't resolve: {bad}"


def test_sidebar_is_in_series_order_with_prev_next(visit, base_url):
    v = visit('index')
    order = [h.split('#')[0] for h in v.data['sidebar'] if h not in ('#',)]
    expected = [f'{n}.html' for n in PAGES]
    assert [h for h in order if h != 'index.html'] == expected[1:], f"sidebar order {order}, expected {expected}"
    for prev, name, nxt in zip([None, *PAGES], PAGES, [*PAGES[1:], None]):
        d = visit(name).data
        assert (d['prev'] and d['prev'].split('/')[-1]) == (prev and f'{prev}.html'), f"{name}.html: previous link"
        assert (d['next'] and d['next'].split('/')[-1]) == (nxt and f'{nxt}.html'), f"{name}.html: next link"


def test_show_doc_of_every_export_is_on_its_page(site):
    """Every public function and class in nbdev's index (mnist37/_modidx.py) has its show_doc section where nbdev links
    to it. (Methods only have one if the notebook calls show_doc on them, as on nbdev's own sites.)"""
    from mnist37._modidx import d
    missing = []
    for mod, syms in d['syms'].items():
        for sym, (link, _) in syms.items():
            short = sym[len(mod)+1:]
            if short.startswith('_') or '.' in short: continue
            page, _, anchor = link.partition('#')
            if not (site/page).exists(): continue   # that notebook isn't published yet
            html = (site/page).read_text(encoding='utf-8')
            if not re.search(rf'''id=["']{re.escape(anchor)}["']''', html) or f'>{short}<' not in html.replace('<span class="pre">', ''):
                missing.append(f"{short} ({link})")
    assert not missing, f"no show_doc section for: {missing}"


def test_pandas_heatmap_keeps_its_colours(visit):
    if 'pixels' not in NOTEBOOKS: pytest.skip("nbs/01_pixels.ipynb doesn't exist yet, so there is no heatmap to check")
    tables = visit('pixels').data['styler']
    assert tables, "pixels.html has no pandas Styler table (table id T_...)"
    for t in tables:
        coloured = [c for c in t['cells'] if not _plain_colour(c)]
        assert len(coloured) >= 5, f"heatmap {t['id']}: only {len(coloured)} of {len(t['cells'])} cells are coloured"


def test_search_finds_broadcasting(browser, base_url, site):
    mentions = [p.name for p in site.glob('*.html') if p.name not in ('search.html', 'genindex.html')
                and 'broadcasting' in re.sub(r'<[^>]+>', ' ', p.read_text(encoding='utf-8')).lower()]
    if not mentions: pytest.skip("no page mentions broadcasting yet")
    v = Visit(browser, base_url, 'search.html?q=broadcasting', shot='search', wait_for='#search-results ul.search li')
    found = [h.split('#')[0].split('?')[0] for h in v.data['searchResults']]
    assert found, "search for 'broadcasting' found nothing"
    if 'broadcasting' in NOTEBOOKS: assert 'broadcasting.html' in found, f"search results: {found}"
    assert not [u for u in v.requests if urlparse(u).hostname != '127.0.0.1' and urlparse(u).scheme in ('http', 'https')]
