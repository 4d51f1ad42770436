"""JupyterLab settings for `make lab`, so that working in the lab leaves git clean.

Jupyter reads this file because `make lab` passes `--config=tools/lab_config.py`. Every save (autosave included)
goes through `clean_on_save`:
- nbdev's own save hook, which `jupyter_hooks = True` in settings.ini turns on, strips execution counts and the
  metadata a kernel adds (`language_info`, the kernel's display name), as `nbdev_clean` does;
- views of interactive widgets, and the widget state nbconvert stores in the notebook's metadata, are dropped: their
  ids change on every run, and they show nothing without a kernel;
- an output that differs from the one on disk only in the times it shows (a progress bar's `00:01<00:00`, the
  `time` column of fastai's tables) keeps the version on disk, so re-running a notebook on another machine leaves
  it as it was.
The server listens on 127.0.0.1 only, and asks for no news and no update check. The page does not ask the server
whether JupyterLab needs rebuilding (a second of the server's time on every page load, for an answer that needs
Node.js to act on, which a learner doesn't have).
"""
import json, os, re

WIDGET_VIEW = 'application/vnd.jupyter.widget-view+json'
_TIME = re.compile(r'\b\d{1,2}:\d\d(?::\d\d)?\b')


def drop_widget_views(nb) -> bool:
    "Remove from `nb` the views of interactive widgets and their saved state; True if there were any."
    changed = nb.get('metadata', {}).pop('widgets', None) is not None   # what nbconvert --execute stores
    for cell in nb['cells']:
        outs = cell.get('outputs')
        if not outs: continue
        kept = [o for o in outs if WIDGET_VIEW not in o.get('data', {})]
        if len(kept) != len(outs): cell['outputs'], changed = kept, True
    return changed


def _timeless(outputs) -> str:
    "`outputs` as text with every clock time (mm:ss, h:mm:ss) blanked out."
    return _TIME.sub('--:--', json.dumps(outputs, sort_keys=True))


def keep_outputs_that_differ_only_in_time(nb, old) -> int:
    "Give each code cell of `nb` the outputs it has in `old` when they differ only in times; how many cells kept."
    by_id = {c.get('id'): c for c in old.get('cells', []) if c.get('cell_type') == 'code'}
    kept = 0
    for cell in nb['cells']:
        prev = by_id.get(cell.get('id'))
        if (cell.get('cell_type') != 'code' or prev is None or prev.get('source') != cell.get('source')
                or prev.get('outputs') == cell.get('outputs')): continue
        if _timeless(prev.get('outputs', [])) == _timeless(cell.get('outputs', [])):
            cell['outputs'], kept = prev['outputs'], kept + 1
    return kept


def clean_on_save(model, path, **kwargs):
    "Jupyter's pre-save hook: nbdev's cleaning, no widget views, and outputs kept that differ only in time."
    if model.get('type') != 'notebook': return
    from nbdev.clean import clean_jupyter
    cm = kwargs.get('contents_manager')
    if cm is not None: path = os.path.join(cm.root_dir, path)  # nbdev finds settings.ini from here
    clean_jupyter(path=path, model=model, **kwargs)
    nb = model['content']
    drop_widget_views(nb)
    try:
        with open(path, encoding='utf-8') as f: old = json.load(f)
    except (OSError, ValueError): return
    keep_outputs_that_differ_only_in_time(nb, old)


try: c = get_config()  # noqa: F821  (defined when Jupyter loads this file; absent when it is imported)
except NameError: c = None
if c is not None:
    import warnings  # Jupyter loads this file twice (server and lab); setting the hook again is expected
    warnings.filterwarnings('ignore', message='Overriding existing pre_save_hook', category=UserWarning)
    c.ServerApp.ip = '127.0.0.1'           # only this machine can reach the lab
    c.ContentsManager.pre_save_hook = clean_on_save
    c.LabApp.news_url = None              # no request for Jupyter's news
    c.LabApp.check_for_updates_class = 'jupyterlab.NeverCheckForUpdate'
    c.ServerApp.tornado_settings = {'page_config_data': {'buildCheck': False, 'buildAvailable': False}}
