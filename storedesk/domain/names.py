"""Store names: what a user may type, and why."""

from __future__ import annotations

import re

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

RULES = (
    f"use 1-{MAX_LENGTH} characters: lowercase letters a-z, digits and single hyphens, "
    "starting with a letter and ending with a letter or digit; "
    f"these words are reserved: {', '.join(sorted(RESERVED))}"
)

_ALLOWED = re.compile(r"[a-z0-9-]")


def normalise(name: str) -> str:
    """The name as Storedesk stores it: surrounding spaces dropped, lowercase."""
    return name.strip().lower()


def name_problem(name: str) -> str | None:
    """What is wrong with `name` (after normalising), or None when it is a valid store name."""
    shown = name.strip()
    name = normalise(name)
    if not name:
        return "a store name is required"
    if len(name) > MAX_LENGTH:
        return f"store name '{shown}' is {len(name)} characters long; the limit is {MAX_LENGTH}"
    bad = sorted({c for c in name if not _ALLOWED.fullmatch(c)})
    if bad:
        listed = ", ".join(f"'{c}'" for c in bad)
        return f"store name '{shown}' contains {listed}"
    if not name[0].isalpha():
        # Services are named `<name>-...` and Service names must start with a letter.
        return f"store name '{shown}' must start with a letter"
    if name.endswith("-"):
        return f"store name '{shown}' must end with a letter or digit"
    if "--" in name:
        # In hostnames, "xn--" and friends mark encoded international names.
        return f"store name '{shown}' has two hyphens in a row"
    if name in RESERVED:
        return f"store name '{shown}' is reserved"
    return None


def validate_store_name(name: str) -> str:
    """The normalised store name; raises InvalidInput saying what is wrong and what is allowed."""
    problem = name_problem(name)
    if problem:
        raise InvalidInput(problem, hint=RULES)
    return normalise(name)
