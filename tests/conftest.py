import os
import pytest

def require(condition:bool, reason:str):
    "Skip when `condition` is false, except under CI (the `CI` environment variable), where a missing requirement fails."
    if condition: return
    if os.getenv('CI'): pytest.fail(f"required under CI: {reason}")
    pytest.skip(reason)
