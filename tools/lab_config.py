"""JupyterLab settings for `make lab`, so that working in the lab leaves git clean.

Jupyter reads this file because `make lab` passes `--config=../tools/lab_config.py`. On every save (autosave
included) the notebook goes through nbdev's own save hook, which `jupyter_hooks = True` in settings.ini turns on:
it strips execution counts and the metadata a kernel adds (`language_info`, the kernel's display name). Then the
views of interactive widgets are dropped: their ids change on every run and they show nothing without a live kernel.
`tools/check_sync.py` applies the same cleaning to the committed notebooks, so a saved notebook matches them.
"""
WIDGET_VIEW = 'application/vnd.jupyter.widget-view+json'


def drop_widget_views(nb) -> bool:
    "Remove the outputs of `nb` that are views of interactive widgets; True if there were any."
    changed = False
    for cell in nb['cells']:
        outs = cell.get('outputs')
        if not outs: continue
        kept = [o for o in outs if WIDGET_VIEW not in o.get('data', {})]
        if len(kept) != len(outs): cell['outputs'], changed = kept, True
    return changed


def clean_on_save(model, path, **kwargs):
    "Jupyter's pre-save hook: nbdev's cleaning, then no widget views."
    if model.get('type') != 'notebook': return
    import os
    from nbdev.clean import clean_jupyter
    cm = kwargs.get('contents_manager')
    if cm is not None: path = os.path.join(cm.root_dir, path)  # nbdev finds settings.ini from here
    clean_jupyter(path=path, model=model, **kwargs)
    drop_widget_views(model['content'])


try: c = get_config()  # noqa: F821  (defined when Jupyter loads this file; absent when it is imported)
except NameError: c = None
if c is not None:
    c.ServerApp.ip = '127.0.0.1'           # only this machine can reach the lab
    c.ContentsManager.pre_save_hook = clean_on_save
