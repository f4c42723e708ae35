"""Kubernetes resource quantities ("100m", "512Mi", "1e3"), parsed and printed as the API does.

A port of k8s.io/apimachinery/pkg/api/resource/quantity.go on `Decimal`: the same grammar,
the same rounding (to nano on parse, away from zero), the same canonical form
("1.5" -> "1500m", "1.5Gi" -> "1536Mi"), the same quirk of echoing a string that parsed
on the fast path in an already canonical shape ("100m", "1.234", "+1Ki" stay as written),
and the same format rule for sums (a zero left operand takes the right one's format).
"""

from __future__ import annotations

from decimal import (
    MAX_EMAX,
    MIN_EMIN,
    ROUND_CEILING,
    ROUND_UP,
    Context,
    Decimal,
    DecimalException,
)
from typing import Any

DECIMAL_SI = "DecimalSI"
BINARY_SI = "BinarySI"
DECIMAL_EXPONENT = "DecimalExponent"

SPLIT_RE = "^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$"
ERR_FORMAT = f"quantities must match the regular expression '{SPLIT_RE}'"
ERR_SUFFIX = "unable to parse quantity's suffix"
ERR_NUMERIC = "unable to parse numeric part of quantity"

_DEC_SUFFIXES = {
    "n": -9,
    "u": -6,
    "m": -3,
    "": 0,
    "k": 3,
    "M": 6,
    "G": 9,
    "T": 12,
    "P": 15,
    "E": 18,
}
_DEC_BY_EXP = {e: s for s, e in _DEC_SUFFIXES.items()}
_BIN_SUFFIXES = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_BIN_BY_EXP = {e // 10: s for s, e in _BIN_SUFFIXES.items()} | {0: ""}
_SUFFIX_CHARS = frozenset("eEinumkKMGTP")
_MAX_INT64 = 2**63 - 1
_NANO = Decimal("1e-9")
# Exact arithmetic: quantities are bounded far below 200 significant digits.
_CTX = Context(prec=200, Emax=MAX_EMAX, Emin=MIN_EMIN)


class Quantity:
    """A quantity: exact value, the format it prints in, and Go's cached string (if any)."""

    __slots__ = ("_text", "format", "value")

    def __init__(self, value: Decimal | int, fmt: str = DECIMAL_SI, text: str | None = None):
        self.value = Decimal(value)
        self.format = fmt
        self._text = text

    @classmethod
    def parse(cls, text: str) -> Quantity:
        """Parse like resource.ParseQuantity; ValueError carries Go's message."""
        return parse(text)

    def __str__(self) -> str:
        return self._text if self._text is not None else _canonical(self.value, self.format)

    def __repr__(self) -> str:
        return f"Quantity({str(self)!r})"

    def __add__(self, other: Quantity) -> Quantity:
        fmt = other.format if self.value == 0 else self.format
        return Quantity(_CTX.add(self.value, other.value), fmt)

    def __sub__(self, other: Quantity) -> Quantity:
        fmt = other.format if self.value == 0 else self.format
        return Quantity(_CTX.subtract(self.value, other.value), fmt)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Quantity) and self.value == other.value

    def __hash__(self) -> int:
        return hash(self.value)

    def __lt__(self, other: Quantity) -> bool:
        return self.value < other.value

    def __le__(self, other: Quantity) -> bool:
        return self.value <= other.value

    def __gt__(self, other: Quantity) -> bool:
        return self.value > other.value

    def __ge__(self, other: Quantity) -> bool:
        return self.value >= other.value

    def sign(self) -> int:
        """-1, 0 or 1."""
        return (self.value > 0) - (self.value < 0)

    def value_int(self) -> int:
        """Value rounded up away from zero (Quantity.Value)."""
        return int(self.value.to_integral_value(rounding=ROUND_UP))

    def milli_value(self) -> int:
        """ceil(value * 1000) (Quantity.MilliValue)."""
        return int(_CTX.multiply(self.value, 1000).to_integral_value(rounding=ROUND_CEILING))

    def round_up(self, exponent: int) -> Quantity:
        """Round away from zero to a multiple of 10**exponent (Quantity.RoundUp).

        Like Go, the cached string survives when no rounding was needed."""
        if _exponent(self.value) >= exponent:
            return self
        step = Decimal(1).scaleb(exponent)
        return Quantity(self.value.quantize(step, rounding=ROUND_UP, context=_CTX), self.format)


def parse(text: str) -> Quantity:
    """Parse a quantity string exactly as resource.ParseQuantity does."""
    if text == "":
        raise ValueError(ERR_FORMAT)
    if text == "0":
        return Quantity(0, DECIMAL_SI, "0")
    positive, num, denom, suffix = _scan(text)
    base, exponent, fmt = _interpret(suffix)

    digits = f"{num}.{denom}" if denom else num
    try:
        amount = Decimal(digits if positive else "-" + digits)
        if base == 10:
            amount = amount.scaleb(exponent, context=_CTX)
        else:
            amount = _CTX.multiply(amount, Decimal(2) ** exponent)
        if _exponent(amount) < -9:
            # Finer than nano rounds away from zero: asking for some gets you some.
            amount = amount.quantize(_NANO, rounding=ROUND_UP, context=_CTX)
    except DecimalException:
        raise ValueError(ERR_NUMERIC) from None
    if fmt == BINARY_SI:
        if abs(amount) > _MAX_INT64:
            amount = Decimal(_MAX_INT64 if amount > 0 else -_MAX_INT64)
        if 0 < abs(amount) < 1:
            fmt = DECIMAL_SI
    return Quantity(amount, fmt, text if _fast_path_keeps(num, denom, exponent, fmt) else None)


def parse_or_none(value: Any) -> Quantity | None:
    """Parse a JSON value (a string or a number, as Go accepts); None when it does not parse."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    try:
        return parse(str(value).strip())
    except ValueError:
        return None


def canonical(text: str) -> str:
    """The string the API server returns for a quantity it was sent."""
    return str(parse(text))


def total(quantities: list[Quantity]) -> Quantity:
    """Sum, starting from a DecimalSI zero (so the first non-zero term sets the format)."""
    result = Quantity(0)
    for q in quantities:
        result = result + q
    return result


def _exponent(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)  # quantities are always finite
    return exponent


def _scan(text: str) -> tuple[bool, str, str, str]:
    """parseQuantityString: sign, integer digits, fraction digits, suffix."""
    positive, pos, end = True, 0, len(text)
    if text[0] in "+-":
        positive = text[0] == "+"
        pos = 1
    while pos < end and text[pos] == "0":
        pos += 1
    if pos >= end:
        return positive, "0", "", ""
    start = pos
    while pos < end and text[pos].isdigit() and text[pos].isascii():
        pos += 1
    num = text[start:pos] or "0"
    denom = ""
    if pos < end and text[pos] == ".":
        pos += 1
        start = pos
        while pos < end and text[pos].isdigit() and text[pos].isascii():
            pos += 1
        denom = text[start:pos]
    suffix_start = pos
    while pos < end and text[pos] in _SUFFIX_CHARS:
        pos += 1
    if pos < end and text[pos] in "+-":
        pos += 1
    while pos < end and text[pos].isdigit() and text[pos].isascii():
        pos += 1
    if pos < end:
        raise ValueError(ERR_FORMAT)
    return positive, num, denom, text[suffix_start:]


def _interpret(suffix: str) -> tuple[int, int, str]:
    """(base, exponent, format) of a suffix, as quantitySuffixer.interpret."""
    if suffix in _DEC_SUFFIXES:
        return 10, _DEC_SUFFIXES[suffix], DECIMAL_SI
    if suffix in _BIN_SUFFIXES:
        return 2, _BIN_SUFFIXES[suffix], BINARY_SI
    if len(suffix) > 1 and suffix[0] in "eE":
        tail = suffix[1:]
        sign, digits = (tail[0], tail[1:]) if tail[0] in "+-" else ("", tail)
        if digits.isdigit() and digits.isascii():
            exponent = int(sign + digits)
            if -(2**31) <= exponent < 2**31:
                return 10, exponent, DECIMAL_EXPONENT
    raise ValueError(ERR_SUFFIX)


def _fast_path_keeps(num: str, denom: str, exponent: int, fmt: str) -> bool:
    """Whether ParseQuantity's int64 fast path keeps the input string as the printed form."""
    if fmt == BINARY_SI:
        if denom or exponent < 0:
            return False
        if 15 - len(num) - (exponent * 3) // 10 - 1 < 0:
            return False
        value = int(num)
        return value << exponent <= _MAX_INT64 and value & 0x07 != 0
    if 18 - len(num) - len(denom) < 0:
        return False
    scale = exponent - len(denom)
    if scale < -9:
        return False
    shifted = num + denom
    return scale % 3 == 0 and not shifted.endswith("000") and shifted[0] != "0"


def _canonical(value: Decimal, fmt: str) -> str:
    """CanonicalizeBytes: the largest suffix that loses no precision, no fraction digits."""
    if value == 0:
        return "0"
    if fmt == BINARY_SI and (abs(value) < 1024 or value != value.to_integral_value()):
        fmt = DECIMAL_SI
    if fmt == BINARY_SI:
        mantissa, power = int(value), 0
        while power < 6 and mantissa % 1024 == 0:
            mantissa //= 1024
            power += 1
        return f"{mantissa}{_BIN_BY_EXP[power]}"
    sign, digits, _ = value.as_tuple()
    mantissa, exponent = int("".join(map(str, digits))), _exponent(value)
    while mantissa % 10 == 0:
        mantissa //= 10
        exponent += 1
    while exponent % 3:
        mantissa *= 10
        exponent -= 1
    number = f"-{mantissa}" if sign else str(mantissa)
    if fmt == DECIMAL_SI and exponent in _DEC_BY_EXP:
        return number + _DEC_BY_EXP[exponent]
    return number + (f"e{exponent}" if exponent else "")
