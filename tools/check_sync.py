"Fail if `nbdev_clean` or `nbdev_export` changes any notebook or module: what is committed must be clean and in sync."
import hashlib, sys
from pathlib import Path
from nbdev.clean import nbdev_clean
from nbdev.doclinks import nbdev_export

root = Path(__file__).resolve().parent.parent
watched = lambda: {p: hashlib.sha256(p.read_bytes()).hexdigest()
                   for p in [*root.glob('nbs/*.ipynb'), *root.glob('mnist37/*.py')]}
before = watched()
nbdev_clean()
nbdev_export()
after = watched()
changed = sorted(str(p.relative_to(root)) for p in before.keys() | after.keys() if before.get(p) != after.get(p))
if changed:
    sys.exit("nbdev_clean/nbdev_export changed these files (now fixed in place; review and commit them):\n  "
             + "\n  ".join(changed))
print(f"notebooks clean and library in sync ({len(after)} files checked)")
