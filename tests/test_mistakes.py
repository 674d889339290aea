"""The autograder tests itself: every graded function's mistake catalogue (tests/mistakes/).

For each solution notebook, the catalogue's wrong answers must each fail at least one grade cell
of their part (hidden tests included) and its right answers must pass all of them; the rates are
printed per notebook (run with ``-s`` to see them; they are also in the failure message). Known
gaps, wrong answers today's tests let through, are listed with ``xfail`` in the catalogue: each is
its own strict-xfail test here, so it shows in the summary and fails the day a test catches it
(then drop the ``xfail``). The notebook is loaded once per test module run (one worker under
``--dist loadfile``).
"""

from __future__ import annotations

import functools

import nbformat
import pytest

from mistakes import runner
from toy_course import toy_notebook


@functools.lru_cache(maxsize=None)
def report(assignment: str) -> runner.Report:
    return runner.run(assignment)


@pytest.mark.parametrize("assignment", runner.CATALOGUES)
def test_catalogue(assignment):
    """Wrong answers caught and right answers passed: both 100 %."""
    rep = report(assignment)
    print("\n" + rep.summary() + "\n" + rep.table())
    problems = rep.problems()
    assert not problems, rep.summary() + "\n" + "\n".join(problems)


def _gaps():
    for assignment in runner.CATALOGUES:
        for variant in runner.catalogue(assignment).VARIANTS:
            if variant.xfail:
                yield pytest.param(assignment, variant, id=f"{assignment}-{variant.cell}-{variant.what[:40]}",
                                   marks=pytest.mark.xfail(strict=True, reason=variant.xfail))


@pytest.mark.parametrize("assignment, variant", list(_gaps()) or
                         [pytest.param(None, None, marks=pytest.mark.skip(reason="no known gaps"))])
def test_known_gap(assignment, variant):
    """A known gap (xfail, strict): a wrong answer today's grade cells let through; caught means fixed."""
    outcome = next(o for o in report(assignment).outcomes if o.variant == variant)
    assert not outcome.error, outcome.error
    assert outcome.ok, (f"no grade cell of {variant.cell}'s part rejects: {variant.what}" if not variant.right
                        else f"a grade cell rejects this right answer: {outcome.failures}")


def test_runner_on_a_toy_notebook(tmp_path):
    """The runner itself: it reports a wrong answer that slips through and a right answer rejected."""
    (tmp_path / "90_toy").mkdir()
    nbformat.write(toy_notebook("90_toy"), tmp_path / "90_toy" / "90_toy.ipynb")
    variants = [
        runner.wrong("add", "subtracts", "def add(a, b):\n    return a - b\n"),
        runner.wrong("add", "right on the tested inputs only", "def add(a, b):\n    return 3 if (a, b) == (1, 2) else 0\n"),
        runner.right("mul", "repeated addition", "def mul(a, b):\n    return sum(a for _ in range(abs(b))) * (1 if b >= 0 else -1)\n"),
        runner.right("mul", "labelled right but adds", replace=[("return a * b", "return a + b")]),
        runner.wrong("mul", "an edit that no longer applies", replace=[("return a ** b", "return b")]),
    ]
    session = runner.Session("90_toy", root=tmp_path)
    outcomes = session.load(lambda: [session.try_variant(v) for v in variants])
    assert session.baseline == {}
    assert [o.ok for o in outcomes] == [True, False, True, False, False]
    assert "test_add" in outcomes[0].failures and not outcomes[1].failures
    assert "test_mul" in outcomes[3].failures and "no longer contains" in outcomes[4].error
    assert session.ns["add"](2, 2) == 4 and session.ns["mul"](2, 3) == 6, "the solution is restored after each variant"
