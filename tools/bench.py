"""Run the series as a learner does and write `_bench/results.md` and `_bench/results.json`.

    python tools/bench.py             # every notebook, then nbdev_test, then the import cost (`make bench`)
    python tools/bench.py --runs 3    # medians of three runs of each

One source for every number: bench re-implements nothing. Each notebook runs in a fresh Jupyter kernel, every cell
in order, as "Run All" does in JupyterLab (one notebook after another); bench times it, then asks that same kernel
for the values the notebook left in these top-level names (see the README's results table):

    02_pixel_similarity  baseline_acc                     (accuracy on the valid 3s, on the valid 7s)
    03_broadcasting      speedup                          (the loop-vs-broadcast factor the page states)
    06_mnist_sgd         acc_linear, acc_basic_optim, acc_net  (validation accuracies)
                         epochs_linear, epochs_basic_optim, epochs_net
    07_plain_pytorch     acc_learner, epochs_learner           (fastai's Learner)

A name a notebook doesn't leave is reported as missing, not guessed. Then `nbdev_test` runs the whole series in
parallel, timed from outside, and `import mnist37.all` is timed against `import torch`, each in fresh processes.
A benchmark, not a test: it reports what it measures and passes no judgement.
"""
from __future__ import annotations

import argparse, json, os, platform, statistics, subprocess, sys, time
from pathlib import Path

root = Path(__file__).resolve().parent.parent
nbs, out_dir = root/'nbs', root/'_bench'

NAMES = {'02_pixel_similarity.ipynb': ['baseline_acc'],
         '03_broadcasting.ipynb': ['speedup'],
         '06_mnist_sgd.ipynb': ['acc_linear', 'acc_basic_optim', 'acc_net',
                                'epochs_linear', 'epochs_basic_optim', 'epochs_net'],
         '07_plain_pytorch.ipynb': ['acc_learner', 'epochs_learner']}

# run in the notebook's kernel after its last cell: the values of `names`, as JSON (tensors and numpy become numbers)
PROBE = '''
def _bench_plain(x):
    if hasattr(x, 'tolist'): x = x.tolist()
    if isinstance(x, (list, tuple)): return [_bench_plain(o) for o in x]
    if isinstance(x, dict): return {str(k): _bench_plain(v) for k, v in x.items()}
    if x is None or isinstance(x, (bool, int, float, str)): return x
    try: return float(x)
    except (TypeError, ValueError): return repr(x)
print(__import__('json').dumps({k: _bench_plain(globals()[k]) for k in NAMES if k in globals()}))
'''


def notebooks() -> list[Path]:
    "The series in reading order: lessons (each with its exercises), appendices, then the home page."
    return sorted((p for p in nbs.glob('*.ipynb') if not p.name.startswith(('_', '.'))),
                  key=lambda p: (p.name == 'index.ipynb', p.name))


def cpu_seconds(pid:int) -> float:
    "CPU time (user + system) that process `pid` has used so far, from /proc; NaN where there is no /proc."
    try: fields = Path(f'/proc/{pid}/stat').read_text().rsplit(')', 1)[1].split()
    except OSError: return float('nan')
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def run_notebook(path:Path) -> dict:
    """Execute `path` in a fresh kernel, all cells in order: its wall time (kernel start included), the kernel's CPU
    time (which a busy machine inflates less), and the values it left."""
    import nbformat
    from nbclient import NotebookClient
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=900, kernel_name='python3', resources={'metadata': {'path': str(path.parent)}})
    names = NAMES.get(path.name, [])
    t0 = time.perf_counter()
    with client.setup_kernel():
        started = time.perf_counter()
        for i, cell in enumerate(nb.cells): client.execute_cell(cell, i)   # raises on the first error
        seconds = time.perf_counter() - t0
        cpu = cpu_seconds(client.km.provisioner.pid) if getattr(client.km, 'provisioner', None) else float('nan')
        probe = nbformat.v4.new_code_cell(PROBE.replace('NAMES', repr(names)))
        nb.cells.append(probe)
        client.execute_cell(probe, len(nb.cells) - 1)
    text = ''.join(o.get('text', '') for o in probe.outputs if o.get('output_type') == 'stream')
    values = json.loads(text.strip().splitlines()[-1]) if names else {}
    return {'seconds': seconds, 'cpu': cpu, 'kernel start': started - t0, 'values': values,
            'missing': [n for n in names if n not in values]}


def bench_series(runs:int) -> dict:
    "Each notebook in a fresh kernel, one after another, `runs` times; medians, and the values of the last run."
    res = {}
    for path in notebooks():
        rs = [run_notebook(path) for _ in range(runs)]
        res[path.name] = {'seconds': statistics.median(r['seconds'] for r in rs),
                          'cpu': statistics.median(r['cpu'] for r in rs),
                          'kernel start': statistics.median(r['kernel start'] for r in rs),
                          'values': rs[-1]['values'], 'missing': rs[-1]['missing']}
        miss = f"; missing: {', '.join(rs[-1]['missing'])}" if rs[-1]['missing'] else ''
        print(f"  {path.name}: {res[path.name]['seconds']:.1f} s ({res[path.name]['cpu']:.1f} s CPU){miss}", flush=True)
    return res


def bench_nbdev_test(runs:int) -> float:
    "Wall time of `nbdev_test` over the whole series (in parallel, as `make test` runs it), median of `runs`."
    exe = Path(sys.executable).parent/'nbdev_test'
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        r = subprocess.run([str(exe)], cwd=root, capture_output=True, text=True)
        if r.returncode: raise RuntimeError(f"nbdev_test failed:\n{r.stderr[-3000:]}")
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def bench_import(runs:int) -> dict:
    "`import mnist37.all` against `import torch` alone, each in fresh processes, alternating."
    code = "import time; t0 = time.perf_counter(); import {m}; print(time.perf_counter() - t0)"
    def once(m):
        r = subprocess.run([sys.executable, '-c', code.format(m=m)], capture_output=True, text=True, cwd=nbs, check=True)
        return float(r.stdout.split()[-1])
    torch_t, ours = [], []
    for _ in range(runs): torch_t.append(once('torch')); ours.append(once('mnist37.all'))
    t, m = statistics.median(torch_t), statistics.median(ours)
    return {'torch': t, 'mnist37.all': m, 'ratio': m / t}


def machine() -> str:
    import torch
    cpu = platform.processor()
    if Path('/proc/cpuinfo').exists():
        cpu = next((l.split(':', 1)[1].strip() for l in Path('/proc/cpuinfo').read_text().splitlines()
                    if l.startswith('model name')), cpu)
    return (f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.machine()}, "
            f"Python {platform.python_version()}, torch {torch.__version__}")


def fmt(v) -> str:
    if isinstance(v, float): return f"{v:.4f}" if v < 1 else f"{v:.1f}"
    if isinstance(v, list): return ' / '.join(fmt(o) for o in v)
    if isinstance(v, dict): return '; '.join(f"{k}: {fmt(o)}" for k, o in v.items())
    return str(v)


def to_markdown(r:dict) -> str:
    lines = ["# mnist37 benchmarks", "", f"Machine: {r['machine']}", f"Date: {r['date']}",
             f"Load average at the start: {r['load']}", ""]
    s = r['series']
    lines += ["## The series, one notebook after another (as a learner runs it in JupyterLab)", "",
              "Each notebook in a fresh kernel, every cell in order; the time includes starting the kernel. CPU is the "
              "kernel's own CPU time: on a busy machine it is closer than the wall time to what a quiet one takes.", "",
              "| notebook | seconds | CPU seconds |", "|---|---|---|"]
    lines += [f"| {k} | {v['seconds']:.1f} | {v['cpu']:.1f} |" for k, v in s.items()]
    lines += [f"| **all, one after another** | **{r['series total']:.1f}** | **{r['series cpu']:.1f}** |", "",
              f"Slowest notebook: {r['slowest'][0]} ({r['slowest'][1]:.1f} s). "
              f"`nbdev_test`, all notebooks in parallel: {r['nbdev_test']:.1f} s.", ""]
    lines += ["## What the notebooks leave", "", "| value | notebook | measured |", "|---|---|---|"]
    for nb, names in NAMES.items():
        got = s.get(nb, {}).get('values', {})
        lines += [f"| `{n}` | {nb} | {fmt(got[n]) if n in got else 'missing'} |" for n in names]
    if 'import' in r:
        i = r['import']
        lines += ["", "## Import", "", f"`import torch`: {i['torch']:.2f} s; `import mnist37.all`: "
                  f"{i['mnist37.all']:.2f} s ({i['ratio']:.2f} times as long)"]
    return '\n'.join(lines) + '\n'


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--runs', type=int, default=1, help='runs of each measure (medians); import uses at least 5')
    p.add_argument('--skip-nbdev-test', action='store_true', help="don't time nbdev_test")
    a = p.parse_args(argv)
    os.chdir(root)
    r = {'machine': machine(), 'date': time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime()),
         'load': ' '.join(Path('/proc/loadavg').read_text().split()[:3]) if Path('/proc/loadavg').exists() else '?'}
    print("the series, one notebook after another...", flush=True)
    r['series'] = bench_series(a.runs)
    r['series total'] = sum(v['seconds'] for v in r['series'].values())
    r['series cpu'] = sum(v['cpu'] for v in r['series'].values())
    slow = max(r['series'].items(), key=lambda kv: kv[1]['seconds'])
    r['slowest'] = [slow[0], slow[1]['seconds']]
    r['values'] = {n: v['values'].get(n) for nb, v in r['series'].items() for n in NAMES.get(nb, [])}
    r['missing'] = [n for v in r['series'].values() for n in v['missing']]
    if not a.skip_nbdev_test:
        print("nbdev_test...", flush=True)
        r['nbdev_test'] = bench_nbdev_test(a.runs)
    else: r['nbdev_test'] = float('nan')
    print("import...", flush=True)
    r['import'] = bench_import(max(a.runs, 5))
    out_dir.mkdir(exist_ok=True)
    (out_dir/'results.json').write_text(json.dumps(r, indent=2))
    md = to_markdown(r)
    (out_dir/'results.md').write_text(md)
    print(md)
    if r['missing']: print(f"missing (the notebooks don't leave them yet): {', '.join(r['missing'])}", file=sys.stderr)


if __name__ == '__main__': main()
