"""Resource quantities parse and print exactly as the API server prints them.

Most tables are ported from k8s.io/apimachinery/pkg/api/resource/quantity_test.go
(TestQuantityString, TestQuantityParseEmit, TestQuantityParse, TestQuantityRoundUp).
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from storedesk.sim.quantity import (
    BINARY_SI,
    DECIMAL_EXPONENT,
    DECIMAL_SI,
    ERR_FORMAT,
    ERR_SUFFIX,
    Quantity,
    canonical,
    parse,
    total,
)

# (canonical form, a non-canonical spelling of the same value) from TestQuantityString.
CANONICAL = [
    ("1Gi", "1024Mi"),
    ("300Mi", "307200Ki"),
    ("6Ki", ""),
    ("1001Gi", "1025024Mi"),
    ("1Ti", "1024Gi"),
    ("5", "5000m"),
    ("500m", "0.5"),
    ("1G", "1000M"),
    ("1G", "0.001T"),
    ("1m", "1000u"),
    ("80m", ""),
    ("1080m", "1.08"),
    ("1080m", "1080000000n"),
    ("300M", ""),
    ("1T", ""),
    ("1E", ""),
    ("1e21", "1000E"),
    ("5e21", "5000E"),
    ("1e24", "1000000E"),
    ("1234567M", ""),
    ("3k", ""),
    ("1025", ""),
    ("0", "00"),
    ("1e9", ".001e12"),
    ("1e-3", "0.001e0"),
    ("1e-9", "1000e-12"),
    ("80e-3", ""),
    ("300e6", ""),
    ("1e12", ""),
    ("3e3", ""),
    ("1n", ""),
    ("80n", ""),
    ("1080n", ""),
    ("1u", ""),
    ("80u", ""),
    ("1080u", ""),
]


@pytest.mark.parametrize(("expect", "alternate"), CANONICAL)
def test_canonical_strings_print_as_written_and_alternates_canonicalize(expect, alternate):
    assert canonical(expect) == expect
    if alternate:
        assert canonical(alternate) == expect
        assert canonical("-" + alternate.lstrip("+")) == ("-" + expect if expect != "0" else "0")


@pytest.mark.parametrize(
    ("text", "expect"),
    [
        ("1Ki", "1Ki"),
        ("1Mi", "1Mi"),
        ("1Gi", "1Gi"),
        ("1024Mi", "1Gi"),
        ("1000M", "1G"),
        (".001Ki", "1024m"),
        (".000001Ki", "1024u"),
        (".000000001Ki", "1024n"),
        (".000000000001Ki", "2n"),
        # What quota and LimitRange messages print.
        ("1536Mi", "1536Mi"),
        ("1.5Gi", "1536Mi"),
        ("1.5", "1500m"),
        ("2048Mi", "2Gi"),
        ("0.5", "500m"),
        ("1000m", "1"),
        ("2k", "2k"),
        ("1e3", "1e3"),
        ("512Mi", "512Mi"),
    ],
)
def test_parse_then_print(text, expect):
    assert canonical(text) == expect
    assert canonical("-" + text) == "-" + expect


@pytest.mark.parametrize(
    "text",
    [
        # Strings on the int64 fast path already in canonical shape are echoed, like Go's cache.
        "100m",
        "1.234",
        "+1Ki",
        "01",
        "1E3",
    ],
)
def test_fast_path_strings_are_echoed_verbatim(text):
    assert canonical(text) == text


@pytest.mark.parametrize(
    ("text", "value", "fmt"),
    [
        ("0", "0", DECIMAL_SI),
        ("0Ki", "0", BINARY_SI),
        ("1", "1", DECIMAL_SI),
        ("8Ki", "8192", BINARY_SI),
        ("3Ei", str(3 * 2**60), BINARY_SI),
        ("5n", "5e-9", DECIMAL_SI),
        ("50k", "5e4", DECIMAL_SI),
        ("1E", "1e18", DECIMAL_SI),
        ("1E-3", "0.001", DECIMAL_EXPONENT),
        ("1e3", "1000", DECIMAL_EXPONENT),
        ("100.035k", "100035", DECIMAL_SI),
        ("0.0005k", "0.5", DECIMAL_SI),
        ("1.3E+6", "1.3e6", DECIMAL_EXPONENT),
        ("1.01E", "1.01e18", DECIMAL_SI),
        # Rounded up to nano, away from zero.
        ("3.001n", "4e-9", DECIMAL_SI),
        ("0.0000000001", "1e-9", DECIMAL_SI),
        ("0.00000012345", "1.24e-7", DECIMAL_SI),
        # Binary quantities saturate at 2^63-1; below 1 they turn decimal.
        ("9Ei", str(2**63 - 1), BINARY_SI),
        ("0.000000000001Ki", "2e-9", DECIMAL_SI),
        ("0.5Mi", "524288", BINARY_SI),
        ("1.", "1", DECIMAL_SI),
        ("1.G", "1e9", DECIMAL_SI),
    ],
)
def test_parse_values_and_formats(text, value, fmt):
    q = parse(text)
    assert q.value == Decimal(value)
    assert q.format == fmt


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("1.1.M", ERR_FORMAT),
        ("1+1.0M", ERR_FORMAT),
        ("aoeu", ERR_FORMAT),
        (" 1", ERR_FORMAT),
        ("1 ", ERR_FORMAT),
        ("", ERR_FORMAT),
        ("1 Gi", ERR_FORMAT),
        ("0.1mi", ERR_SUFFIX),
        ("0.1am", ERR_FORMAT),
        (".5i", ERR_SUFFIX),
        ("1i", ERR_SUFFIX),
        ("-3.01i", ERR_SUFFIX),
        ("-3.01e-", ERR_SUFFIX),
        ("1K", ERR_SUFFIX),
        ("1e", ERR_SUFFIX),
    ],
)
def test_invalid_quantities_give_the_go_error(text, error):
    with pytest.raises(ValueError, match=f"^{re.escape(error)}$"):
        parse(text)


def test_error_message_names_the_regular_expression():
    assert ERR_FORMAT == (
        "quantities must match the regular expression "
        "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
    )


def test_sums_keep_the_left_format_unless_the_left_is_zero():
    assert str(parse("1Gi") + parse("512Mi")) == "1536Mi"
    assert str(parse("500m") + parse("1")) == "1500m"
    assert str(Quantity(0) + parse("1Gi")) == "1Gi"
    assert str(parse("1Gi") + Quantity(0)) == "1Gi"
    assert str(parse("1G") + parse("1Gi")) == "2073741824"
    assert str(total([parse("512Mi"), parse("1Gi")])) == "1536Mi"
    assert str(parse("1Gi") - parse("1536Mi")) == "-512Mi"
    assert str(Quantity(0) - parse("100m")) == "-100m"


def test_comparison_is_by_value():
    assert parse("10000T") > parse("100Gi")
    assert parse("1") == parse("1000m")
    assert parse("100m") < parse("0.2") <= parse("200m")


@pytest.mark.parametrize(
    ("text", "exponent", "expect"),
    [
        ("9.01", -3, "9010m"),
        ("9.01", -1, "9100m"),
        ("9.01", 0, "10"),
        ("9.01", 2, "100"),
        ("-9.01", -1, "-9100m"),
        ("-9.01", 0, "-10"),
        ("100u", -3, "1m"),
        ("100m", -3, "100m"),
        ("1.234567", -3, "1235m"),
    ],
)
def test_round_up_away_from_zero(text, exponent, expect):
    assert str(parse(text).round_up(exponent)) == expect


def test_integer_accessors_round_up():
    assert parse("1.5m").milli_value() == 2
    assert parse("2").milli_value() == 2000
    assert parse("1.2").value_int() == 2
    assert parse("100Mi").value_int() == 100 * 2**20
