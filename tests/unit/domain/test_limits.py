"""Timeouts and the helm concurrency cap: what a user may set, and the refusal otherwise."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storedesk.domain.limits import (
    MAX_HELM_CONCURRENCY,
    MAX_TIMEOUT,
    MIN_TIMEOUT,
    parse_helm_concurrency,
    parse_timeout,
    validate_timeout,
)
from storedesk.errors import InvalidInput

RULE = "a timeout is a number of seconds from 10 to 86400 (24 hours)"


@pytest.mark.parametrize(
    ("typed", "seconds"),
    [("10", 10.0), ("600", 600.0), ("90.5", 90.5), ("86400", 86400.0), ("0600", 600.0)],
)
def test_timeouts_in_range_are_read_as_seconds(typed: str, seconds: float) -> None:
    assert parse_timeout(typed) == seconds


@pytest.mark.parametrize(
    "typed",
    # F9 (nan, inf, 1e400), F13 (0 silently became 600; -5, 0.0001 made a store that
    # fails), and spellings float() takes that nobody means as seconds.
    [
        *("nan", "inf", "-inf", "1e400", "0", "-5", "0.0001", "9.99", "86400.5", "1e3"),
        *("1_0", "", " 600", "600\n", "600s", "\u0663\u0660", "0x10", "ten"),
    ],
)
def test_unusable_timeouts_are_refused_naming_the_bounds(typed: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_timeout(typed)
    assert str(caught.value) == f"{RULE}, not {typed!r}"
    assert caught.value.exit_code == 2


@pytest.mark.parametrize(
    "value", [math.nan, math.inf, -math.inf, 0, 0.0, -5, 0.0001, 86401, True, "600", None]
)
def test_validate_timeout_refuses_what_the_window_or_api_could_pass(value: object) -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_timeout(value)
    assert str(caught.value).startswith(f"{RULE}, not ")


@pytest.mark.parametrize("value", [10, 600, 90.5, 86400])
def test_validate_timeout_takes_seconds_in_range(value: float) -> None:
    assert validate_timeout(value) == float(value)


@given(st.text(max_size=30))
def test_any_typed_timeout_is_in_range_or_refused_on_one_line(typed: str) -> None:
    try:
        seconds = parse_timeout(typed)
    except InvalidInput as e:
        assert str(e).isprintable()
    else:
        assert math.isfinite(seconds) and MIN_TIMEOUT <= seconds <= MAX_TIMEOUT


@pytest.mark.parametrize(("typed", "cap"), [("1", 1), ("4", 4), ("32", MAX_HELM_CONCURRENCY)])
def test_helm_concurrency_in_range(typed: str, cap: int) -> None:
    assert parse_helm_concurrency(typed) == cap


@pytest.mark.parametrize(
    "typed", ["abc", "0", "-1", "33", "99999999999999999999", " 4", "4.0", "\u0664"]
)
def test_helm_concurrency_out_of_range_is_refused(typed: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_helm_concurrency(typed)
    assert caught.value.message == (
        f"STOREDESK_HELM_CONCURRENCY must be a whole number from 1 to 32, not {typed!r}"
    )
