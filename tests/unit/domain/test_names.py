"""Store names: what is accepted, what is refused, and the message a user reads."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storedesk.domain.names import (
    MAX_LENGTH,
    RULES,
    YAML_WORDS,
    name_problem,
    validate_store_name,
)
from storedesk.errors import InvalidInput

DNS_1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")


@pytest.mark.parametrize("typed", ["shop", "a", "my-shop-2", "test", "x" * MAX_LENGTH, "yess"])
def test_valid_names_are_taken_as_typed(typed: str) -> None:
    assert name_problem(typed) is None
    assert validate_store_name(typed) == typed


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("", "a store name is required"),
        ("   ", "a store name is required"),
        ("a" * 21, f"store name '{'a' * 21}' is 21 characters long; the limit is 20"),
        ("my_shop", "store name 'my_shop' contains '_'"),
        ("my shop!", "store name 'my shop!' contains ' ', '!'"),
        ("shop.example", "store name 'shop.example' contains '.'"),
        ("café", "store name 'café' contains 'é' (U+00E9 LATIN SMALL LETTER E WITH ACUTE)"),
        ("2shop", "store name '2shop' must start with a letter"),
        ("-shop", "store name '-shop' must start with a letter"),
        ("shop-", "store name 'shop-' must end with a letter or digit"),
        ("my--shop", "store name 'my--shop' has two hyphens in a row"),
        ("www", "store name 'www' is reserved"),
        ("kube", "store name 'kube' is reserved"),
        ("default", "store name 'default' is reserved"),
        # F15: refused with the reason, never normalised into another store's name.
        ("Shop", "store names are lowercase: 'Shop' has an uppercase letter; did you mean 'shop'?"),
        (
            "SHOPX",
            "store names are lowercase: 'SHOPX' has uppercase letters; did you mean 'shopx'?",
        ),
        ("Admin", "store names are lowercase: 'Admin' has an uppercase letter"),
        ("shop\n", r"store name 'shop\n' contains '\n' (U+000A); did you mean 'shop'?"),
        ("\tshop", r"store name '\tshop' contains '\t' (U+0009); did you mean 'shop'?"),
        ("  Shop ", "store name '  Shop ' contains ' ', 'S'; did you mean 'shop'?"),
        ("\u212ashop", "store name '\u212ashop' contains '\u212a' (U+212A KELVIN SIGN)"),
        ("shop\u200b", r"store name 'shop\u200b' contains '\u200b' (U+200B ZERO WIDTH SPACE)"),
        # F12: words YAML reads as booleans or null.
        ("yes", "store name 'yes' is reserved: YAML reads it as true or false, not as a name"),
        ("null", "store name 'null' is reserved: YAML reads it as null, not as a name"),
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


@pytest.mark.parametrize("word", ["y", "yes", "n", "no", "on", "off", "true", "false", "null"])
def test_every_yaml_boolean_or_null_word_is_refused(word: str) -> None:
    assert word in YAML_WORDS
    assert "YAML reads it as" in (name_problem(word) or "")


def test_rules_text() -> None:
    assert RULES == (
        "use 1-20 characters: lowercase letters a-z, digits and single hyphens, starting "
        "with a letter and ending with a letter or digit; these words are reserved: admin, "
        "api, default, ftp, kube, kubernetes, localhost, mail, storedesk, system, www; so "
        "are the words YAML reads as true, false or null: y, yes, n, no, on, off, true, "
        "false, null"
    )


def test_longest_name_fits_the_namespace_and_a_helm_release() -> None:
    # Every name the chart derives from it: tests/chart (the longest store name test).
    name = validate_store_name("s" + "0" * (MAX_LENGTH - 1))
    assert DNS_1123_LABEL.fullmatch(f"store-{name}") and len(f"store-{name}") <= 63
    assert len(name) <= 53  # helm's release name limit


@given(st.text(max_size=60))
def test_any_text_is_taken_as_typed_or_refused_on_one_line(typed: str) -> None:
    problem = name_problem(typed)
    if problem is None:
        assert validate_store_name(typed) == typed
        assert DNS_1123_LABEL.fullmatch(typed) and len(typed) <= MAX_LENGTH
        assert typed not in YAML_WORDS
    else:
        assert problem.isprintable() and len(problem) < 400, problem
        with pytest.raises(InvalidInput):
            validate_store_name(typed)
