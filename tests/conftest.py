import contextlib, os, subprocess
import pytest

def require(condition:bool, reason:str):
    "Skip when `condition` is false, except under CI (the `CI` environment variable), where a missing requirement fails."
    if condition: return
    if os.getenv('CI'): pytest.fail(f"required under CI: {reason}")
    pytest.skip(reason)


@contextlib.contextmanager
def mounted_tmpfs(folder, size:str):
    "Mount a tmpfs of `size` on `folder` for the block, if this machine lets us; yields whether it did."
    folder.mkdir()
    ok = os.geteuid() == 0 and subprocess.run(['mount', '-t', 'tmpfs', '-o', f'size={size}', 'tmpfs', str(folder)],
                                              capture_output=True).returncode == 0
    try: yield ok
    finally:
        if ok: subprocess.run(['umount', str(folder)])
