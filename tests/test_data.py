"""Faults and edge cases of `mnist37.data`: each bad input gets a clear error, nothing half-written is
left, and nothing but MNIST_SAMPLE's own images is ever served (issue 12, items 1-9)."""
import errno, hashlib, io, json, os, re, shutil, signal, socket, subprocess, sys, tarfile, threading, time
from configparser import ConfigParser
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import mnist37.data as data
from conftest import mounted_tmpfs, require

SMALL = {'train/3': 3, 'train/7': 2, 'valid/3': 2, 'valid/7': 1}
ROOT = Path(__file__).resolve().parents[1]

def pixels(key:str, i:int) -> np.ndarray:
    "A made-up 28×28 image, different for every folder and index: noise, so it compresses badly."
    return np.random.default_rng([SMALL_SEED, *map(ord, key), i]).integers(0, 256, (28, 28), np.uint8)
SMALL_SEED = 37

def png_bytes(a:np.ndarray|None=None, size=(28, 28), mode='L') -> bytes:
    buf = io.BytesIO()
    a = np.full(size[::-1], 128, np.uint8) if a is None else a
    Image.fromarray(a).convert(mode).save(buf, format='PNG')
    return buf.getvalue()

def digest(names, stack) -> str:
    "The content digest as the issue defines it: sha256 of the sorted names, then the decoded pixels."
    return hashlib.sha256('\n'.join(names).encode() + b'\0' + stack.astype(np.uint8).tobytes()).hexdigest()

def small_digests(counts=SMALL) -> dict:
    "The content digests of the made-up dataset `make_archive` packs."
    return {k: digest([f'{i}.png' for i in range(n)], np.stack([pixels(k, i) for i in range(n)]))
            for k, n in counts.items()}

@pytest.fixture
def small(monkeypatch):
    "Make the checks expect a tiny made-up dataset, so archives take milliseconds to build."
    monkeypatch.setattr(data, 'EXPECTED_COUNTS', SMALL)
    monkeypatch.setattr(data, 'CONTENT_SHA256', small_digests(), raising=False)

@pytest.fixture
def fastai_home(tmp_path, monkeypatch):
    monkeypatch.setenv('FASTAI_HOME', str(tmp_path/'fastai'))
    monkeypatch.delenv(data.ARCHIVE_ENV, raising=False)
    return tmp_path/'fastai'

def add_file(tf, name, payload:bytes):
    info = tarfile.TarInfo(name); info.size = len(payload)
    tf.addfile(info, io.BytesIO(payload))

def make_archive(path:Path, counts=SMALL, odd:dict|None=None, extra=(), files=()) -> Path:
    """A gzipped tar laid out like MNIST_SAMPLE, holding the made-up images; `odd` maps a member
    name to other bytes, `extra` adds TarInfos, `files` adds (name, bytes) members."""
    with tarfile.open(path, 'w:gz') as tf:
        add_file(tf, 'mnist_sample/labels.csv', b'name,label\n')
        for key, n in counts.items():
            for i in range(n):
                name = f'mnist_sample/{key}/{i}.png'
                add_file(tf, name, (odd or {}).get(name, png_bytes(pixels(key, i))))
        for info in extra: tf.addfile(info)
        for name, payload in files: add_file(tf, name, payload)
    return path

def leftovers(*folders:Path) -> list[str]:
    "Hidden temp folders and temp files mnist37 may have left in `folders`."
    return sorted(p.name for f in folders if f.exists() for p in f.iterdir()
                  if p.name.startswith('.mnist_sample-') or p.name.endswith('.tmp'))

def assert_nothing_left(dest:Path):
    "No dataset and no temporary folder: the destination is as it was before."
    assert not (dest/'mnist_sample').exists()
    assert leftovers(dest) == []

def install(tmp_path) -> Path:
    return data.extract_mnist_sample(make_archive(tmp_path/'ok.tgz'), tmp_path/'data')

def no_delete_advice(msg:str) -> bool:
    "Whether `msg` gives no advice to delete anything (the word alone: test folder names contain 'delete_')."
    return not re.search(r'\bdelete\b', msg, re.I)

# --- what already worked: unpacking safely ---------------------------------------------------------

def test_small_archive_extracts(tmp_path, small):
    target = install(tmp_path)
    assert target == tmp_path/'data'/'mnist_sample'
    assert [len(data.image_files(target, k[:5], int(k[-1]))) for k in SMALL] == list(SMALL.values())
    assert sorted(p.name for p in (tmp_path/'data').iterdir()) == ['mnist_sample']

def test_truncated_archive(tmp_path, small):
    good = make_archive(tmp_path/'good.tgz').read_bytes()
    bad = tmp_path/'truncated.tgz'; bad.write_bytes(good[:len(good)//2])
    with pytest.raises(ValueError, match='truncated.tgz is corrupt or truncated'):
        data.extract_mnist_sample(bad, tmp_path/'data')
    assert_nothing_left(tmp_path/'data')

def test_not_an_archive(tmp_path):
    bad = tmp_path/'noise.tgz'; bad.write_bytes(os.urandom(1000))
    with pytest.raises(ValueError, match='corrupt or truncated'): data.extract_mnist_sample(bad, tmp_path/'data')
    assert_nothing_left(tmp_path/'data')

def test_dotdot_member(tmp_path, small):
    evil = tarfile.TarInfo('mnist_sample/../../evil'); evil.size = 0
    arc = make_archive(tmp_path/'evil.tgz', extra=[evil])
    with pytest.raises(ValueError, match="would be written outside the target"): data.extract_mnist_sample(arc, tmp_path/'data')
    assert not (tmp_path/'evil').exists()
    assert_nothing_left(tmp_path/'data')

def test_absolute_member(tmp_path, small):
    evil = tarfile.TarInfo(str(tmp_path/'abs-evil')); evil.size = 0
    with pytest.raises(ValueError, match="would be written outside the target"):
        data.extract_mnist_sample(make_archive(tmp_path/'abs.tgz', extra=[evil]), tmp_path/'data')
    assert not (tmp_path/'abs-evil').exists()

def test_symlink_member(tmp_path, small):
    link = tarfile.TarInfo('mnist_sample/train/3/link.png'); link.type, link.linkname = tarfile.SYMTYPE, '/etc/passwd'
    with pytest.raises(ValueError, match='is a link or special file'):
        data.extract_mnist_sample(make_archive(tmp_path/'link.tgz', extra=[link]), tmp_path/'data')
    assert_nothing_left(tmp_path/'data')

def test_other_dataset(tmp_path, small):
    arc = tmp_path/'pets.tgz'
    with tarfile.open(arc, 'w:gz') as tf: add_file(tf, 'oxford-iiit-pet/images/cat.png', png_bytes())
    with pytest.raises(ValueError, match='is not MNIST_SAMPLE'): data.extract_mnist_sample(arc, tmp_path/'data')
    assert_nothing_left(tmp_path/'data')

def test_wrong_counts(tmp_path, small):
    arc = make_archive(tmp_path/'short.tgz', counts={**SMALL, 'valid/3': 1})
    with pytest.raises(ValueError, match='short.tgz is not a complete .*valid/3 has 1 images, but MNIST_SAMPLE has 2'):
        data.extract_mnist_sample(arc, tmp_path/'data')
    assert_nothing_left(tmp_path/'data')

def test_missing_folder(tmp_path, small):
    arc = make_archive(tmp_path/'no7.tgz', counts={k: v for k, v in SMALL.items() if k != 'valid/7'})
    with pytest.raises(FileNotFoundError, match='no7.tgz is not a complete MNIST_SAMPLE: it has no folder valid/7'):
        data.extract_mnist_sample(arc, tmp_path/'data')
    assert_nothing_left(tmp_path/'data')

@pytest.mark.parametrize('size,mode,msg', [((27, 28), 'L', '27×28'), ((28, 28), 'RGB', "mode 'RGB'")])
def test_wrong_image(tmp_path, small, size, mode, msg):
    arc = make_archive(tmp_path/'odd.tgz', odd={'mnist_sample/valid/3/1.png': png_bytes(size=size, mode=mode)})
    with pytest.raises(ValueError, match=f'odd.tgz: valid/3/1.png is .*{msg}'): data.extract_mnist_sample(arc, tmp_path/'data')
    assert_nothing_left(tmp_path/'data')

def test_interrupted_extraction(tmp_path, small, monkeypatch):
    "Ctrl-C after the files are written but before the rename leaves nothing behind."
    def interrupt(*args, **kwargs): raise KeyboardInterrupt
    monkeypatch.setattr(data, '_verify', interrupt)
    with pytest.raises(KeyboardInterrupt): install(tmp_path)
    assert_nothing_left(tmp_path/'data')

def test_existing_target_is_not_overwritten(tmp_path, small):
    (tmp_path/'data'/'mnist_sample').mkdir(parents=True)
    with pytest.raises(FileExistsError, match='already exists, and is never overwritten'): install(tmp_path)

class read_only:
    "Make `folder` unwritable, even for root (which ignores mode bits) by also marking it immutable."
    def __init__(self, folder): self.folder = folder
    def __enter__(self):
        self.folder.chmod(0o555)
        self.immutable = os.geteuid() == 0 and shutil.which('chattr') and \
            subprocess.run(['chattr', '+i', str(self.folder)], capture_output=True).returncode == 0
        probe = self.folder/'.probe'
        try: probe.touch(); probe.unlink(); writable = True
        except OSError: writable = False
        require(not writable, f"can't make {self.folder} read-only here")
        return self.folder
    def __exit__(self, *exc):
        if self.immutable: subprocess.run(['chattr', '-i', str(self.folder)])
        self.folder.chmod(0o755)

def test_read_only_target(tmp_path, small):
    dest = tmp_path/'locked'; dest.mkdir()
    with read_only(dest):
        with pytest.raises(PermissionError, match="Can't write to .*FASTAI_HOME"):
            data.extract_mnist_sample(make_archive(tmp_path/'ok.tgz'), dest)
    assert list(dest.iterdir()) == []

def test_no_data_no_network(fastai_home, monkeypatch):
    with socket.socket() as s:  # a port nobody listens on: the connection is refused at once
        s.bind(('127.0.0.1', 0)); port = s.getsockname()[1]
    monkeypatch.setattr(data, 'MNIST_SAMPLE_URL', f'http://127.0.0.1:{port}/mnist_sample.tgz')
    with pytest.raises(ConnectionError) as e: data.get_mnist_sample()
    msg = str(e.value)
    assert 'failed' in msg and data.MNIST_SAMPLE_URL in msg and 'MNIST37_ARCHIVE' in msg and '--archive' in msg
    assert leftovers(fastai_home/'data') == [] and not (fastai_home/'data'/'mnist_sample').exists()

def test_archive_from_environment(fastai_home, tmp_path, small, monkeypatch):
    monkeypatch.setenv(data.ARCHIVE_ENV, str(make_archive(tmp_path/'ok.tgz')))
    assert data.get_mnist_sample() == fastai_home/'data'/'mnist_sample'
    (tmp_path/'ok.tgz').unlink()  # the second call finds the folder and never looks at the archive
    assert data.get_mnist_sample() == fastai_home/'data'/'mnist_sample'

@pytest.mark.filterwarnings('ignore::pytest.PytestUnraisableExceptionWarning')  # fastcore's Config leaves its file open
def test_fastai_agrees_on_the_data_folder(fastai_home):
    from fastai.data.external import fastai_path
    assert data.fastai_data_path() == fastai_path('data') == fastai_home/'data'

@pytest.fixture
def scratch(tmp_path):
    "A folder for the real dataset's 14,434 files: in memory (a tmpfs) if we may mount one, as disks are slow when busy."
    with mounted_tmpfs(tmp_path/'ram', '200m'): yield tmp_path/'ram'

def test_real_archive(scratch):
    "The real archive installs, its images match the hard-coded digests, and it loads with the published counts."
    archive = os.getenv(data.ARCHIVE_ENV)
    require(archive and Path(archive).is_file(), f"set {data.ARCHIVE_ENV} to a copy of mnist_sample.tgz")
    target = data.extract_mnist_sample(archive, scratch)
    assert sorted(p.name for p in scratch.iterdir()) == ['mnist_sample']
    assert sorted(p.name for p in target.iterdir()) == [data.CACHE_NAME, data.MARKER_NAME, 'labels.csv', 'train', 'valid']
    mnist = data.load_mnist_sample(target)
    assert [len(t) for t in mnist] == [6131, 6265, 1010, 1028]
    assert all(t.shape[1:] == (28, 28) and t.dtype == torch.float32 and 0 <= t.min() and t.max() <= 1 for t in mnist)

# The command never uses torch: a stand-in spares the busy test machine its 2-second import.
STUB_TORCH = "import sys, types; sys.modules['torch'] = types.SimpleNamespace(Tensor=None, from_numpy=lambda a: a)\n"

def run_cli(*args, env=None):
    return subprocess.run([sys.executable, '-c', STUB_TORCH + 'from mnist37.data import main; sys.exit(main())', *args],
                          capture_output=True, text=True, env={**os.environ, **(env or {})})

def test_cli_help():
    r = run_cli('data', '--help')
    assert r.returncode == 0 and '--archive' in r.stdout and 'MNIST37_ARCHIVE' in r.stdout

def test_cli_reports_a_bad_archive(tmp_path):
    r = run_cli('data', '--archive', str(tmp_path/'missing.tgz'), env={'FASTAI_HOME': str(tmp_path/'fastai')})
    assert r.returncode == 1
    assert r.stderr.startswith(f"mnist37: error: No archive at {tmp_path/'missing.tgz'}")
