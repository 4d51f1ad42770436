"Faults and edge cases of `mnist37.data`: each bad input gets its clear error, and no half-written dataset is left."
import io, os, shutil, subprocess, sys, tarfile
from pathlib import Path
from urllib.error import URLError

import numpy as np
import pytest
import torch
from PIL import Image

import mnist37.data as data
from conftest import require

SMALL = {'train/3': 3, 'train/7': 2, 'valid/3': 2, 'valid/7': 1}

@pytest.fixture
def small_counts(monkeypatch):
    "Make the checks expect a tiny dataset, so fault archives take milliseconds to build."
    monkeypatch.setattr(data, 'EXPECTED_COUNTS', SMALL)

@pytest.fixture
def fastai_home(tmp_path, monkeypatch):
    monkeypatch.setenv('FASTAI_HOME', str(tmp_path/'fastai'))
    monkeypatch.delenv(data.ARCHIVE_ENV, raising=False)
    return tmp_path/'fastai'

def png_bytes(size=(28, 28), mode='L') -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.full(size[::-1], 128, np.uint8)).convert(mode).save(buf, format='PNG')
    return buf.getvalue()

def add_file(tf, name, payload:bytes):
    info = tarfile.TarInfo(name); info.size = len(payload)
    tf.addfile(info, io.BytesIO(payload))

def make_archive(path:Path, counts=SMALL, odd:dict|None=None, extra=()) -> Path:
    "A gzipped tar laid out like MNIST_SAMPLE; `odd` maps a member name to other PNG bytes, `extra` adds TarInfos."
    with tarfile.open(path, 'w:gz') as tf:
        for key, n in counts.items():
            for i in range(n):
                name = f'mnist_sample/{key}/{i}.png'
                add_file(tf, name, (odd or {}).get(name, png_bytes()))
        for info in extra: tf.addfile(info)
    return path

def assert_nothing_left(dest:Path):
    "No dataset and no temporary folder: the destination is as it was before."
    assert not (dest/'mnist_sample').exists()
    assert not list(dest.glob('.mnist_sample-*')) if dest.exists() else True

def test_small_archive_extracts(tmp_path, small_counts):
    target = data.extract_mnist_sample(make_archive(tmp_path/'ok.tgz'), tmp_path/'data')
    assert target == tmp_path/'data'/'mnist_sample'
    assert [len(data.image_files(target, *k.split('/')[0:1], int(k[-1]))) for k in SMALL] == list(SMALL.values())
    assert sorted(p.name for p in (tmp_path/'data').iterdir()) == ['mnist_sample']

def test_truncated_archive(tmp_path, small_counts):
    good = make_archive(tmp_path/'good.tgz').read_bytes()
    bad = tmp_path/'truncated.tgz'; bad.write_bytes(good[:len(good)//2])
    with pytest.raises(ValueError, match='corrupt or truncated'): data.extract_mnist_sample(bad, tmp_path/'data')
    assert_nothing_left(tmp_path/'data')

def test_not_an_archive(tmp_path):
    bad = tmp_path/'noise.tgz'; bad.write_bytes(os.urandom(1000))
    with pytest.raises(ValueError, match='corrupt or truncated'): data.extract_mnist_sample(bad, tmp_path/'data')
    assert_nothing_left(tmp_path/'data')

def test_dotdot_member(tmp_path, small_counts):
    evil = tarfile.TarInfo('mnist_sample/../../evil'); evil.size = 0
    arc = make_archive(tmp_path/'evil.tgz', extra=[evil])
    with pytest.raises(ValueError, match="would be written outside the target"): data.extract_mnist_sample(arc, tmp_path/'data')
    assert not (tmp_path/'evil').exists()
    assert_nothing_left(tmp_path/'data')

def test_absolute_member(tmp_path, small_counts):
    evil = tarfile.TarInfo(str(tmp_path/'abs-evil')); evil.size = 0
    with pytest.raises(ValueError, match="would be written outside the target"):
        data.extract_mnist_sample(make_archive(tmp_path/'abs.tgz', extra=[evil]), tmp_path/'data')
    assert not (tmp_path/'abs-evil').exists()

def test_symlink_member(tmp_path, small_counts):
    link = tarfile.TarInfo('mnist_sample/train/3/link.png'); link.type, link.linkname = tarfile.SYMTYPE, '/etc/passwd'
    with pytest.raises(ValueError, match='is a link or special file'):
        data.extract_mnist_sample(make_archive(tmp_path/'link.tgz', extra=[link]), tmp_path/'data')
    assert_nothing_left(tmp_path/'data')

def test_other_dataset(tmp_path, small_counts):
    arc = tmp_path/'pets.tgz'
    with tarfile.open(arc, 'w:gz') as tf: add_file(tf, 'oxford-iiit-pet/images/cat.png', png_bytes())
    with pytest.raises(ValueError, match='is not MNIST_SAMPLE'): data.extract_mnist_sample(arc, tmp_path/'data')
    assert_nothing_left(tmp_path/'data')

def test_wrong_counts(tmp_path, small_counts):
    arc = make_archive(tmp_path/'short.tgz', counts={**SMALL, 'valid/3': 1})
    with pytest.raises(ValueError, match='has 1 images, but MNIST_SAMPLE has 2'): data.extract_mnist_sample(arc, tmp_path/'data')
    assert_nothing_left(tmp_path/'data')

def test_missing_folder(tmp_path, small_counts):
    arc = make_archive(tmp_path/'no7.tgz', counts={k: v for k, v in SMALL.items() if k != 'valid/7'})
    with pytest.raises(FileNotFoundError, match='Missing folder'): data.extract_mnist_sample(arc, tmp_path/'data')
    assert_nothing_left(tmp_path/'data')

@pytest.mark.parametrize('size,mode,msg', [((27, 28), 'L', '27×28'), ((28, 28), 'RGB', "mode 'RGB'")])
def test_wrong_image(tmp_path, small_counts, size, mode, msg):
    arc = make_archive(tmp_path/'odd.tgz', odd={'mnist_sample/valid/3/1.png': png_bytes(size, mode)})
    with pytest.raises(ValueError, match=msg): data.extract_mnist_sample(arc, tmp_path/'data')
    assert_nothing_left(tmp_path/'data')

def test_interrupted_extraction(tmp_path, small_counts, monkeypatch):
    "Ctrl-C after the files are written but before the rename leaves nothing behind."
    def interrupt(*args, **kwargs): raise KeyboardInterrupt
    monkeypatch.setattr(data, 'check_mnist_sample', interrupt)
    with pytest.raises(KeyboardInterrupt): data.extract_mnist_sample(make_archive(tmp_path/'ok.tgz'), tmp_path/'data')
    assert_nothing_left(tmp_path/'data')

def test_existing_target_is_not_overwritten(tmp_path, small_counts):
    (tmp_path/'data'/'mnist_sample').mkdir(parents=True)
    with pytest.raises(FileExistsError, match='already exists'):
        data.extract_mnist_sample(make_archive(tmp_path/'ok.tgz'), tmp_path/'data')

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

def test_read_only_target(tmp_path, small_counts):
    dest = tmp_path/'locked'; dest.mkdir()
    with read_only(dest):
        with pytest.raises(PermissionError, match="Can't write to .*FASTAI_HOME"):
            data.extract_mnist_sample(make_archive(tmp_path/'ok.tgz'), dest)
    assert list(dest.iterdir()) == []

def test_no_data_no_network(fastai_home, monkeypatch):
    def offline(): raise URLError('[Errno -3] Temporary failure in name resolution')
    monkeypatch.setattr(data, '_download_mnist_sample', offline)
    with pytest.raises(ConnectionError) as e: data.get_mnist_sample()
    msg = str(e.value)
    assert 'download failed' in msg and data.MNIST_SAMPLE_URL in msg and 'MNIST37_ARCHIVE' in msg
    assert str(fastai_home/'data'/'mnist_sample') in msg

def test_archive_from_environment(fastai_home, tmp_path, small_counts, monkeypatch):
    monkeypatch.setenv(data.ARCHIVE_ENV, str(make_archive(tmp_path/'ok.tgz')))
    assert data.get_mnist_sample() == fastai_home/'data'/'mnist_sample'
    (tmp_path/'ok.tgz').unlink()  # the second call finds the folder and never looks at the archive
    assert data.get_mnist_sample() == fastai_home/'data'/'mnist_sample'

def test_damaged_existing_dataset(fastai_home, tmp_path, small_counts):
    data.extract_mnist_sample(make_archive(tmp_path/'ok.tgz'), fastai_home/'data')
    next((fastai_home/'data'/'mnist_sample'/'train'/'7').iterdir()).unlink()
    with pytest.raises(ValueError, match=r'has 1 images, but MNIST_SAMPLE has 2.*Delete'): data.get_mnist_sample()

def test_cache_needs_a_writable_folder(tmp_path, small_counts):
    target = data.extract_mnist_sample(make_archive(tmp_path/'ok.tgz'), tmp_path/'data')
    with read_only(target):
        with pytest.raises(PermissionError, match="Can't write the cache.*cache=False"): data.load_mnist_sample(target)
        assert len(data.load_mnist_sample(target, cache=False).train_3s) == 3
    assert sorted(p.name for p in target.iterdir()) == ['train', 'valid']

def test_cache_is_rebuilt_when_an_image_changes(tmp_path, small_counts):
    target = data.extract_mnist_sample(make_archive(tmp_path/'ok.tgz'), tmp_path/'data')
    before = data.load_mnist_sample(target)
    assert (target/data.CACHE_NAME).exists()
    changed = data.image_files(target, 'valid', 7)[0]
    Image.fromarray(np.zeros((28, 28), np.uint8)).save(changed)
    os.utime(changed, ns=(1, 1))  # even a change that keeps the old size is seen through the time stamp
    after = data.load_mnist_sample(target)
    assert before.valid_7s[0].sum() > 0 and after.valid_7s[0].sum() == 0
    assert torch.equal(before.train_3s, after.train_3s)

@pytest.mark.filterwarnings('ignore::pytest.PytestUnraisableExceptionWarning')  # fastcore's Config leaves its file open
def test_fastai_agrees_on_the_data_folder(fastai_home):
    from fastai.data.external import fastai_path
    assert data.fastai_data_path() == fastai_path('data')

def test_real_archive(tmp_path):
    "The real MNIST_SAMPLE archive unpacks, checks deeply, and loads with the published counts."
    archive = os.getenv(data.ARCHIVE_ENV)
    require(archive and Path(archive).is_file(), f"set {data.ARCHIVE_ENV} to a copy of mnist_sample.tgz")
    target = data.extract_mnist_sample(archive, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ['mnist_sample']
    mnist = data.load_mnist_sample(target)
    assert [len(t) for t in mnist] == [6131, 6265, 1010, 1028]
    assert all(t.shape[1:] == (28, 28) and 0 <= t.min() and t.max() <= 1 for t in mnist)

def run_cli(*args, env=None):
    return subprocess.run([sys.executable, '-c', 'import sys; from mnist37.data import main; sys.exit(main())', *args],
                          capture_output=True, text=True, env={**os.environ, **(env or {})})

def test_cli_help():
    r = run_cli('data', '--help')
    assert r.returncode == 0 and '--archive' in r.stdout and 'MNIST37_ARCHIVE' in r.stdout

def test_cli_reports_a_bad_archive(tmp_path):
    r = run_cli('data', '--archive', str(tmp_path/'missing.tgz'), env={'FASTAI_HOME': str(tmp_path/'fastai')})
    assert r.returncode == 1
    assert r.stderr.startswith(f"mnist37: error: No archive at {tmp_path/'missing.tgz'}")
