"""Issue 12, the data layer: one test (or more) per numbered item, plus a concurrency test and a kill test.
Every test runs on a made-up 8-image dataset in a temporary FASTAI_HOME, except the two that use the real archive."""
import errno, io, json, os, shutil, signal, socket, subprocess, sys, tarfile, threading, time
from configparser import ConfigParser
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import mnist37.data as data
from conftest import mounted_tmpfs, require
from test_data import (ROOT, SMALL, STUB_TORCH, add_file, assert_nothing_left, digest, fastai_home, install, leftovers, make_archive, scratch,
                       no_delete_advice, pixels, png_bytes, read_only, small, small_digests)

def genuine(mnist, counts=SMALL) -> bool:
    "Whether `mnist` holds exactly the made-up images, in order."
    return all(torch.equal(t, torch.from_numpy(np.stack([pixels(k, i) for i in range(n)])) / 255)
               for t, (k, n) in zip(mnist, counts.items()))

def flip(src:Path, dst:Path, at:float) -> Path:
    "Copy `src` to `dst` with one byte flipped: at a fraction of its length, or counted from the end if negative."
    b = bytearray(src.read_bytes()); b[int(len(b) * at) if at > 0 else int(at)] ^= 0xFF
    dst.write_bytes(bytes(b)); return dst

# Children run this: they expect the made-up dataset, optionally pause at a named point, then do `action`.
# They test files, locks and signals, not torch: a stand-in for torch spares the busy CPUs its import.
CHILD = STUB_TORCH + r'''
import json, os, sys, tarfile, time
import mnist37.data as data
spec = json.loads(os.environ['MNIST37_TEST_SPEC'])
data.EXPECTED_COUNTS, data.CONTENT_SHA256 = spec['counts'], spec['digests']
def hold():
    open(spec['ready'], 'w').close(); time.sleep(120)
point = spec.get('pause')
if point == 'extracting':      # after a few files are written
    makefile, n = tarfile.TarFile.makefile, [0]
    def slow(*a, **k):
        makefile(*a, **k); n[0] += 1
        if n[0] == 3: hold()
    tarfile.TarFile.makefile = slow
elif point == 'verifying':     # every file written, before the rename
    data._verify = lambda *a: hold()
elif point == 'caching':       # half the cache written
    def half(f, chunks):
        for c in chunks[:3]: f.write(c)
        f.flush(); hold()
    data._write_all = half
while 'go' in spec and not os.path.exists(spec['go']): time.sleep(0.01)
try:
    if spec['action'] == 'cli': sys.exit(data.main(['data', '--archive', spec['archive']]))
    mnist = data.load_mnist_sample(spec.get('path'))
    print(json.dumps([t.shape[0] for t in mnist]))
except KeyboardInterrupt: sys.exit(130)
'''

def child(spec:dict, env:dict|None=None) -> subprocess.Popen:
    spec = {'counts': SMALL, 'digests': small_digests(), **spec}
    return subprocess.Popen([sys.executable, '-c', CHILD], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, 'MNIST37_TEST_SPEC': json.dumps(spec), **(env or {})})

def wait_for(file:Path, proc:subprocess.Popen, timeout=90):
    end = time.monotonic() + timeout
    while not file.exists():
        if proc.poll() is not None or time.monotonic() > end:
            proc.kill(); pytest.fail(f"child never reached its pause point: {proc.communicate()}")
        time.sleep(0.02)

# --- 1. parallel first installs ------------------------------------------------------------------------------------

def test_1_parallel_processes_install_and_load(tmp_path):
    "Four processes start at once on an empty FASTAI_HOME, two with `mnist37 data --archive`, two with `load_mnist_sample()`."
    arc, go, home = make_archive(tmp_path/'ok.tgz'), tmp_path/'go', tmp_path/'fastai'
    env = {'FASTAI_HOME': str(home), data.ARCHIVE_ENV: str(arc)}
    procs = [child({'action': a, 'archive': str(arc), 'go': str(go)}, env) for a in ['cli', 'load', 'cli', 'load']]
    time.sleep(0.5); go.touch()
    results = [(p.wait(120), *p.communicate()) for p in procs]
    assert [r[0] for r in results] == [0, 0, 0, 0], results
    assert [json.loads(r[1]) for r in results[1::2]] == [list(SMALL.values())] * 2
    assert all('every image checked' in r[1] for r in results[0::2])
    assert sorted(p.name for p in (home/'data').iterdir()) == ['mnist_sample']
    assert leftovers(home/'data', home/'data'/'mnist_sample') == []

def test_1_parallel_threads_install(fastai_home, tmp_path, small, monkeypatch):
    monkeypatch.setenv(data.ARCHIVE_ENV, str(make_archive(tmp_path/'ok.tgz')))
    results, barrier = [], threading.Barrier(4)
    def run():
        barrier.wait()
        try: results.append(data.get_mnist_sample())
        except Exception as e: results.append(e)
    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads: t.start()
    for t in threads: t.join()
    assert results == [fastai_home/'data'/'mnist_sample'] * 4
    assert genuine(data.load_mnist_sample())

# --- 2. never advise deleting what isn't provably ours -----------------------------------------------------------

@pytest.mark.parametrize('where', ['home', 'root', 'fastai data folder', 'empty'])
def test_2_no_delete_advice_for_other_folders(fastai_home, tmp_path, small, monkeypatch, where):
    monkeypatch.setenv(data.ARCHIVE_ENV, str(make_archive(tmp_path/'ok.tgz')))
    data.get_mnist_sample()
    folder = {'home': Path.home(), 'root': Path('/'), 'fastai data folder': fastai_home/'data',
              'empty': tmp_path/'empty'}[where]
    folder.mkdir(exist_ok=True)
    with pytest.raises(FileNotFoundError) as e: data.load_mnist_sample(folder)
    assert 'is not an MNIST_SAMPLE folder' in str(e.value) and no_delete_advice(str(e.value))
    if where == 'fastai data folder': assert f"Did you mean {fastai_home/'data'/'mnist_sample'}?" in str(e.value)

def test_2_image_files_float_digit(tmp_path, small):
    good = install(tmp_path)
    with pytest.raises(ValueError) as e: data.image_files(good, 'train', 3.0)
    assert 'digit must be one of (3, 7), as an int, not 3.0' in str(e.value) and no_delete_advice(str(e.value))
    assert data.image_files(good, 'train', np.int64(3)) == data.image_files(good, 'train', 3)

def test_2_delete_advice_only_for_our_install(fastai_home, tmp_path, small, monkeypatch):
    "A damaged copy mnist37 installed may be deleted; one it did not install (no marker) is never offered for deletion."
    monkeypatch.setenv(data.ARCHIVE_ENV, str(make_archive(tmp_path/'ok.tgz')))
    ours = data.get_mnist_sample()
    next((ours/'train'/'7').iterdir()).unlink()
    with pytest.raises(ValueError, match=f'train/7 has 1 images, but MNIST_SAMPLE has 2. mnist37 installed {ours}: delete it'):
        data.get_mnist_sample()
    (ours/data.MARKER_NAME).unlink()
    with pytest.raises(ValueError, match="mnist37 did not install .* won't suggest deleting it") as e:
        data.load_mnist_sample(ours)
    assert 'delete it' not in str(e.value)

# --- 3. integrity: content digests --------------------------------------------------------------------------------

@pytest.mark.parametrize('at', [0.3, 0.5, 0.7, 0.995, -6])  # -6: in gzip's CRC
def test_3_flipped_byte_in_archive(tmp_path, small, at):
    bad = flip(make_archive(tmp_path/'ok.tgz'), tmp_path/'flipped.tgz', at)
    with pytest.raises(ValueError, match=str(bad)): data.extract_mnist_sample(bad, tmp_path/'data')
    assert_nothing_left(tmp_path/'data')

def test_3_flipped_byte_in_the_real_archive(scratch):
    archive = os.getenv(data.ARCHIVE_ENV)
    require(archive and Path(archive).is_file(), f"set {data.ARCHIVE_ENV} to a copy of mnist_sample.tgz")
    bad = flip(Path(archive), scratch/'flipped.tgz', 0.5)
    with pytest.raises(ValueError, match=f'{bad}.*(corrupt|not a readable PNG|not MNIST_SAMPLE)'):
        data.extract_mnist_sample(bad, scratch/'data')
    assert_nothing_left(scratch/'data')

def test_3_threes_that_are_sevens(tmp_path, small):
    "Right names, right counts, readable PNGs, but train/3 holds other pictures (here: the 7s')."
    odd = {f'mnist_sample/train/3/{i}.png': png_bytes(pixels('train/7', i % 2)) for i in range(3)}
    arc = make_archive(tmp_path/'swapped.tgz', odd=odd)
    with pytest.raises(ValueError, match=f"{arc}: the images in train/3 are not MNIST_SAMPLE's"):
        data.extract_mnist_sample(arc, tmp_path/'data')
    assert_nothing_left(tmp_path/'data')

def test_3_digest_ignores_packing(tmp_path, small):
    "The same images packed differently (another order, uncompressed, re-encoded PNGs) install fine."
    arc = tmp_path/'repacked.tar'
    with tarfile.open(arc, 'w') as tf:
        for key, n in reversed(SMALL.items()):
            for i in reversed(range(n)):
                buf = io.BytesIO()
                Image.fromarray(pixels(key, i)).save(buf, format='PNG', compress_level=0)
                add_file(tf, f'mnist_sample/{key}/{i}.png', buf.getvalue())
    assert genuine(data.load_mnist_sample(data.extract_mnist_sample(arc, tmp_path/'data')))

# --- 4. the cache is never trusted more than the images --------------------------------------------------------------

def forged_cache(target:Path) -> bytes:
    "A well-formed cache for `target`'s files, with the right key, but the 3s and 7s swapped."
    found = data._scan(target)
    key, px = data._read_images(target, found, lambda k, n: n, '')
    px['train/3'][:2], px['train/7'][:2] = px['train/7'][:2].copy(), px['train/3'][:2].copy()
    d = target.parent/'forge'; d.mkdir()
    data._write_cache(d, key, px)
    return (d/data.CACHE_NAME).read_bytes()

def test_4_cache_in_the_archive_is_dropped(tmp_path, small):
    target = install(tmp_path)
    forged = forged_cache(target)
    shutil.rmtree(target)
    arc = make_archive(tmp_path/'shipped.tgz', files=[(f'mnist_sample/{data.CACHE_NAME}', forged),
                                                       ('mnist_sample/.mnist37-cache.pt', forged),
                                                       (f'mnist_sample/{data.MARKER_NAME}', b'{}')])
    target = data.extract_mnist_sample(arc, tmp_path/'data')
    assert (target/data.CACHE_NAME).read_bytes() != forged and not (target/'.mnist37-cache.pt').exists()
    assert genuine(data.load_mnist_sample(target))

def test_4_forged_cache_in_the_folder_is_not_served(tmp_path, small):
    target = install(tmp_path)
    (target/data.CACHE_NAME).write_bytes(forged_cache(target))
    assert genuine(data.load_mnist_sample(target))
    assert genuine(data.load_mnist_sample(target))  # and the forged cache was replaced

@pytest.mark.parametrize('damage', ['flipped pixels', 'truncated', 'random bytes', 'empty', 'wrong object',
                                    'a directory', 'a dangling link'])
def test_4_corrupt_cache_is_ignored_and_rebuilt(tmp_path, small, damage):
    target = install(tmp_path)
    cache = target/data.CACHE_NAME
    good = cache.read_bytes()
    cache.unlink()
    if damage == 'flipped pixels':
        b = bytearray(good)
        for i in range(1, 60, 2): b[-i] ^= 0x01
        cache.write_bytes(bytes(b))
    elif damage == 'truncated': cache.write_bytes(good[:len(good) // 2])
    elif damage == 'random bytes': cache.write_bytes(os.urandom(len(good)))
    elif damage == 'wrong object': torch.save({'fingerprint': 'x', 'train_3s': torch.zeros(3)}, cache)
    elif damage == 'a directory': cache.mkdir()
    elif damage == 'a dangling link': cache.symlink_to(tmp_path/'nowhere')
    elif damage == 'empty': cache.touch()
    assert genuine(data.load_mnist_sample(target))
    assert cache.is_file() and cache.read_bytes() == good  # rebuilt
    assert leftovers(target) == []

def test_4_same_size_png_with_its_mtime_restored(tmp_path, small, monkeypatch):
    "`cp -p`/`rsync -a` of another same-size image: the cache key holds each file's ctime, which can't be restored."
    target = install(tmp_path)
    assert genuine(data.load_mnist_sample(target))
    f = data.image_files(target, 'valid', 7)[0]
    st, new = f.stat(), png_bytes(pixels('other', 0))
    assert len(new) == st.st_size
    f.write_bytes(new); os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))
    with pytest.raises(ValueError, match="the images in valid/7 are not MNIST_SAMPLE's"): data.load_mnist_sample(target)
    monkeypatch.setitem(data.CONTENT_SHA256, 'valid/7', digest(['0.png'], pixels('other', 0)[None]))
    assert torch.equal(data.load_mnist_sample(target).valid_7s[0], torch.from_numpy(pixels('other', 0)) / 255)

# --- 5. read-only and full disks ---------------------------------------------------------------------------------

def test_5_read_only_dataset_without_cache_loads(tmp_path, small, recwarn):
    target = install(tmp_path)
    (target/data.CACHE_NAME).unlink()
    with read_only(target):
        assert genuine(data.load_mnist_sample(target))
        assert genuine(data.load_mnist_sample(target, cache=False))
    assert sorted(p.name for p in target.iterdir()) == [data.MARKER_NAME, 'labels.csv', 'train', 'valid']
    assert len(recwarn) == 0

def test_5_disk_full_while_unpacking(tmp_path, small, monkeypatch):
    makefile = tarfile.TarFile.makefile
    def full(self, tarinfo, targetpath):
        if tarinfo.name.endswith('1.png'): raise OSError(errno.ENOSPC, 'No space left on device')
        return makefile(self, tarinfo, targetpath)
    monkeypatch.setattr(tarfile.TarFile, 'makefile', full)
    with pytest.raises(data.NoSpaceError, match=r'Not enough space on the disk mounted at /.*: installing MNIST_SAMPLE '
                                                r'needs about [\d.]+ MB there, and [\d.]+ MB is free') as e:
        install(tmp_path)
    assert 'corrupt' not in str(e.value)
    assert_nothing_left(tmp_path/'data')

def test_5_disk_full_while_writing_the_cache(tmp_path, small, monkeypatch):
    target = install(tmp_path)
    (target/data.CACHE_NAME).unlink()
    def full(f, chunks):
        f.write(chunks[0]); raise OSError(errno.ENOSPC, 'No space left on device')
    monkeypatch.setattr(data, '_write_all', full)
    with pytest.warns(data.CacheWarning, match=r'could not write its cache .* the disk mounted at /.*: the cache needs about'):
        assert genuine(data.load_mnist_sample(target))
    assert sorted(p.name for p in target.iterdir()) == [data.MARKER_NAME, 'labels.csv', 'train', 'valid']

@pytest.fixture
def tmpfs(tmp_path):
    "A 64 KB tmpfs, if this machine lets us mount one."
    with mounted_tmpfs(tmp_path/'tmpfs', '64k') as ok:
        require(ok, "can't mount a tmpfs here")
        yield tmp_path/'tmpfs'

def test_5_real_small_disk(tmp_path, small, tmpfs):
    "On a real full disk: installing is refused with the disk named, and a cache that doesn't fit is skipped."
    (tmpfs/'filler').write_bytes(b'x' * 40_000)
    with pytest.raises(data.NoSpaceError, match=f'disk mounted at {tmpfs}: installing'):
        data.extract_mnist_sample(make_archive(tmp_path/'ok.tgz'), tmpfs/'data')
    assert_nothing_left(tmpfs/'data')
    (tmpfs/'filler').unlink(); shutil.rmtree(tmpfs/'data')
    shutil.copytree(install(tmp_path), tmpfs/'mnist_sample')
    (tmpfs/'mnist_sample'/data.CACHE_NAME).unlink()
    free = shutil.disk_usage(tmpfs).free
    (tmpfs/'filler').write_bytes(b'x' * (free - 4096))
    with pytest.warns(data.CacheWarning, match=f'disk mounted at {tmpfs}: the cache needs about'):
        assert genuine(data.load_mnist_sample(tmpfs/'mnist_sample'))
    assert leftovers(tmpfs/'mnist_sample') == [] and not (tmpfs/'mnist_sample'/data.CACHE_NAME).exists()

# --- 6. interrupted work ---------------------------------------------------------------------------------------------

def test_6_sigterm_is_handled_like_ctrl_c(tmp_path, small, monkeypatch):
    read, before = data._read_images, signal.getsignal(signal.SIGTERM)
    def term(*a):
        os.kill(os.getpid(), signal.SIGTERM); time.sleep(5)
        return read(*a)
    monkeypatch.setattr(data, '_read_images', term)
    with pytest.raises(KeyboardInterrupt): install(tmp_path)
    assert_nothing_left(tmp_path/'data')
    assert signal.getsignal(signal.SIGTERM) == before  # restored

def test_6_stale_leftovers_are_removed(fastai_home, tmp_path, small, monkeypatch):
    stale = fastai_home/'data'/'.mnist_sample-k9x'/'mnist_sample'/'train'; stale.mkdir(parents=True)
    monkeypatch.setenv(data.ARCHIVE_ENV, str(make_archive(tmp_path/'ok.tgz')))
    target = data.get_mnist_sample()
    (target/f'{data.CACHE_NAME}.123.k9x.tmp').write_bytes(b'half a cache')
    assert genuine(data.load_mnist_sample())
    assert leftovers(fastai_home/'data', target) == []
    stale.mkdir(parents=True)  # left by an older version, next to a complete dataset
    assert data.get_mnist_sample() == target and leftovers(fastai_home/'data') == []

def test_6_kill_at_several_points(tmp_path, small, monkeypatch):
    "SIGTERM or SIGKILL while unpacking, before the rename, or while writing the cache; then run again."
    arc = make_archive(tmp_path/'ok.tgz')
    prepared = data.extract_mnist_sample(arc, tmp_path/'prepared')  # for the load-time cache writes
    cases = [('extracting', signal.SIGKILL), ('verifying', signal.SIGTERM), ('caching', signal.SIGTERM),
             ('caching', signal.SIGKILL)]
    runs = []
    for i, (point, sig) in enumerate(cases):
        home, ready = tmp_path/f'home{i}', tmp_path/f'ready{i}'
        spec = {'pause': point, 'ready': str(ready), 'action': 'cli', 'archive': str(arc)}
        if point == 'caching':
            spec.update(action='load', path=str(shutil.copytree(prepared, home/'data'/'mnist_sample')))
            (home/'data'/'mnist_sample'/data.CACHE_NAME).unlink()
        runs.append((home, ready, sig, point, child(spec, {'FASTAI_HOME': str(home)})))
    for home, ready, sig, point, proc in runs:
        wait_for(ready, proc)
        proc.send_signal(sig)
    for home, ready, sig, point, proc in runs:
        out = proc.communicate(timeout=60)
        rc, folders = proc.returncode, [home/'data', home/'data'/'mnist_sample']
        if sig == signal.SIGTERM:  # cleaned up at once, like Ctrl-C
            assert rc == 130 and leftovers(*folders) == [], (point, out)
        else:                      # kill -9 leaves files behind ...
            assert rc == -signal.SIGKILL and leftovers(*folders) != [], point
        if point != 'caching': assert not (home/'data'/'mnist_sample').exists(), point
        monkeypatch.setenv('FASTAI_HOME', str(home))
        mnist = data.load_mnist_sample() if point == 'caching' else data.load_mnist_sample(data.get_mnist_sample(arc))
        assert genuine(mnist)      # ... which the next run removes
        assert leftovers(*folders) == [] and sorted(p.name for p in (home/'data').iterdir()) == ['mnist_sample']

# --- 7. downloads time out ------------------------------------------------------------------------------------------

def test_7_download_that_never_answers(fastai_home, small, monkeypatch):
    server = socket.create_server(('127.0.0.1', 0))
    conns = []
    threading.Thread(target=lambda: conns.append(server.accept()), daemon=True).start()
    monkeypatch.setattr(data, 'MNIST_SAMPLE_URL', f'http://127.0.0.1:{server.getsockname()[1]}/mnist_sample.tgz')
    monkeypatch.setattr(data, 'DOWNLOAD_TIMEOUT', 0.5, raising=False)
    start = time.monotonic()
    try:
        with pytest.raises(ConnectionError, match=r'Downloading http://127.0.0.1:\d+/mnist_sample.tgz failed '
                                                  r'\(no answer within 0.5 s.*--archive'):
            data.get_mnist_sample()
    finally:
        server.close()
        for c, _ in conns: c.close()
    assert time.monotonic() - start < 10
    assert leftovers(fastai_home/'data') == [] and not (fastai_home/'data'/'mnist_sample').exists()

# --- 8. bad images ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('bad', ['empty', 'truncated', 'not an image'])
def test_8_bad_png_caught_at_install(tmp_path, small, bad):
    good = png_bytes(pixels('valid/3', 1))
    payload = {'empty': b'', 'truncated': good[:len(good) // 2], 'not an image': b'hello, world\n' * 20}[bad]
    arc = make_archive(tmp_path/'bad.tgz', odd={'mnist_sample/valid/3/1.png': payload})
    with pytest.raises(ValueError, match=f'{arc}: valid/3/1.png is not a readable PNG'):
        data.extract_mnist_sample(arc, tmp_path/'data')
    assert_nothing_left(tmp_path/'data')

@pytest.mark.parametrize('bad', ['empty', 'truncated', 'not an image'])
def test_8_bad_png_named_on_load(tmp_path, small, bad):
    target = install(tmp_path)
    (target/data.CACHE_NAME).unlink()
    f = data.image_files(target, 'train', 7)[1]
    good = f.read_bytes()
    f.write_bytes({'empty': b'', 'truncated': good[:len(good) // 2], 'not an image': b'hello'}[bad])
    with pytest.raises(ValueError, match=f'{f} is not a readable PNG .*mnist37 installed {target}: delete it and run '
                                         '`mnist37 data`'):
        data.load_mnist_sample(target)

# --- 9. tarfile's filter='data' -------------------------------------------------------------------------------------

def test_9_python_without_the_data_filter(tmp_path, small, monkeypatch):
    monkeypatch.delattr(tarfile, 'data_filter')
    with pytest.raises(RuntimeError, match=r"has no tarfile filter='data'.*3\.10\.12\+, 3\.11\.4\+ or 3\.12\+"):
        install(tmp_path)
    assert_nothing_left(tmp_path/'data')

def test_9_min_python(tmp_path):
    cfg = ConfigParser(delimiters=['=']); cfg.read(ROOT/'settings.ini')
    floor = tuple(map(int, cfg['DEFAULT']['min_python'].split('.')))
    assert floor >= (3, 10, 12)
