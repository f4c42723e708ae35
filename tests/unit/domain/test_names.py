"""Store names: what is accepted, what is refused, and the message a user reads."""

from __future__ import annotations

import re

import pytest

from storedesk.domain.names import MAX_LENGTH, RULES, name_problem, validate_store_name
from storedesk.errors import InvalidInput

DNS_1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("shop", "shop"),
        ("  Shop ", "shop"),
        ("a", "a"),
        ("my-shop-2", "my-shop-2"),
        ("test", "test"),
        ("x" * MAX_LENGTH, "x" * MAX_LENGTH),
    ],
)
def test_valid_names_are_normalised(typed: str, stored: str) -> None:
    assert name_problem(typed) is None
    assert validate_store_name(typed) == stored


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("", "a store name is required"),
        ("   ", "a store name is required"),
        ("a" * 21, f"store name '{'a' * 21}' is 21 characters long; the limit is 20"),
        ("my_shop", "store name 'my_shop' contains '_'"),
        ("my shop!", "store name 'my shop!' contains ' ', '!'"),
        ("shop.example", "store name 'shop.example' contains '.'"),
        ("café", "store name 'café' contains 'é'"),
        ("2shop", "store name '2shop' must start with a letter"),
        ("-shop", "store name '-shop' must start with a letter"),
        ("shop-", "store name 'shop-' must end with a letter or digit"),
        ("my--shop", "store name 'my--shop' has two hyphens in a row"),
        ("www", "store name 'www' is reserved"),
        ("Admin", "store name 'Admin' is reserved"),
        ("kube", "store name 'kube' is reserved"),
        ("default", "store name 'default' is reserved"),
    ],
)
def test_invalid_names_say_what_is_wrong_and_what_is_allowed(typed: str, problem: str) -> None:
    assert name_problem(typed) == problem
    with pytest.raises(InvalidInput) as caught:
        validate_store_name(typed)
    assert caught.value.message == problem
    assert caught.value.hint == RULES
    assert str(caught.value) == f"{problem} ({RULES})"
    assert caught.value.exit_code == 2


def test_rules_text() -> None:
    assert RULES == (
        "use 1-20 characters: lowercase letters a-z, digits and single hyphens, starting "
        "with a letter and ending with a letter or digit; these words are reserved: admin, "
        "api, default, ftp, kube, kubernetes, localhost, mail, storedesk, system, www"
    )


def test_longest_name_fits_the_namespace_and_a_helm_release() -> None:
    # Every name the chart derives from it: tests/chart (the longest store name test).
    name = validate_store_name("s" + "0" * (MAX_LENGTH - 1))
    assert DNS_1123_LABEL.fullmatch(f"store-{name}") and len(f"store-{name}") <= 63
    assert len(name) <= 53  # helm's release name limit
