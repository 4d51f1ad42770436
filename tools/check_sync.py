"""Fail if `nbdev_clean` or `nbdev_export` changes any notebook or module: what is committed must be clean and in sync.

"Clean" is what JupyterLab saves under `make lab` (tools/lab_config.py): nbdev's cleaning, and no views of
interactive widgets nor widget state (their ids change on every run). So a learner who opens a notebook and saves it changes nothing.
"""
import hashlib, json, sys
from pathlib import Path
from nbdev.clean import nbdev_clean
from nbdev.doclinks import nbdev_export

root = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(root/'tools'))
from lab_config import drop_widget_views  # noqa: E402

watched = lambda: {p: hashlib.sha256(p.read_bytes()).hexdigest()
                   for p in [*root.glob('nbs/*.ipynb'), *root.glob('mnist37/*.py')]}
before = watched()
for nb_path in root.glob('nbs/*.ipynb'):
    nb = json.loads(nb_path.read_text(encoding='utf-8'))
    if drop_widget_views(nb): nb_path.write_text(json.dumps(nb, ensure_ascii=False), encoding='utf-8')
nbdev_clean()   # (re)writes them in nbdev's format
nbdev_export()
after = watched()
changed = sorted(str(p.relative_to(root)) for p in before.keys() | after.keys() if before.get(p) != after.get(p))
if changed:
    sys.exit("nbdev_clean/nbdev_export changed these files (now fixed in place; review and commit them):\n  "
             + "\n  ".join(changed))
print(f"notebooks clean and library in sync ({len(after)} files checked)")
