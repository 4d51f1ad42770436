"""Measure the reading load of the lesson notebooks and the taught modules (the reading-path issue's targets).

    python tools/reading_load.py          # a table
    python tools/reading_load.py --json   # the same numbers as JSON

Lesson notebooks are `nbs/0*.ipynb` but the exercise notebooks; those, appendix notebooks (`nbs/9*.ipynb`) and `index.ipynb` are reported apart.
A cell is *hidden* on the site when it has `#| hide`, `#| include: false`, `#| echo: false`, `#| export` or
`#| exporti`; it is *folded* when it is made only of `test_*` calls and asserts and the prose before it does not end
with a colon (the cell right before it). Prose words leave out code blocks and folded `<details>` answers. Shown code lines are the non-blank, non-directive lines of cells that are neither hidden nor folded.
*Main path* leaves out the optional sections, from a `## Going further` or `## Under the hood` heading to the next
`## ` heading: what a first reading covers.
"""
import ast, json, re, statistics, sys
from pathlib import Path

root = Path(__file__).resolve().parents[1]
HIDE = re.compile(r'^#\|\s*(hide\s*$|include:\s*false|echo:\s*false|export\s*$|exporti\s*$)', re.M)
OPTIONAL = re.compile(r'^## +(Going further|Under the hood)')
INFRA = {'data.py', 'exercises.py', '_modidx.py', 'all.py', '__init__.py'}  # infrastructure

def src(c): return ''.join(c['source'])

def test_only(code):
    "Only `test_*` calls and asserts (a `for` over them counts too)."
    try: body = ast.parse(code).body
    except SyntaxError: return False
    def ok(stmts):
        return all(isinstance(n, ast.Assert) or (isinstance(n, ast.For) and ok(n.body)) or
                   (isinstance(n, ast.Expr) and isinstance(n.value, ast.Call) and
                    getattr(n.value.func, 'id', getattr(n.value.func, 'attr', '')).startswith('test_')) for n in stmts)
    return bool(body) and ok(body)

def nb_load(path):
    shown = wide = tests = words = main_words = main_shown = 0
    prose, optional = '', False
    for c in json.loads(path.read_text())['cells']:
        s = src(c)
        if c['cell_type'] == 'markdown':
            for part in re.split(r'(?m)^(?=## )', re.sub(r'```.*?```|<details>.*?</details>', '', s, flags=re.S)):
                if part.startswith('## '): optional = bool(OPTIONAL.match(part))
                words += len(part.split()); main_words += 0 if optional else len(part.split())
            prose = s.strip(); continue
        if c['cell_type'] != 'code': continue
        intro, prose = prose, ''
        if HIDE.search(s): continue
        lines = [l for l in s.splitlines() if l.strip() and not l.startswith('#|')]
        wide += sum(len(l) > 88 for l in lines)
        if test_only(s) and not intro.endswith(':'): continue
        shown += len(lines); main_shown += 0 if optional else len(lines)
        tests += sum(l.lstrip().startswith('test_') for l in lines)
    return dict(shown=shown, wide=wide, tests=tests, words=words, main_shown=main_shown, main_words=main_words)

def body_len(f):
    "Non-blank lines of a function's body, without its docstring."
    body = f.body[1:] if ast.get_docstring(f) is not None else f.body
    return len({n for s in body for n in range(s.lineno, s.end_lineno + 1)})

def module_load():
    raises, exported, longest = 0, [], (0, '')
    for p in sorted((root/'mnist37').glob('*.py')):
        if p.name in INFRA: continue
        tree = ast.parse(p.read_text())
        raises += sum(isinstance(n, ast.Raise) for n in ast.walk(tree))
        names = next((ast.literal_eval(n.value) for n in tree.body if isinstance(n, ast.Assign)
                      and getattr(n.targets[0], 'id', '') == '__all__'), [])
        for n in ast.walk(tree):
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
                longest = max(longest, (body_len(n), f'{p.stem}.{n.name}'))
        exported += [body_len(n) for n in tree.body if isinstance(n, ast.FunctionDef) and n.name in names]
    return dict(raises=raises, median_fn=statistics.median(exported) if exported else 0,
                longest_fn=longest[0], longest_name=longest[1], exported_fns=len(exported))

def measure():
    per = {p.name: nb_load(p) for p in sorted((root/'nbs').glob('*.ipynb'))}
    lessons = {k: v for k, v in per.items() if k[0] == '0' and '_exercises' not in k}
    total = {k: sum(v[k] for v in lessons.values()) for k in next(iter(per.values()))}
    return dict(notebooks=per, lessons=total, modules=module_load())

if __name__ == '__main__':
    m = measure()
    if '--json' in sys.argv: print(json.dumps(m, indent=1)); sys.exit()
    print(f"{'notebook':34} {'shown':>6} {'>88':>5} {'tests':>6} {'words':>6} {'main: shown':>12} {'words':>6}")
    for k, v in m['notebooks'].items():
        print(f"{k:34} {v['shown']:6} {v['wide']:5} {v['tests']:6} {v['words']:6} {v['main_shown']:12} {v['main_words']:6}")
    t, mod = m['lessons'], m['modules']
    print(f"\nlessons (0*): shown code lines {t['shown']}, over 88 columns {t['wide']}, "
          f"visible test_* lines {t['tests']}, prose words {t['words']}; main path: shown code lines "
          f"{t['main_shown']}, prose words {t['main_words']}")
    print(f"taught modules: raise statements {mod['raises']}, median exported function {mod['median_fn']} lines "
          f"(of {mod['exported_fns']}), longest function {mod['longest_fn']} lines ({mod['longest_name']})")
