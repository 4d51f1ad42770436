"""The learner's path in a real browser: JupyterLab, started as `make lab` starts it, driven in headless Chromium.

The notebooks are copied to a temporary folder first (with settings.ini, which nbdev's save hook reads), so the
test never touches the repository. There it checks what a learner meets:
- opening a notebook and saving it without running anything changes nothing on disk (git stays clean);
- the committed notebooks are trusted, so 01's heatmaps show their colours before anything runs;
- in 05_sgd, "Run All Cells" ends with no error output and every image rendered, the learning-rate slider
  redraws its plot when moved, and the saved notebook is clean: nbdev's cleaning, no widget views, no paths
  from this machine, the same notebook metadata and the same text outputs as committed.

One lab and one browser page serve every test (JupyterLab's start-up in the page is the slow part, about 4 s), and
the notebooks open in it with "File > Open from Path…", as a learner might. The lab gets its own settings and
workspaces folders, so the machine's own lab settings neither change the test nor get written by it.

Without Chromium or playwright the tests skip, saying why; with the CI environment variable set they fail instead.
"""
from __future__ import annotations

import contextlib, json, os, re, shlex, shutil, signal, socket, subprocess, sys, time, urllib.request
from pathlib import Path

import pytest
from conftest import require

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = '/usr/bin/chromium'
CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
                 '--no-first-run']
TOKEN = 'mnist37-lab-test'
SGD_NB, OPEN_ONLY_NB, HEATMAP_NB = '05_sgd.ipynb', '04_gradients.ipynb', '01_pixels.ipynb'
WIDGET_VIEW = 'application/vnd.jupyter.widget-view+json'
PANEL = '.jp-NotebookPanel:not(.lm-mod-hidden)'


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _children(pid:int) -> list[int]:
    "The ids of `pid`'s child processes (Linux); the lab's are its kernels."
    try: return [int(c) for c in Path(f'/proc/{pid}/task/{pid}/children').read_text().split()]
    except OSError: return []


def lab_commands(nbs:Path, port:int) -> list[str]:
    "The shell commands `make lab` runs to start JupyterLab on `nbs`, as `make -n` prints them (the venv is this one)."
    args = ['make', '-s', '-n', '-C', str(ROOT), 'lab', f'BIN={Path(sys.executable).parent}', f'LAB_NBS={nbs}',
            f'LAB_PORT={port}', f'LAB_TOKEN={TOKEN}', 'LAB_ARGS=--no-browser --ServerApp.port_retries=0']
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout.replace('\\\n', ' ')
    cmds = [l.strip() for l in out.splitlines() if 'jupyter trust' in l or 'jupyter lab' in l]
    assert len(cmds) == 2, f"expected `make lab` to trust the notebooks and start the lab, got:\n{out}"
    return cmds


# --- fixtures: a copy of the notebooks, the lab serving them, a browser -------------------------------------------

@pytest.fixture(scope='module')
def work(tmp_path_factory) -> Path:
    "A copy of the project's notebooks and settings.ini, for the lab to open and save."
    d = tmp_path_factory.mktemp('lab')
    shutil.copytree(ROOT/'nbs', d/'nbs', ignore=shutil.ignore_patterns('_*', '.*'))
    shutil.copy(ROOT/'settings.ini', d)
    return d/'nbs'


@pytest.fixture(scope='module')
def lab_process(work):
    """JupyterLab serving `work`, started in the background by the commands `make lab` runs. `make lab` trusts the
    notebooks, then starts the lab; here both start at once (each spends seconds importing), and `lab` waits for
    both, so no test begins before the notebooks are trusted."""
    port = _free_port()
    trust, start = lab_commands(work, port)
    env = {**os.environ, 'JUPYTERLAB_SETTINGS_DIR': str(work.parent/'lab-settings'),
           'JUPYTERLAB_WORKSPACES_DIR': str(work.parent/'lab-workspaces')}
    log = open(work.parent/'lab.log', 'w')
    trusting = subprocess.Popen(trust, shell=True, executable='/bin/bash', stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
    proc = subprocess.Popen(start, shell=True, executable='/bin/bash', stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True, env=env)
    proc.url, proc.trusting = f'http://127.0.0.1:{port}', trusting
    try: yield proc
    finally:   # the lab shuts its kernels down (killing them first would have it restart them)
        if proc.trusting.poll() is None: proc.trusting.kill()
        proc.trusting.wait()
        os.killpg(proc.pid, signal.SIGTERM)
        try: proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            kernels = _children(proc.pid)
            os.killpg(proc.pid, signal.SIGKILL)
            for pid in kernels:   # in sessions of their own
                with contextlib.suppress(ProcessLookupError): os.kill(pid, signal.SIGKILL)
            proc.wait()
        log.close()


@pytest.fixture(scope='module')
def lab(lab_process, work):
    "The base URL of the lab, once the notebooks are trusted and it answers."
    proc, url = lab_process, lab_process.url
    out, _ = proc.trusting.communicate(timeout=60)
    assert proc.trusting.returncode == 0, f"`make lab`'s `jupyter trust` failed:\n{out}"
    deadline = time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f'{url}/api/status?token={TOKEN}', timeout=2).close()
            return url
        except OSError: time.sleep(0.1)
    assert proc.poll() is None, f"JupyterLab exited:\n{(work.parent/'lab.log').read_text()[-3000:]}"
    pytest.fail("JupyterLab did not answer within 60 s")


@pytest.fixture(scope='module')
def browser(lab_process):
    "Headless Chromium, launched while the lab starts."
    require(os.access(CHROMIUM, os.X_OK), f"Chromium is not at {CHROMIUM} (Debian: `apt-get install chromium`), so "
                                          "the lab can't be checked in a browser")
    try: from playwright.sync_api import sync_playwright
    except ImportError: sync_playwright = None
    require(sync_playwright is not None, "playwright is not installed: run `make venv`")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


class Lab:
    "JupyterLab loaded once in a browser page; `open` opens a notebook in it, as a learner would."
    def __init__(self, browser, url:str, work:Path):
        self.url, self.work, self.errors = url, work, []
        self.ctx = browser.new_context(viewport={'width': 1400, 'height': 1000})
        self.page = self.ctx.new_page()
        self.page.on('pageerror', lambda e: self.errors.append(str(e)))
        self.page.goto(f'{url}/lab?reset&token={TOKEN}', timeout=60_000)
        self.page.locator('.lm-MenuBar-item:has-text("File")').wait_for(timeout=60_000)

    def menu(self, top:str, item:str):
        self.page.click(f'.lm-MenuBar-item:has-text("{top}")')
        self.page.click(f'.lm-Menu-item:has(.lm-Menu-itemLabel:text-is("{item}"))')

    def open(self, name:str) -> 'Notebook':
        "Open `name` with File > Open from Path…, and wait until its tab is the current one."
        self.menu('File', 'Open from Path…')
        self.page.keyboard.type(name)
        self.page.keyboard.press('Enter')
        self.page.wait_for_function("name => document.querySelector('.lm-DockPanel-tabBar .lm-mod-current "
                                    ".lm-TabBar-tabLabel')?.textContent === name && document.querySelector("
                                    f"'{PANEL} .jp-Notebook')", arg=name, timeout=30_000, polling=100)
        return Notebook(self, name)

    def close(self): self.ctx.close()


class Notebook:
    "One notebook open in the lab, in the current tab."
    def __init__(self, lab:Lab, name:str):
        self.lab, self.page, self.name, self.path = lab, lab.page, name, lab.work/name
        self.cells = json.loads(self.path.read_text(encoding='utf-8'))['cells']

    def activate(self):
        "Bring this notebook's tab to the front."
        self.page.click(f'.lm-DockPanel-tabBar .lm-TabBar-tab:has(.lm-TabBar-tabLabel:text-is("{self.name}"))')
        self.page.wait_for_function("name => document.querySelector('.lm-DockPanel-tabBar .lm-mod-current "
                                    ".lm-TabBar-tabLabel')?.textContent === name", arg=self.name, timeout=10_000)

    def api(self, path:str):
        with urllib.request.urlopen(f'{self.lab.url}/api/{path}?token={TOKEN}', timeout=10) as r: return json.load(r)

    def wait_kernel(self, timeout:float=60):
        "Wait until this notebook's kernel has started, the page is connected to it, and it is idle."
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:   # the server's view: a session for this file, its kernel connected
            kernels = [s['kernel']['id'] for s in self.api('sessions') if s['path'] == self.name and s.get('kernel')]
            if kernels and self.api(f'kernels/{kernels[0]}')['connections'] > 0: break
            time.sleep(0.1)
        else: pytest.fail(f"no kernel connected to {self.name} within {timeout:.0f} s")
        self.page.wait_for_function(   # the page's view: it had the kernel's info, so its indicator says idle
            f"() => document.querySelector('{PANEL} .jp-Notebook-ExecutionIndicator')?.dataset.status === 'idle'",
            timeout=max(deadline - time.monotonic(), 1)*1000, polling=100)

    def wait_idle(self, timeout:float):
        "Wait until every cell is on the page, none is queued or running, and the kernel is idle."
        self.page.wait_for_function(f"""n => {{
            const panel = document.querySelector('{PANEL}');
            if (!panel || panel.querySelectorAll('.jp-Cell').length !== n) return false;
            const busy = [...panel.querySelectorAll('.jp-InputArea-prompt')].some(p => p.textContent.includes('*'));
            const ind = panel.querySelector('.jp-Notebook-ExecutionIndicator');
            return !busy && ind && ind.dataset.status === 'idle';
        }}""", arg=len(self.cells), timeout=max(timeout, 1)*1000, polling=100)

    def save(self) -> dict:
        "Save with Ctrl+S, as a learner does, wait for the file to change; return it as saved."
        before = self.path.stat().st_mtime_ns
        self.lab.menu('File', 'Save Notebook')   # what Ctrl+S does
        for _ in range(600):   # 30 s: a busy lab (05 runs in another tab) can be slow to save
            if self.path.stat().st_mtime_ns != before: break
            time.sleep(0.05)
        else: pytest.fail(f"saving {self.name} in JupyterLab did not write the file in 30 s")
        last = None   # the server writes the file, then the save hook cleans it: wait until it settles
        for _ in range(40):
            time.sleep(0.25)
            data = self.path.read_bytes()
            if data == last:
                try: return json.loads(data)
                except ValueError: pass
            last = data
        pytest.fail(f"{self.name} as saved never settled into JSON")


@pytest.fixture(scope='module')
def app(browser, lab, work):
    "JupyterLab in a browser page, shared by the tests."
    a = Lab(browser, lab, work)
    yield a
    a.close()


@pytest.fixture(scope='module')
def sgd_running(app):
    """05_sgd opened in the lab and started with Run > Run All Cells, as soon as its kernel is up. It runs in its tab
    while the tests of 04 and 01 use other tabs, as a learner reads one notebook while another runs."""
    nb = app.open(SGD_NB)
    nb.wait_kernel()
    nb.t0 = time.perf_counter()
    app.menu('Run', 'Run All Cells')
    nb.page.wait_for_function(f"() => [...document.querySelectorAll('{PANEL} .jp-InputArea-prompt')]"
                              ".some(p => p.textContent.includes('*'))", timeout=20_000, polling=100)
    return nb


@pytest.fixture(scope='module')
def sgd(sgd_running):
    "05_sgd, back in front, once Run All has finished."
    nb = sgd_running
    nb.activate()
    nb.wait_idle(240)
    nb.seconds = time.perf_counter() - nb.t0
    return nb


# --- the tests ----------------------------------------------------------------------------------------------------

def test_open_and_save_without_running_changes_nothing(app, work, sgd_running):
    committed = (ROOT/'nbs'/OPEN_ONLY_NB).read_bytes()
    nb = app.open(OPEN_ONLY_NB)
    nb.wait_kernel()   # the kernel starts, and JupyterLab writes what it tells into the notebook's metadata
    nb.wait_idle(60)   # every cell shown, as the learner sees it
    nb.save()          # as autosave would, two minutes later
    saved = (work/OPEN_ONLY_NB).read_bytes()
    assert saved == committed, (f"opening and saving {OPEN_ONLY_NB} changed it:\n"
                                + _diff(json.loads(committed), json.loads(saved)))


def test_committed_notebooks_are_trusted(app, sgd_running):
    "`make lab` ran `jupyter trust`: 01's pandas heatmap keeps its colours before anything runs."
    nb = app.open(HEATMAP_NB)
    table = f'{PANEL} .jp-OutputArea-output table td'
    try: nb.page.locator(table).first.wait_for(state='attached', timeout=30_000)
    except Exception: pytest.fail(f"no table in {HEATMAP_NB}'s saved outputs, 30 s after opening it")
    colours = nb.page.evaluate(f"""() => [...document.querySelectorAll('{table}')]
        .slice(0, 400).map(td => getComputedStyle(td).backgroundColor)""")
    assert colours, f"no table in {HEATMAP_NB}'s saved outputs"
    shaded = {c for c in colours if c not in ('rgba(0, 0, 0, 0)', 'transparent', 'rgb(255, 255, 255)')}
    assert len(shaded) > 5, f"{HEATMAP_NB}'s heatmap shows no colours: the notebook is not trusted"


def test_run_all_has_no_error_output(sgd):
    errors = sgd.page.evaluate(f"""() => [...document.querySelectorAll(
        '{PANEL} .jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')]
        .map(e => e.innerText.slice(0, 2000))""")
    assert not errors, f"{SGD_NB} printed errors when run in JupyterLab:\n" + '\n---\n'.join(errors)
    assert not sgd.lab.errors, f"JupyterLab's page raised: {sgd.lab.errors}"
    prompts = sgd.page.evaluate(f"""() => [...document.querySelectorAll('{PANEL} .jp-CodeCell .jp-InputArea-prompt')]
        .map(p => p.textContent)""")
    code = sum(c['cell_type'] == 'code' for c in sgd.cells)
    ran = [p for p in prompts if re.fullmatch(r'\[\d+\]:', p.strip())]
    assert len(ran) == len(prompts) == code, f"Run All ran {len(ran)} of {code} code cells: {prompts}"


def test_run_all_renders_every_image(sgd):
    images = sgd.page.evaluate(f"""() => [...document.querySelectorAll('{PANEL} .jp-OutputArea-output img')]
        .map(i => ({{ok: i.complete && i.naturalWidth > 0, w: i.naturalWidth}}))""")
    committed = json.loads((ROOT/'nbs'/SGD_NB).read_text(encoding='utf-8'))
    expected = sum(1 for c in committed['cells'] for o in c.get('outputs', []) if 'image/png' in o.get('data', {}))
    assert len(images) >= expected, f"{len(images)} images on the page after Run All, {expected} committed"
    assert all(i['ok'] for i in images), f"images that did not render: {[i for i in images if not i['ok']]}"


def test_lr_slider_redraws_the_plot(sgd):
    "05's `lr_explorer()`: moving the 'lr' slider with the keyboard redraws the descent plot under it."
    from playwright.sync_api import TimeoutError as Timeout
    page = sgd.page
    slider = page.locator(f'{PANEL} .widget-slider:has(.widget-label:text-is("lr"))').first
    try: slider.scroll_into_view_if_needed(timeout=10_000)
    except Timeout: pytest.fail("no slider labelled 'lr' after Run All: `lr_explorer()` showed no widget")
    box = slider.locator('xpath=ancestor::div[contains(@class,"jp-OutputArea")][1]').first
    img = box.locator('.widget-output img').first
    try: img.wait_for(timeout=20_000)
    except Timeout: pytest.fail("the 'lr' slider shows no plot under it, 20 s after Run All")
    before, readout = img.get_attribute('src'), slider.locator('.widget-readout').text_content()
    slider.locator('.noUi-handle').first.focus()
    t0 = time.perf_counter()
    for _ in range(10): page.keyboard.press('ArrowRight')   # 10 steps of 0.02 in log10: lr × 1.58
    after = slider.locator('.widget-readout').text_content()
    assert after != readout and float(after) > float(readout), f"the arrow keys took lr from {readout} to {after}"
    try:
        page.wait_for_function("([el, src]) => { const i = el.querySelector('.widget-output img');"
                               " return i && i.src !== src && i.complete && i.naturalWidth > 0; }",
                               arg=[box.element_handle(), before], timeout=20_000, polling=50)
    except Timeout: pytest.fail(f"moved the slider from lr={readout} to lr={after}, but the plot under it stayed "
                                "the same for 20 s: the slider does not redraw")
    print(f"lr {readout} -> {after}: the plot redrew in {time.perf_counter() - t0:.2f} s")


def test_saved_notebook_is_clean(sgd, work):
    "After Run All and Save, 05 is what nbdev_clean makes it, with no widget views or paths, and the same text."
    saved = sgd.save()
    committed = json.loads((ROOT/'nbs'/SGD_NB).read_text(encoding='utf-8'))
    from nbdev.clean import clean_nb
    recleaned = json.loads(json.dumps(saved))
    clean_nb(recleaned, allowed_metadata_keys=[], allowed_cell_metadata_keys=[])
    assert recleaned == saved, "the save hook did not clean the notebook:\n" + _diff(recleaned, saved)
    views = [i for i, c in enumerate(saved['cells']) for o in c.get('outputs', []) if WIDGET_VIEW in o.get('data', {})]
    assert not views, f"widget views saved in cells {views}"
    text = (work.parent/'nbs'/SGD_NB).read_text(encoding='utf-8')
    here = {str(work.parent), str(ROOT), str(Path.home()), sys.prefix}
    assert not [p for p in here if p in text], f"the saved notebook holds this machine's paths: {here}"
    assert saved['metadata'] == committed['metadata']
    sgd.saved = saved


def test_saved_outputs_are_the_committed_ones(sgd):
    "Run All then Save leaves 05's text outputs as committed (images aside): git stays clean, `git pull` works."
    saved = getattr(sgd, 'saved', None) or sgd.save()
    committed = json.loads((ROOT/'nbs'/SGD_NB).read_text(encoding='utf-8'))
    assert _text_outputs(saved) == _text_outputs(committed), (
        f"{SGD_NB}'s outputs changed when run in JupyterLab: either they vary by machine (make them stable), or "
        f"the committed ones are stale (re-execute the notebook):\n" + _diff(committed, saved))


def test_lab_listens_on_localhost_only(lab):
    assert lab.startswith('http://127.0.0.1:')
    with pytest.raises(urllib.error.HTTPError) as e: urllib.request.urlopen(f'{lab}/api/status')
    e.value.close()
    assert e.value.code == 403, "the lab answered without its token"


# --- helpers ------------------------------------------------------------------------------------------------------

def _text_outputs(nb:dict) -> list:
    "Each cell's outputs without images (their bytes may move with matplotlib's version) and without HTML tables' ids."
    res = []
    for c in nb['cells']:
        outs = []
        for o in c.get('outputs', []):
            d = {k: v for k, v in o.get('data', {}).items() if not k.startswith('image/')}
            outs.append((o['output_type'], o.get('name'), ''.join(o.get('text', '')),
                         {k: re.sub(r'T_[0-9a-f]{5}', 'T_', ''.join(v) if isinstance(v, list) else str(v))
                          for k, v in d.items()}))
        res.append(outs)
    return res


def _diff(a:dict, b:dict, limit:int=3000) -> str:
    import difflib
    dump = lambda nb: json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False).splitlines()
    return '\n'.join(difflib.unified_diff(dump(a), dump(b), 'committed', 'saved', lineterm='', n=1))[:limit]
