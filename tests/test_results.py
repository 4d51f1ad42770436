"The results table on the home page states accuracies; each must be one that its notebook asserts."
import json, re
from pathlib import Path

nbs = Path(__file__).resolve().parent.parent/'nbs'

def cells(nb:str, kind:str) -> list[str]:
    return [''.join(c['source']) for c in json.loads((nbs/nb).read_text())['cells'] if c['cell_type'] == kind]

def results_table() -> list[dict]:
    "The rows of the table under the home page's 'Results' heading, as dicts keyed by its header."
    md = '\n'.join(cells('index.ipynb', 'markdown'))
    section = md.split('## Results', 1)[1].split('\n## ', 1)[0]
    rows = [[c.strip() for c in l.strip().strip('|').split('|')] for l in section.splitlines() if l.startswith('|')]
    header, body = rows[0], [r for r in rows[2:]]
    return [dict(zip(header, r)) for r in body]

def asserted_numbers(nb:str) -> set[str]:
    "Every decimal number that appears on a line of a test cell that calls a fastcore test."
    lines = [l for src in cells(nb, 'code') for l in src.splitlines() if re.search(r'\btest_(eq|close)\(', l)]
    return {n for l in lines for n in re.findall(r'\d+\.\d+', l)}

def test_table_has_the_models():
    names = ' '.join(r['model'] for r in results_table())
    for model in ['pixel similarity', 'from scratch', 'BasicOptim', 'SGD', 'simple net']: assert model in names

def test_each_accuracy_is_asserted_by_its_notebook():
    for row in results_table():
        nb = re.search(r'\((\d\d_\w+\.ipynb)\)', row['notebook']).group(1)
        ours = re.findall(r'\d\.\d{4}', row['accuracy here'])
        assert ours, f"no accuracy in row {row}"
        missing = set(ours) - asserted_numbers(nb)
        assert not missing, f"the results table says {sorted(missing)} for {row['model']!r}, but {nb} asserts no such value"
