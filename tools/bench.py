"""Measure the series on this machine and write `_bench/results.md` and `_bench/results.json`.

A benchmark, not a test: it reports what it measures and passes no judgement, except to print each target beside it.
Run it with `make bench`. Each figure is the median of several runs, each timed in a fresh process where start-up
costs matter (imports, notebooks)."""
import argparse, json, os, platform, statistics, subprocess, sys, time
from pathlib import Path

root = Path(__file__).resolve().parent.parent
out_dir = root/'_bench'

def median_time(f, n:int) -> tuple[float, list[float]]:
    "Median and list of `n` wall times of `f()`."
    times = []
    for _ in range(n):
        t0 = time.perf_counter(); f(); times.append(time.perf_counter() - t0)
    return statistics.median(times), times

def in_fresh_process(code:str) -> dict:
    "Run `code` in a new Python process; it prints one JSON object on its last line, which is returned."
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, cwd=root/'nbs')
    if r.returncode: raise RuntimeError(f"benchmark child failed:\n{r.stderr[-3000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])

def bench_notebooks(runs:int) -> dict:
    "Each notebook executed as `nbdev_test` does it (execnb, `tst_flags` cells skipped), in its own process; then the whole series."
    res = {}
    for nb in sorted((root/'nbs').glob('*.ipynb')):
        code = (f"import json, time; from pathlib import Path; from nbdev.config import get_config; from nbdev.test import test_nb\n"
                f"t0 = time.perf_counter(); ok, _ = test_nb(Path({str(nb)!r}), skip_flags=get_config().tst_flags.split())\n"
                f"print(json.dumps({{'ok': ok, 't': time.perf_counter() - t0}}))")
        times = []
        for _ in range(runs):
            r = in_fresh_process(code)
            if not r['ok']: raise RuntimeError(f"{nb.name} failed under nbdev_test")
            times.append(r['t'])
        res[nb.name] = statistics.median(times)
        print(f"  {nb.name}: {res[nb.name]:.1f} s", flush=True)
    series = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([str(root/'.venv/bin/nbdev_test')], cwd=root, check=True, capture_output=True)
        series.append(time.perf_counter() - t0)
    return {'notebooks': res, 'series': statistics.median(series), 'slowest': max(res.values())}

def bench_import(runs:int) -> dict:
    "Importing `mnist37.all` against importing `torch` alone, each in fresh processes, alternating."
    code = "import json, time; t0 = time.perf_counter(); import {m}; print(json.dumps({{'t': time.perf_counter() - t0}}))"
    torch_t, ours = [], []
    for _ in range(runs):
        torch_t.append(in_fresh_process(code.format(m='torch'))['t'])
        ours.append(in_fresh_process(code.format(m='mnist37.all'))['t'])
    t, m = statistics.median(torch_t), statistics.median(ours)
    return {'torch': t, 'mnist37.all': m, 'ratio': m / t}

def bench_data(runs:int) -> dict:
    "Decoding all 14,434 PNGs against loading them from the cache."
    from mnist37.data import get_mnist_sample, load_mnist_sample
    path = get_mnist_sample()
    load_mnist_sample(path)  # make sure the cache exists
    cold, _ = median_time(lambda: load_mnist_sample(path, cache=False), runs)
    cached, _ = median_time(lambda: load_mnist_sample(path), runs)
    return {'cold': cold, 'cached': cached, 'speedup': cold / cached}

def bench_distances(runs:int) -> dict:
    """The baseline's 2,038 x 2 validation distances, one thread: `mnist_distance` called once per image in a Python
    loop against once per stack (both pay its input checks); and the bare expression, as notebook 03 times it."""
    import torch
    from mnist37.broadcasting import mnist_distance
    from mnist37.data import load_mnist_sample
    torch.set_num_threads(1)
    mnist = load_mnist_sample()
    valid = torch.cat([mnist.valid_3s, mnist.valid_7s])
    ideals = [mnist.train_3s.mean(0), mnist.train_7s.mean(0)]
    fns = {'loop': lambda: torch.stack([torch.stack([mnist_distance(img, m) for m in ideals]) for img in valid]),
           'broadcast': lambda: torch.stack([mnist_distance(valid, m) for m in ideals], dim=1),
           'bare loop': lambda: torch.stack([torch.stack([(img - m).abs().mean() for m in ideals]) for img in valid]),
           'bare broadcast': lambda: torch.stack([(valid - m).abs_().mean((-1, -2)) for m in ideals], dim=1)}
    results = {k: f() for k, f in fns.items()}
    assert all(torch.allclose(v, results['broadcast']) for v in results.values())
    n = max(runs, 5)
    t = {k: median_time(f, n if 'loop' in k else 4 * n + 1)[0] for k, f in fns.items()}
    return {'images': len(valid), **t, 'speedup': t['loop'] / t['broadcast'], 'bare speedup': t['bare loop'] / t['bare broadcast']}

def bench_training(runs:int) -> dict:
    "Each model of 06_mnist_sgd with the notebook's recipe (seeds, learning rate, epochs, one thread): time and accuracy."
    import warnings
    import torch
    from torch import nn
    warnings.filterwarnings('ignore', message=r'`torch.jit.script` is deprecated', category=FutureWarning)
    from fastai.data.core import DataLoaders
    from fastai.data.load import DataLoader
    from fastai.learner import Learner
    from fastai.optimizer import SGD
    from fastai.torch_core import set_seed
    import fastai.callback.progress  # noqa: F401  (Learner.no_bar, as in the notebook)
    from mnist37.data import load_mnist_sample
    from mnist37.mnist_sgd import (BasicOptim, batch_accuracy, init_params, linear1, mnist_loss, mnist_xy, simple_net,
                                 train_epoch, train_model, validate_epoch)
    torch.set_num_threads(1)
    mnist = load_mnist_sample()
    dset, valid_dset = list(zip(*mnist_xy(mnist.train_3s, mnist.train_7s))), list(zip(*mnist_xy(mnist.valid_3s, mnist.valid_7s)))
    def loaders():
        set_seed(42)
        return DataLoader(dset, batch_size=256, shuffle=True), DataLoader(valid_dset, batch_size=256)

    def scratch():
        train_dl, valid_dl = loaders(); torch.manual_seed(42)
        w, b = init_params((28*28, 1)), init_params(1)
        return lambda: train_model(lambda xb: linear1(xb, w, b), BasicOptim([w, b], lr=1.0), train_dl, valid_dl, 20)[-1].accuracy
    def basic():
        train_dl, valid_dl = loaders(); torch.manual_seed(42); m = nn.Linear(28*28, 1)
        return lambda: train_model(m, BasicOptim(m.parameters(), lr=1.0), train_dl, valid_dl, 20)[-1].accuracy
    def learner(model_fn, epochs):
        def setup():
            train_dl, valid_dl = loaders(); torch.manual_seed(42)
            learn = Learner(DataLoaders(train_dl, valid_dl), model_fn(), opt_func=SGD, loss_func=mnist_loss, metrics=batch_accuracy)
            def fit():
                with learn.no_bar(), learn.no_logging(): learn.fit(epochs, lr=1.0)
                return learn.recorder.values[-1][2]
            return fit
        return setup
    models = {'linear, from scratch (20 epochs)': scratch, 'nn.Linear + BasicOptim (20 epochs)': basic,
              'nn.Linear + fastai SGD (10 epochs)': learner(lambda: nn.Linear(28*28, 1), 10),
              'simple net, fastai Learner (9 epochs)': learner(simple_net, 9)}
    res = {}
    for name, setup in models.items():
        times, accs = [], []
        for _ in range(runs):
            fit = setup()
            t0 = time.perf_counter(); accs.append(fit()); times.append(time.perf_counter() - t0)
        res[name] = {'seconds': statistics.median(times), 'accuracy': statistics.median(accs)}
        print(f"  {name}: {res[name]['accuracy']:.4f} in {res[name]['seconds']:.2f} s", flush=True)

    def to_98():
        "Seconds of training until the simple net first reaches 0.98 validation accuracy (our loop, BasicOptim)."
        train_dl, valid_dl = loaders(); torch.manual_seed(42); net = simple_net()
        opt, spent = BasicOptim(net.parameters(), lr=1.0), 0.0
        for epoch in range(1, 41):
            t0 = time.perf_counter(); train_epoch(net, train_dl, opt); spent += time.perf_counter() - t0
            if validate_epoch(net, valid_dl) >= 0.98: return spent, epoch
        return float('inf'), None
    reach = [to_98() for _ in range(runs)]
    return {'models': res, 'simple_net_to_98': {'seconds': statistics.median(r[0] for r in reach), 'epochs': reach[0][1]}}

SECTIONS = {'notebooks': bench_notebooks, 'import': bench_import, 'data': bench_data, 'distances': bench_distances,
            'training': bench_training}

def machine() -> str:
    import torch
    cpu = next((l.split(':', 1)[1].strip() for l in Path('/proc/cpuinfo').read_text().splitlines()
                if l.startswith('model name')), platform.processor()) if Path('/proc/cpuinfo').exists() else platform.processor()
    return (f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.machine()}, "
            f"Python {platform.python_version()}, torch {torch.__version__} (CPU)")

def to_markdown(r:dict) -> str:
    lines = [f"# mnist37 benchmarks", "", f"Machine: {r['machine']}", f"Date: {r['date']}", ""]
    if 'notebooks' in r:
        nb = r['notebooks']
        lines += ["## Notebooks (executed as `nbdev_test` does, median of runs)", "", "| notebook | seconds |", "|---|---|"]
        lines += [f"| {k} | {v:.1f} |" for k, v in nb['notebooks'].items()]
        lines += [f"| **whole series, `nbdev_test`** | **{nb['series']:.1f}** |", ""]
    if 'import' in r:
        i = r['import']
        lines += ["## Import", "", f"`import torch`: {i['torch']:.2f} s; `import mnist37.all`: {i['mnist37.all']:.2f} s "
                  f"({i['ratio']:.2f}× torch)", ""]
    if 'data' in r:
        d = r['data']
        lines += ["## Data", "", f"Decoding 14,434 PNGs: {d['cold']:.2f} s; from the cache: {d['cached']:.3f} s "
                  f"({d['speedup']:.0f}× faster)", ""]
    if 'distances' in r:
        d = r['distances']
        lines += ["## Distances (one thread)", "", f"All {d['images']} validation images against both ideal digits.", "",
                  "| | Python loop over images | broadcasting | speed-up |", "|---|---|---|---|",
                  f"| `mnist_distance` (with its input checks) | {d['loop'] * 1e3:.1f} ms | {d['broadcast'] * 1e3:.2f} ms | {d['speedup']:.0f}× |",
                  f"| the bare expression, as notebook 03 times it | {d['bare loop'] * 1e3:.1f} ms | {d['bare broadcast'] * 1e3:.2f} ms | {d['bare speedup']:.0f}× |", "",
                  f"Medians over three processes; the `mnist_distance` speed-up in each: "
                  f"{', '.join(f'{x}×' for x in d.get('per process', []))}.", ""]
    if 'training' in r:
        lines += ["## Training (median of runs; one thread, as in the notebook)", "", "| model | validation accuracy | seconds |", "|---|---|---|"]
        lines += [f"| {k} | {v['accuracy']:.4f} | {v['seconds']:.2f} |" for k, v in r['training']['models'].items()]
        t98 = r['training']['simple_net_to_98']
        lines += ["", f"Simple net, training time until validation accuracy first reaches 0.98: {t98['seconds']:.2f} s "
                  f"(epoch {t98['epochs']})", ""]
    if 'targets' in r:
        lines += ["## Targets", "", "| measure | target | measured | met |", "|---|---|---|---|"]
        lines += [f"| {t['measure']} | {t['target']} | {t['measured']} | {'yes' if t['met'] else 'no'} |" for t in r['targets']]
    return '\n'.join(lines) + '\n'

def targets(r:dict) -> list[dict]:
    t = []
    def add(measure, target, measured, met): t.append(dict(measure=measure, target=target, measured=measured, met=bool(met)))
    if 'notebooks' in r:
        add('whole series through nbdev_test', '≤ 30 s', f"{r['notebooks']['series']:.1f} s", r['notebooks']['series'] <= 30)
        add('slowest notebook', '≤ 15 s', f"{r['notebooks']['slowest']:.1f} s", r['notebooks']['slowest'] <= 15)
    if 'import' in r:
        add('import mnist37.all', '≤ 1.5× import torch', f"{r['import']['ratio']:.2f}×", r['import']['ratio'] <= 1.5)
    if 'data' in r:
        add('cached load against cold load', '≥ 10× faster', f"{r['data']['speedup']:.0f}×", r['data']['speedup'] >= 10)
    if 'distances' in r:
        add('broadcast against Python loop over images', '≥ 50×', f"{r['distances']['speedup']:.0f}×", r['distances']['speedup'] >= 50)
    if 'training' in r:
        t98 = r['training']['simple_net_to_98']['seconds']
        add('simple net, start of training to ≥ 0.98 accuracy', '≤ 5 s', f"{t98:.2f} s", t98 <= 5)
    return t

def run_section(name:str, runs:int) -> dict:
    "Run one section in a fresh process, so no section inherits another's memory layout or imports."
    r = subprocess.run([sys.executable, __file__, '--child', name, '--runs', str(runs)], text=True,
                       stdout=subprocess.PIPE, cwd=root)
    if r.returncode: raise RuntimeError(f"benchmark section {name} failed")
    lines = r.stdout.strip().splitlines()
    print('\n'.join(lines[:-1]), flush=True)
    return json.loads(lines[-1])

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--only', nargs='*', choices=list(SECTIONS), help='run only these sections')
    p.add_argument('--runs', type=int, default=3, help='runs per measure (data and import use at least 5)')
    p.add_argument('--child', choices=list(SECTIONS), help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.child:
        print(json.dumps(SECTIONS[a.child](a.runs)))
        return
    r = {'machine': machine(), 'date': time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}
    for name in SECTIONS:
        if a.only and name not in a.only: continue
        print(f"{name}...", flush=True)
        if name == 'distances':
            # how the C library hands out big temporaries differs from process to process (notebook 03, "One
            # character"), and the broadcast time with it: take the median over three processes
            runs = [run_section(name, a.runs) for _ in range(3)]
            r[name] = {k: statistics.median(x[k] for x in runs) if isinstance(runs[0][k], float) else runs[0][k]
                       for k in runs[0]}
            r[name]['speedup'] = r[name]['loop'] / r[name]['broadcast']
            r[name]['bare speedup'] = r[name]['bare loop'] / r[name]['bare broadcast']
            r[name]['per process'] = [round(x['speedup']) for x in runs]
        else: r[name] = run_section(name, max(a.runs, 5) if name in ('data', 'import') else a.runs)
    r['targets'] = targets(r)
    out_dir.mkdir(exist_ok=True)
    (out_dir/'results.json').write_text(json.dumps(r, indent=2))
    md = to_markdown(r)
    (out_dir/'results.md').write_text(md)
    print(md)

if __name__ == '__main__': main()
