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

import pytest

from mistakes import runner


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
