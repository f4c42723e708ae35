"""Secrets are masked in helm's error text in every form helm, Kubernetes or Python print
them: as is, escaped (Go's %q, JSON, Python's repr, YAML), quoted twice, base64, or
percent-encoded. Each form below is written out by hand or by an encoder independent of
the code under test."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from urllib.parse import quote

import pytest

from storedesk.cluster.helm import classify_failure, helm_error_text, redact
from storedesk.cluster.helm_argv import HelmArgv, HelmVersion
from storedesk.cluster.kubeconfig import ClusterTarget

ARGV = HelmArgv(Path("helm"), HelmVersion(4, 1, 4), ClusterTarget((Path("/k"),), "kind-shop"))
UPGRADE = ARGV.upgrade_install("shop", "/charts/woo", "store-shop", timeout=300)

TAB = "Tab\tpw-7Hq2"  # a password with a tab
TRICKY = "Q\"uo\\te<&>'é\n9"  # quotes, a backslash, HTML characters, non-ASCII, a newline


@pytest.mark.parametrize(
    ("secret", "printed"),
    [
        (TAB, TAB),  # as is
        (TAB, "Tab\\tpw-7Hq2"),  # Go %q and JSON: the tab escaped
        (TAB, "Tab\\\\tpw-7Hq2"),  # escaped twice: an error quoting an error
        (TAB, "Tab\\x09pw-7Hq2"),  # Python's \x escape (bytes repr)
        (TAB, "Tab\\u0009pw-7Hq2"),  # a JSON encoder escaping every control character
        (TAB, base64.b64encode(TAB.encode()).decode()),  # a Secret's data
        (TAB, base64.b64encode(TAB.encode()).decode().rstrip("=")),
        (TAB, quote(TAB, safe="")),  # in a URL
        (TRICKY, json.dumps(TRICKY)[1:-1]),  # Python's JSON, ASCII only
        (TRICKY, json.dumps(TRICKY, ensure_ascii=False)[1:-1]),
        (TRICKY, "Q\\\"uo\\\\te\\u003c\\u0026\\u003e'é\\n9"),  # Go's JSON (HTML-safe)
        (TRICKY, "Q\\\"uo\\\\te<&>'\\u00e9\\n9"),  # Go's strconv.QuoteToASCII
        (TRICKY, repr(TRICKY)[1:-1]),  # Python's repr
        (TRICKY, TRICKY.replace("'", "''")),  # YAML single-quoted
        (TRICKY, base64.urlsafe_b64encode(TRICKY.encode()).decode()),
    ],
    ids=[
        "raw",
        "go-quoted",
        "quoted-twice",
        "x-escape",
        "u-escape",
        "base64",
        "base64-unpadded",
        "percent",
        "json-ascii",
        "json-utf8",
        "go-json",
        "go-quote-ascii",
        "python-repr",
        "yaml-single",
        "base64-urlsafe",
    ],
)
def test_every_form_of_a_secret_is_masked(secret: str, printed: str) -> None:
    stderr = (
        f'Error: ConfigMap "leak" is invalid: metadata.labels: Invalid value: "{printed}": '
        "a valid label must be an empty string\n"
    )
    error = classify_failure(stderr, UPGRADE, "kind-shop", (secret,))
    shown = f"{error.message} {error.hint}"
    assert printed not in shown
    assert 'Invalid value: "***"' in shown  # masked whole, not in part


def test_a_secret_split_across_lines_is_masked_before_the_lines_are_joined() -> None:
    secret = "first-line\nsecond-line"
    text = helm_error_text(f"Error: bad value {secret} here\n", (secret,))
    assert "first-line" not in text and "second-line" not in text
    assert text == "bad value *** here"


def test_a_long_error_is_cut_after_masking_never_through_a_secret() -> None:
    secret = "Zq8-long-generated-password-value"
    text = helm_error_text("Error: " + "x" * 590 + " " + secret + "\n", (secret,))
    assert not any(secret[:n] in text for n in range(4, len(secret)))


def test_without_secrets_nothing_is_masked() -> None:
    assert redact("a tab\there", ()) == "a tab\there"
    assert redact("a tab\there", ("",)) == "a tab\there"
