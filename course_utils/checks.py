"""Assertions for notebook test cells that tell a student *what* is wrong.

Used by the test cells of every notebook. Each check raises ``AssertionError`` with a message that
names the quantity, what was found and what was expected: the shape, the dtype, or the largest
error, where it occurs and the tolerance. Every check returns ``None``: nbgrader reads a number
displayed at the end of a graded cell as partial credit, so a check must never display one.
Tolerances follow ``np.testing.assert_allclose``:
an element passes when ``|actual - expected| <= atol + rtol * |expected|``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["check_shape", "check_dtype", "check_close", "check_finite", "check_type",
           "check_scalar_close"]


def _np(x):
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    return np.asarray(x)


def check_type(value, types, name: str = "result"):
    """Assert ``isinstance(value, types)``; e.g. a function that returned ``None``."""
    if not isinstance(value, types):
        names = " or ".join(t.__name__ for t in (types if isinstance(types, tuple) else (types,)))
        raise AssertionError(f"{name} should be a {names}, but it is {type(value).__name__}"
                             + (" (did the function forget to `return`?)" if value is None else "."))
    return None


def check_shape(actual, expected_shape, name: str = "result", hint: str = ""):
    """Assert an array's shape.

    Args:
        actual: array-like (numpy or torch).
        expected_shape: tuple of ints; ``None`` in a position accepts any length there.
        name: how the value is called in the message.
        hint: an extra sentence for the likely cause (e.g. "frames should be columns").
    """
    shape = tuple(_np(actual).shape)
    expected_shape = tuple(expected_shape)
    ok = len(shape) == len(expected_shape) and all(
        e is None or s == e for s, e in zip(shape, expected_shape))
    if not ok:
        msg = f"{name} has shape {shape}, expected {expected_shape}."
        if len(shape) == 2 and len(expected_shape) == 2 and shape[::-1] == expected_shape:
            msg += " The axes look swapped (transposed)."
        raise AssertionError(msg + (f" {hint}" if hint else ""))
    return None


def check_dtype(actual, kind, name: str = "result"):
    """Assert a dtype: ``kind`` is a numpy dtype or a kind string (``"f"`` float, ``"c"`` complex,
    ``"i"`` signed integer, ``"b"`` bool)."""
    dtype = _np(actual).dtype
    if isinstance(kind, str) and len(kind) == 1:
        ok = dtype.kind == kind
        wanted = {"f": "floating-point", "c": "complex", "i": "integer", "b": "boolean",
                  "u": "unsigned integer"}.get(kind, kind)
    else:
        ok = dtype == np.dtype(kind)
        wanted = str(np.dtype(kind))
    if not ok:
        raise AssertionError(f"{name} has dtype {dtype}, expected {wanted}.")
    return None


def check_finite(actual, name: str = "result"):
    """Assert that no element is NaN or infinite (and say where the first one is)."""
    a = _np(actual)
    bad = ~np.isfinite(a)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        raise AssertionError(f"{name} has {int(bad.sum())} NaN/inf values, the first at index "
                             f"{idx}: {a[idx]!r}.")
    return None


def check_close(actual, expected, rtol: float = 1e-7, atol: float = 0.0, name: str = "result",
                hint: str = ""):
    """Assert that two arrays have the same shape and agree within tolerances.

    Args:
        actual: the student's array (numpy or torch, real or complex).
        expected: the reference array.
        rtol: relative tolerance.
        atol: absolute tolerance.
        name: how the value is called in the message.
        hint: a sentence added to the message on failure (a likely cause).

    Raises:
        AssertionError: wrong shape, NaNs, or values out of tolerance; the message gives the
            number of mismatches, the largest absolute error, where it occurs, and both values.
    """
    a, e = _np(actual), _np(expected)
    if a.shape != e.shape:
        msg = f"{name} has shape {a.shape}, expected {e.shape}."
        if a.ndim == 2 and a.shape[::-1] == e.shape:
            msg += " The axes look swapped (transposed)."
        raise AssertionError(msg + (f" {hint}" if hint else ""))
    if np.iscomplexobj(e) and not np.iscomplexobj(a):
        raise AssertionError(f"{name} is real ({a.dtype}) but complex values were expected."
                             + (f" {hint}" if hint else ""))
    if a.size == 0:
        return None
    check_finite(a, name)
    a64 = a.astype(np.complex128 if np.iscomplexobj(a) else np.float64)
    e64 = e.astype(np.complex128 if np.iscomplexobj(e) else np.float64)
    err = np.abs(a64 - e64)
    allowed = atol + rtol * np.abs(e64)
    bad = err > allowed
    if bad.any():
        i = np.unravel_index(int(np.argmax(err - allowed)), err.shape)
        idx = tuple(int(k) for k in i)
        raise AssertionError(
            f"{name}: {int(bad.sum())} of {a.size} values differ beyond rtol={rtol:g}, atol={atol:g}. "
            f"Largest error {float(err.max()):.3g}; worst at index {idx}: got {a[idx]!r}, expected "
            f"{e[idx]!r}." + (f" {hint}" if hint else ""))
    return None


def check_scalar_close(actual, expected: float, rtol: float = 1e-7, atol: float = 0.0,
                       name: str = "result", hint: str = ""):
    """Assert that a number is within ``atol + rtol * |expected|`` of ``expected``."""
    try:
        value = float(actual)
    except (TypeError, ValueError):
        raise AssertionError(f"{name} should be a number, got {type(actual).__name__}: {actual!r}.")
    if not np.isfinite(value) or abs(value - expected) > atol + rtol * abs(expected):
        raise AssertionError(f"{name} is {value:.6g}, expected {expected:.6g} (rtol={rtol:g}, "
                             f"atol={atol:g})." + (f" {hint}" if hint else ""))
    return None
