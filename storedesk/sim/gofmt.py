"""Go's fmt verbs for decoded JSON values: how a real API server prints values in errors."""

from __future__ import annotations

from decimal import Decimal
from typing import Any


def go_float(value: float) -> str:
    """Go's %v of a float64: shortest digits, exponent form below 1e-4 or from 1e6."""
    if value == 0:
        return "0"
    exact = Decimal(repr(value)).normalize()
    _, digits, exponent = exact.as_tuple()
    power = len(digits) + int(exponent) - 1
    if -4 <= power < 6:
        return format(exact, "f")
    mantissa = "".join(map(str, digits))
    mantissa = mantissa[0] + ("." + mantissa[1:] if len(mantissa) > 1 else "")
    return f"{'-' if value < 0 else ''}{mantissa}e{'-' if power < 0 else '+'}{abs(power):02d}"


def go_v(value: Any) -> str:
    """Go's %v of an unstructured value (maps print sorted as map[k:v])."""
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{go_v(value[k])}" for k in sorted(value)) + "]"
    if isinstance(value, list):
        return "[" + " ".join(go_v(v) for v in value) + "]"
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return go_float(value)
    return str(value)
