"""course_utils.checks: assertions whose messages tell a student what is wrong."""

from __future__ import annotations

import numpy as np
import pytest

from course_utils import checks


def test_check_close_passes_within_tolerance():
    a = np.linspace(0, 1, 11)
    checks.check_close(a + 1e-9, a, rtol=0, atol=1e-8)


def test_check_close_takes_torch_tensors():
    torch = pytest.importorskip("torch", reason="torch-free run (Python 3.12/3.13, tests/test_pythons.py)")
    a = np.linspace(0, 1, 11)
    checks.check_close(torch.tensor(a), a, rtol=1e-6)


def test_check_close_reports_largest_error_and_where():
    expected = np.zeros((3, 4))
    actual = expected.copy()
    actual[2, 1] = 0.5
    actual[0, 0] = 0.1
    with pytest.raises(AssertionError) as err:
        checks.check_close(actual, expected, atol=1e-3, name="S")
    msg = str(err.value)
    assert "2 of 12 values" in msg and "(2, 1)" in msg and "0.5" in msg and msg.startswith("S:")


def test_check_close_shape_and_transpose_hint():
    with pytest.raises(AssertionError, match=r"shape \(4, 3\), expected \(3, 4\).*swapped"):
        checks.check_close(np.zeros((4, 3)), np.zeros((3, 4)))


def test_check_close_complex_expected_real_given():
    with pytest.raises(AssertionError, match="complex"):
        checks.check_close(np.ones(3), np.ones(3, dtype=complex))


def test_check_close_nan():
    with pytest.raises(AssertionError, match="NaN"):
        checks.check_close(np.array([1.0, np.nan]), np.array([1.0, 2.0]))


def test_check_shape_and_wildcards():
    checks.check_shape(np.zeros((5, 7)), (5, None))
    with pytest.raises(AssertionError, match=r"frames has shape \(7, 5\), expected \(5, 7\)"):
        checks.check_shape(np.zeros((7, 5)), (5, 7), name="frames")


def test_check_dtype_kinds():
    checks.check_dtype(np.zeros(3, dtype=np.complex64), "c")
    with pytest.raises(AssertionError, match="dtype float64, expected complex"):
        checks.check_dtype(np.zeros(3), "c")
    with pytest.raises(AssertionError, match="expected float32"):
        checks.check_dtype(np.zeros(3), np.float32)


def test_check_type_none_hint():
    with pytest.raises(AssertionError, match="forget to `return`"):
        checks.check_type(None, np.ndarray)


def test_check_scalar_close():
    checks.check_scalar_close(6.02, 6.0206, atol=0.01)
    with pytest.raises(AssertionError, match="is 3, expected 6"):
        checks.check_scalar_close(3.0, 6.0, atol=0.5)
    with pytest.raises(AssertionError, match="should be a number"):
        checks.check_scalar_close("six", 6.0)


def test_checks_return_none():
    """A check at the end of a graded cell must display nothing (nbgrader reads numbers as credit)."""
    a = np.ones(3)
    results = [checks.check_close(a, a), checks.check_shape(a, (3,)), checks.check_dtype(a, "f"),
               checks.check_finite(a), checks.check_type(a, np.ndarray),
               checks.check_scalar_close(1.0, 1.0)]
    assert results == [None] * 6
