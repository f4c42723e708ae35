"""Store names: what a user may type, and why.

A name is taken exactly as typed or refused with the reason: never trimmed, lowercased or
otherwise normalised, because a normalised name acts on a store the user did not name
(`Shop` would upgrade the existing `shop`; the Kelvin sign U+212A lowercases to `k`).
"""

from __future__ import annotations

import unicodedata

from storedesk.errors import InvalidInput

# Every Kubernetes name Storedesk and the charts derive starts with the store name, so its
# length is bounded by the tightest of them (lengths in characters, N = the store name):
#   namespace `store-N`                                  6 + N <= 63  -> N <= 57
#   helm release name `N` (helm's own limit)                 N <= 53
#   Service `N-wordpress` (a DNS-1035 label)            10 + N <= 63  -> N <= 53
#   label controller-revision-hash `N-mysql-<10>`       17 + N <= 63  -> N <= 46
#     (the StatefulSet's ControllerRevision name; its hash is up to 10 characters)
#   pod of a Deployment `N-wordpress-<10>-<5>`          27 + N <= 63  -> N <= 36
#     (longer names still work, but Kubernetes truncates them and the pod's hostname)
# 20 keeps the longest WooCommerce name at 47 and leaves 16 characters for the longer
# component names of engines to come (e.g. `-postgresql`), and fits a table column.
MAX_LENGTH = 20

# Refused words. The store name becomes the hostname `<name>.<domain>`: on a shared domain
# www, api, admin, mail, ftp and localhost usually belong to something else already.
# default, system, kube, kubernetes and storedesk read as cluster or Storedesk
# infrastructure to anyone looking at `kubectl get ns`. "test" stays allowed: it is the
# first name people try, and it collides with nothing.
RESERVED = frozenset(
    {
        "admin",
        "api",
        "default",
        "ftp",
        "kube",
        "kubernetes",
        "localhost",
        "mail",
        "storedesk",
        "system",
        "www",
    }
)

# Words YAML 1.1 (what helm and Kubernetes parse manifests with) reads as a boolean or
# null rather than a string. The chart quotes every value that carries the name, but a
# chart written later, or a tool reading the labels, may not: these names are refused.
# Only the lowercase spellings can pass the other rules.
YAML_WORDS = frozenset({"y", "yes", "n", "no", "true", "false", "on", "off", "null"})

_YAML_ORDER = ("y", "yes", "n", "no", "on", "off", "true", "false", "null")

RULES = (
    f"use 1-{MAX_LENGTH} characters: lowercase letters a-z, digits and single hyphens, "
    "starting with a letter and ending with a letter or digit; "
    f"these words are reserved: {', '.join(sorted(RESERVED))}; "
    f"so are the words YAML reads as true, false or null: {', '.join(_YAML_ORDER)}"
)

_ALLOWED = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")
_ASCII_SPACE = " \t\n\r\v\f"
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_SHOWN_LIMIT = 40  # characters of a refused name repeated in a message
_LISTED_LIMIT = 6  # offending characters listed in a message


def shown(text: str, limit: int = _SHOWN_LIMIT) -> str:
    """`text` quoted for a one-line message: control and invisible characters escaped."""
    cut = text if len(text) <= limit else text[:limit] + "..."
    visible = "".join(
        c if c.isprintable() else c.encode("unicode_escape", "backslashreplace").decode("ascii")
        for c in cut
    )
    return f"'{visible}'"


def _character(c: str) -> str:
    """One refused character, named so that a look-alike or an invisible one is clear."""
    if c.isascii() and c.isprintable():
        return f"'{c}'"
    name = unicodedata.name(c, "")
    code = f"U+{ord(c):04X}"
    return f"{shown(c)} ({code} {name})" if name else f"{shown(c)} ({code})"


def _characters_problem(name: str) -> str | None:
    bad = sorted({c for c in name if c not in _ALLOWED}, key=name.index)
    if not bad:
        return None
    if all("A" <= c <= "Z" for c in bad):
        letters = "an uppercase letter" if len(bad) == 1 else "uppercase letters"
        return f"store names are lowercase: {shown(name)} has {letters}"
    listed = ", ".join(_character(c) for c in bad[:_LISTED_LIMIT])
    more = f" and {len(bad) - _LISTED_LIMIT} more" if len(bad) > _LISTED_LIMIT else ""
    return f"store name {shown(name)} contains {listed}{more}"


def _shape_problem(name: str) -> str | None:
    """What is wrong with a name of allowed characters, or None."""
    if not name[0].isalpha():
        # Services are named `<name>-...` and Service names must start with a letter.
        return f"store name {shown(name)} must start with a letter"
    if name.endswith("-"):
        return f"store name {shown(name)} must end with a letter or digit"
    if "--" in name:
        # In hostnames, "xn--" and friends mark encoded international names.
        return f"store name {shown(name)} has two hyphens in a row"
    if name in RESERVED:
        return f"store name {shown(name)} is reserved"
    if name in YAML_WORDS:
        return (
            f"store name {shown(name)} is reserved: YAML reads it as "
            f"{'null' if name == 'null' else 'true or false'}, not as a name"
        )
    return None


def _problem_as_typed(name: str) -> str | None:
    if len(name) > MAX_LENGTH:
        return f"store name {shown(name)} is {len(name)} characters long; the limit is {MAX_LENGTH}"
    return _characters_problem(name) or _shape_problem(name)


def _suggestion(name: str) -> str | None:
    """The name the user probably meant (spaces around it dropped, ASCII letters
    lowercased), when that one is valid; only ever offered, never used."""
    candidate = name.strip(_ASCII_SPACE).translate(_ASCII_LOWER)
    if candidate != name and candidate and _problem_as_typed(candidate) is None:
        return candidate
    return None


def name_problem(name: object) -> str | None:
    """What is wrong with `name` exactly as typed, or None when it is a valid store name."""
    if not isinstance(name, str):
        return "a store name must be text"
    if not name.strip():
        return "a store name is required"
    problem = _problem_as_typed(name)
    if problem is None:
        return None
    meant = _suggestion(name)
    return f"{problem}; did you mean '{meant}'?" if meant else problem


def validate_store_name(name: str) -> str:
    """`name` itself when it is valid; raises InvalidInput saying what is wrong and what
    is allowed."""
    problem = name_problem(name)
    if problem:
        raise InvalidInput(problem, hint=RULES)
    return name
