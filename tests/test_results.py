"""The results table on the home page (and so README.md) against the notebooks it quotes.

Each row names a model; each model has a notebook and the top-level names that notebook leaves (`make bench` reads
them as the notebook runs). The accuracy the table states must be the one that notebook asserts for that name, the
epochs the ones it trains for, and the book's figure must be quoted for the epochs the book trained.
"""
import json, re
from pathlib import Path

import pytest

nbs = Path(__file__).resolve().parent.parent/'nbs'

# row keyword -> (notebook, the name holding its accuracy, the name holding its epochs)
MODELS = {'pixel similarity': ('02_pixel_similarity.ipynb', 'baseline_acc', None),
          'from scratch': ('06_mnist_sgd.ipynb', 'acc_linear', 'epochs_linear'),
          'BasicOptim': ('06_mnist_sgd.ipynb', 'acc_basic_optim', 'epochs_basic_optim'),
          'Learner': ('07_plain_pytorch.ipynb', 'acc_learner', 'epochs_learner'),
          'simple net': ('06_mnist_sgd.ipynb', 'acc_net', 'epochs_net')}
# the book's figure for each model, and after how many epochs (chapter 4)
BOOK = {'pixel similarity': ('0.9168 / 0.9854', None), 'from scratch': ('0.9696', 20), 'BasicOptim': ('0.9785', 20),
        'Learner': ('0.968', 10), 'simple net': ('0.9828', 40)}


def cells(nb:str, kind:str) -> list[str]:
    return [''.join(c['source']) for c in json.loads((nbs/nb).read_text(encoding='utf-8'))['cells']
            if c['cell_type'] == kind]


def results_table() -> list[dict]:
    "The rows of the table under the home page's 'Results' heading, as dicts keyed by its header."
    md = '\n'.join(cells('index.ipynb', 'markdown'))
    section = md.split('## Results', 1)[1].split('\n## ', 1)[0]
    rows = [[c.strip() for c in l.strip().strip('|').split('|')] for l in section.splitlines() if l.startswith('|')]
    header, body = rows[0], rows[2:]
    return [dict(zip(header, r)) for r in body]


def row_for(key:str) -> dict:
    rows = [r for r in results_table() if key in r['model']]
    assert len(rows) == 1, f"expected one row of the results table for {key!r}, found {len(rows)}"
    return rows[0]


def test_table_has_the_models():
    assert len(results_table()) == len(MODELS)
    for key in MODELS: row_for(key)


@pytest.mark.parametrize('key', list(MODELS))
def test_accuracy_is_the_one_its_notebook_asserts(key):
    nb, name, _ = MODELS[key]
    row = row_for(key)
    assert f'({nb})' in row['notebook'], f"the row for {key!r} should link to {nb}"
    ours = re.findall(r'\d\.\d{4}', row['accuracy here'])
    assert ours, f"no accuracy in the row for {key!r}"
    code = '\n'.join(cells(nb, 'code'))
    assert re.search(rf'^\s*{name}\s*=', code, re.M), f"{nb} leaves no top-level `{name}` (bench reads it)"
    lines = [l for l in code.splitlines() if re.search(r'\btest_(eq|close)\(', l) and re.search(rf'\b{name}\b', l)]
    asserted = {n for l in lines for n in re.findall(r'\d\.\d{4}', l)}
    missing = set(ours) - asserted
    assert not missing, (f"the results table says {sorted(missing)} for {key!r}, but {nb} asserts no such value "
                         f"for `{name}` (its asserts: {lines})")


@pytest.mark.parametrize('key', [k for k, v in MODELS.items() if v[2]])
def test_epochs_are_the_ones_its_notebook_trains(key):
    nb, _, name = MODELS[key]
    code = '\n'.join(cells(nb, 'code'))
    set_to = re.findall(rf'^\s*{name}\s*=\s*(\d+)\s*$', code, re.M)
    asserted = re.findall(rf'test_eq\(\s*{name}\s*,\s*(\d+)\s*\)', code)
    epochs = set(set_to) | set(asserted)
    assert epochs, f"{nb} neither sets `{name}` to a number nor asserts it"
    stated = re.match(r'\s*(\d+)', row_for(key)['epochs here'])
    assert stated and stated.group(1) in epochs, \
        f"the results table says {row_for(key)['epochs here']!r} epochs for {key!r}; {nb} has {sorted(epochs)}"


@pytest.mark.parametrize('key', list(BOOK))
def test_book_figure_is_quoted_for_the_book_s_epochs(key):
    "Like with like: the book's figure, and, where the book trained for other epochs than we do, its epochs."
    figure, book_epochs = BOOK[key]
    row = row_for(key)
    assert figure in row['the book'], f"the row for {key!r} should quote the book's {figure}"
    if book_epochs is None: return
    ours = re.match(r'\s*(\d+)', row['epochs here']).group(1)
    if int(ours) == book_epochs: assert f'same {book_epochs} epochs' in row['the book'], row
    else: assert f'{book_epochs} epochs' in row['the book'], f"say after how many epochs the book got {figure}"
