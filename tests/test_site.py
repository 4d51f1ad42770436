"""The built site (_site/, built first if missing): what static HTML shows is checked statically; what only a
browser can tell (typeset math, search, heatmap colours, toggles, fit at 1280 and 390 px, figure scale, page weight,
requests to other hosts) in headless Chromium. Without Chromium those skip, saying why; under CI they fail instead."""
import functools, html, http.server, re, shutil, subprocess, sys, threading
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest
from conftest import require

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT/'_site'
sys.path.insert(0, str(ROOT/'docs'))
import build  # noqa: E402

PAGES = [build.page_name(p) for p in build.notebooks()]
ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
        '--no-first-run', '--disable-sync', '--disable-quic']


@pytest.fixture(scope='session')
def site() -> Path:
    if not (SITE/'index.html').exists():
        assert subprocess.run([sys.executable, str(ROOT/'docs'/'build.py')]).returncode == 0, "`make docs` failed"
    return SITE


# --- static ----------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('path', build.notebooks(), ids=build.page_name)
def test_page_statically(site, path):
    "Title, no raw syntax, links that land, alt text, Colab (lessons), show_doc, toggles named Tests and Answer."
    name = build.page_name(path)
    src = (site/f'{name}.html').read_text('utf-8')
    assert re.search(r'<h1>[^<]+', src), f"{name}.html has no title"
    t = re.sub(r'<(script|style|pre|code)\b.*?</\1>|<span class="katex">.*?</math>', ' ',
               re.search(r'<main.*?</main>', src, re.DOTALL)[0], flags=re.DOTALL)
    t = html.unescape(re.sub(r'<[^>]+>', ' ', t))   # the page's main text, as a reader sees it
    for raw in ('#|', ':::', '{{<', '@fig-', '{target=', '$$', '\\(', '\\[', '<details'):
        assert raw not in t, f"{name}.html shows raw {raw!r}: ...{t[max(0, t.find(raw) - 60):t.find(raw) + 60]}..."
    assert not re.findall(r'(?:src|href)="(?:https?:)?//(?!github\.com)[^"]+\.(?:js|css|woff2?)', src), \
        f"{name}.html loads something from another host"
    bad = []
    for href in set(re.findall(r'href="([^"]+)"', src)):
        url = urlparse(urljoin(f'{name}.html', href))
        if url.scheme or url.netloc or not url.path: continue
        target = site/url.path
        if not target.exists(): bad.append(href)
        elif url.fragment and target.suffix == '.html' and f'id="{url.fragment}"' not in target.read_text('utf-8'):
            bad.append(href)
    assert not bad, f"{name}.html: links to nowhere: {bad}"
    alts = re.findall(r'<img [^>]*alt="([^"]*)"[^>]*src="_images/', src)
    bad = [a for a in alts if not a.strip() or a.startswith('Figure:') or re.search('[{}]', a)]
    assert not bad, f"{name}.html: figures whose alt text is empty, generic or an unfilled f-string: {bad}"
    if path.name[0] == '0':
        assert 'https://colab.research.google.com/github/' in src and f'/nbs/{path.name}"' in src, \
            f"{path.name}'s page has no Open-in-Colab link to it"
    for sec in re.findall(r'<section id="[\w.]+">\s*<h3>.*?</section>', src, re.DOTALL):   # show_doc
        assert 'highlight-python' in sec, f"{name}.html: a show_doc section without its signature"
        assert '{target' not in sec and 'def ' not in re.sub(r'<[^>]+>', '', sec)
    for summary, body in re.findall(r'<summary aria-label="([^"]*)">(.*?)</details>', src, re.DOTALL):
        assert summary == 'Tests', f"{name}.html: a toggle named {summary!r}"
        code = html.unescape(re.sub(r'<[^>]+>', '', body.split('</summary>', 1)[1]))
        assert build.is_test(code.split('\n\n\n')[0].strip()), f"{name}.html folds more than tests: {code[:80]}"
    for answer in re.findall(r'<details class="answer">(.*?)</details>', src, re.DOTALL):
        assert re.match(r'<summary>(Answer|Hint)</summary>\s*<p>', answer), f"{name}.html: answer {answer[:80]!r}"


def test_sidebar_lists_lessons_then_appendices(site):
    nav = re.search(r'<nav class="bd-links bd-docs-nav.*?</nav>', (site/'index.html').read_text('utf-8'), re.DOTALL)[0]
    order = [h for h in re.findall(r'href="([\w.]+)\.html"', nav) if h != 'index']
    assert order == PAGES[1:]
    assert [build.is_appendix(p) for p in build.notebooks()[1:]] == sorted(build.is_appendix(p)
                                                                        for p in build.notebooks()[1:])


def test_index_lists_the_exported_api_where_it_is_taught(site):
    from execnb.nbio import read_nb
    index = (site/'genindex.html').read_text('utf-8')
    entries = dict((n, p) for p, n in re.findall(r'<a href="(\w+)\.html#[\w-]+">([\w.]+)</a>', index))
    missing = [f"{n} ({build.page_name(p)})" for p in build.notebooks() for n in build.defs(read_nb(p).cells)
               if entries.get(n) != build.page_name(p)]
    assert not missing, f"genindex.html doesn't link these to where they are taught: {missing}"


# --- in the browser --------------------------------------------------------------------------------------------------

@pytest.fixture(scope='session')
def tab(site):
    "One Chromium tab at 1280 px, reused page after page, that logs what each page requests."
    exe = shutil.which('chromium') or shutil.which('google-chrome')
    require(exe is not None, "Chromium is not installed (Debian: `apt-get install chromium`)")
    try: from playwright.sync_api import sync_playwright
    except ImportError: sync_playwright = None
    require(sync_playwright is not None, "playwright is not installed: run `make venv`")
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), functools.partial(Uncached, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=ARGS)
        tab = b.new_context(viewport={'width': 1280, 'height': 900}).new_page()
        tab.base, tab.log = f'http://127.0.0.1:{server.server_address[1]}/', []
        tab.on('request', lambda r: tab.log.append(r.url))
        tab.on('response', lambda r: r.status >= 400 and tab.log.append(f'error: {r.status} {r.url}'))
        tab.on('pageerror', lambda e: tab.log.append(f'error: {e}'))
        tab.add_init_script(MATH_AT_FIRST_PAINT)
        yield tab
        b.close()
    server.shutdown(); server.server_close()


class Uncached(http.server.SimpleHTTPRequestHandler):
    "Every page load fetches everything it needs, as a first visit does: that is what page weight measures."
    def log_message(self, *args): pass
    def end_headers(self): self.send_header('Cache-Control', 'no-store'); super().end_headers()


def visit(tab, path:str, js:str, wait:str|None=None):
    "Load `path` in `tab` (logging its requests afresh), with its fonts; return what `js` computes there."
    tab.log.clear()
    tab.goto(tab.base + path)
    if wait: tab.wait_for_selector(wait, timeout=15_000)
    return tab.evaluate(f'document.fonts.ready.then({js})')


MATH_AT_FIRST_PAINT = """document.addEventListener('DOMContentLoaded', () => requestAnimationFrame(() => {
    window.mathAtFirstPaint = [...document.querySelectorAll('.katex')].filter(k => k.checkVisibility())
                              .slice(0, 20).map(k => k.getBoundingClientRect().width); }));"""
PAGE_JS = """() => {
  const $$ = q => [...document.querySelectorAll(q)], d = {toggle: null, optional: null, columns: 88};
  d.weight = [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')]
    .filter(e => !e.name.includes('/_images/')).reduce((s, e) => s + e.decodedBodySize, 0);
  d.shrunk = $$('div.cell_output img').filter(i => i.width < i.naturalWidth / 2 - 1).map(i => i.alt);
  d.math = $$('.katex').filter(k => k.checkVisibility()).slice(0, 20).map(k => k.getBoundingClientRect().width);
  d.mathAtFirstPaint = window.mathAtFirstPaint;
  d.katexFont = document.fonts.check('16px KaTeX_Main');
  d.toggles = $$('.bd-article details > summary').map(s => s.getAttribute('aria-label') || s.innerText);
  const pre = $$('div.highlight pre')[0], s = $$('.bd-article details > summary')[0];
  if (pre) {   // how many columns of code a code cell shows
    const x = pre.appendChild(document.createElement('span')), c = getComputedStyle(pre);
    x.textContent = 'x'.repeat(88);
    d.columns = 88 * (pre.clientWidth - parseFloat(c.paddingLeft) - parseFloat(c.paddingRight))
                / x.getBoundingClientRect().width;
    x.remove();
  }
  if (s) {   // the first toggle starts closed and opens on a click
    const body = s.parentElement.querySelector(':scope > :not(summary)'), before = body.checkVisibility();
    s.click(); d.toggle = [before, body.checkVisibility()];
  }
  const o = $$('.optional-toggle')[0], sec = o && o.parentElement;   // optional sections start folded
  if (o) { const shown = () => [...sec.children].filter(c => c.checkVisibility()).length;
           const before = shown(); o.click(); d.optional = [before < shown(), shown() === sec.children.length]; }
  $$('.optional-toggle').forEach(b => b.parentElement.classList.contains('open') || b.click());
  $$('.bd-article details').forEach(e => e.open = true);   // then all open: folded code must fit too
  d.mathCut = $$('.katex-display').filter(k => k.scrollWidth > k.clientWidth + 1).map(k => k.innerText.slice(0, 30));
  d.cutOff = $$('div.highlight pre').filter(p => p.scrollWidth > p.clientWidth + 1)
    .map(p => p.textContent.split('\\n').find(l => l.length > 80) || p.textContent.slice(0, 80));
  return d;
}"""


@pytest.mark.parametrize('name', PAGES)
def test_page_in_the_browser(tab, name):
    "At 1280 px, then at 390 px (a phone; the same page, resized: no second load)."
    d = visit(tab, f"{name}.html", PAGE_JS)
    assert d['weight'] <= 1_000_000, f"{name}.html weighs {d['weight']:,} bytes before its figures"
    assert d['columns'] >= 88, f"{name}.html shows {d['columns']:.0f} code columns at 1280 px"
    assert not d['shrunk'], f"{name}.html: figures shrunk below half their pixels (text under 10 px): {d['shrunk']}"
    for _ in range(4):   # preloaded fonts usually beat the first paint, but it is a race (lost under load): retry
        if d['math'] == d['mathAtFirstPaint']: break
        d = visit(tab, f"{name}.html", PAGE_JS)
    assert d['math'] == d['mathAtFirstPaint'], f"{name}.html: math moved after first paint"
    assert all(w > 0 for w in d['math']) and (d['katexFont'] or not d['math'])
    assert set(d['toggles']) <= {'Tests', 'Answer', 'Hint'}, f"{name}.html: toggles named {set(d['toggles'])}"
    assert d['toggle'] in (None, [False, True]), f"{name}.html: a toggle doesn't start closed and open: {d['toggle']}"
    assert d['optional'] in (None, [True, True]), f"{name}.html: optional section not folded, or won't open"
    assert not d['cutOff'], f"{name}.html: code lines over 88 columns, cut off at 1280 px: {d['cutOff'][:3]}"
    assert not d['mathCut'], f"{name}.html: formulas cut off at 1280 px: {d['mathCut']}"
    tab.set_viewport_size({'width': 390, 'height': 900})
    width = tab.evaluate('document.documentElement.scrollWidth')
    tab.set_viewport_size({'width': 1280, 'height': 900})
    assert width <= 390, f"{name}.html at 390 px: {width} px wide (scrolls sideways?)"
    errors = [e for e in tab.log if e.startswith('error:')]
    assert not errors, f"{name}.html: JavaScript errors or requests that failed (404s): {errors}"
    outside = [u for u in tab.log if urlparse(u).hostname not in ('127.0.0.1', None) and not u.startswith('data:')]
    assert not outside, f"{name}.html requested other hosts: {outside}"


def test_heatmap_numbers_are_big_and_contrasted(tab):
    js = """() => [...document.querySelectorAll('table[id^="T_"] td')].map(td => { const s = getComputedStyle(td);
        return [s.color, s.backgroundColor, parseFloat(s.fontSize)]; })"""
    cells = visit(tab, 'pixels.html', js)
    assert len(cells) > 30, "pixels.html has no pandas heatmap"
    def lum(c):
        v = [int(x)/255 for x in re.findall(r'\d+', c)[:3]]
        v = [x/12.92 if x <= 0.04045 else ((x + 0.055)/1.055)**2.4 for x in v]
        return 0.2126*v[0] + 0.7152*v[1] + 0.0722*v[2]
    ratios = [(max(lum(f), lum(b)) + 0.05)/(min(lum(f), lum(b)) + 0.05) for f, b, _ in cells]
    assert min(ratios) >= 4.5, f"heatmap text contrast down to {min(ratios):.2f}:1"
    assert min(s for *_, s in cells) >= 11, "heatmap numbers under 11 px"


def test_search_finds_pages_with_snippets_without_tex(tab):
    js = "() => [...document.querySelectorAll('#search-results li')].map(li => [li.querySelector('a').href, " \
         "li.innerText])"
    for q, page in ('broadcasting', 'broadcasting.html'), ('derivative', 'sgd.html'):   # (snippets with math)
        found = visit(tab, f'search.html?q={q}', js, wait='#search-results li p.context')
        assert any(page in h for h, _ in found), found
        assert not [t for _, t in found if re.search(r'\\[a-z]+|\$', t)], f"raw TeX in search snippets for {q!r}"
