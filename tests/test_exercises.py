"The exercises: every reference solution passes, common mistakes get their own message, and the shipped notebooks run."
import re
from pathlib import Path
import pytest
from execnb.nbio import read_nb
from execnb.shell import CaptureShell
from mnist37.exercises import LESSONS, ____, exercises

nbs = Path(__file__).parents[1]/'nbs'
ALL = [(lesson, i, q) for lesson in LESSONS for i, q in enumerate(exercises(lesson), 1)]
ids = [f'{lesson}-q{i}-{q.name}' for lesson, i, q in ALL]

@pytest.mark.parametrize('lesson,i,q', ALL, ids=ids)
def test_reference_solution_passes(lesson, i, q):
    assert q.grade(q.reference)[0] == 'correct'

@pytest.mark.parametrize('lesson,i,q', ALL, ids=ids)
def test_common_mistakes_get_their_message(lesson, i, q):
    assert len(q.mistakes) >= 2
    for wrong, msg in q.mistakes: assert q.grade(wrong) == ('wrong', msg)
    assert q.grade(____)[0] == 'blank'

def test_at_least_three_per_lesson():
    assert all(len(exercises(l)) >= 3 for l in LESSONS) and len(ALL) >= 18
    assert {f'{l}' for l in LESSONS} == {p.stem.split('_', 1)[1].removesuffix('_exercises')
                                          for p in nbs.glob('0*_exercises.ipynb')}

@pytest.mark.parametrize('path', sorted(nbs.glob('0*_exercises.ipynb')), ids=lambda p: p.stem)
def test_shipped_notebook_runs_and_says_not_attempted(path):
    nb = read_nb(path)
    CaptureShell(path.parent).run_all(nb)
    checks = [c for c in nb.cells if c.cell_type == 'code' and c.source.strip().endswith('.check()')]
    said = [''.join(o.get('text', '')) for c in checks for o in c.outputs]
    assert len(said) == len(checks) >= 3 and all(s.startswith('… Not attempted yet') for s in said)

@pytest.mark.parametrize('path', sorted(nbs.glob('0*_exercises.ipynb')), ids=lambda p: p.stem)
def test_hints_in_notebook_are_the_checkers(path):
    "Each check is followed by a folded Hint whose text is its Exercise's `hint_text`: one source, no drift."
    nb, qs = read_nb(path), exercises(path.stem.split('_', 1)[1].removesuffix('_exercises'))
    cells = nb.cells
    checks = [i for i, c in enumerate(cells) if c.cell_type == 'code' and c.source.strip().endswith('.check()')]
    assert [cells[i].source.strip() for i in checks] == [f'q{k}.check()' for k in range(1, len(qs) + 1)]
    for i, q in zip(checks, qs):
        hint = re.fullmatch(r'<details><summary>Hint</summary>(.*)</details>', cells[i + 1].source.strip(), re.S)
        assert hint and hint[1] == q.hint_text, f"{path.name}: the hint under {q.name}'s check"
    assert not any('.hint()' in c.source for c in cells if c.cell_type == 'code')
    assert all(c.source.startswith('# ') for c in cells if c.cell_type == 'code' and '.solution()' in c.source)
