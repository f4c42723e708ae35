"""Numbers a user may set: operation timeouts and the helm concurrency cap.

Each is checked before anything changes and refused with one line that says what is
allowed; nothing is clamped or replaced by a default behind the user's back.
"""

from __future__ import annotations

import math
import re

from storedesk.errors import InvalidInput

# A create runs helm and its setup hook, which needs a pod scheduled, an image present
# and WordPress installed: under 10 s that never succeeds, even on the simulator's fast
# path a second is tight, and helm itself only counts whole seconds.
MIN_TIMEOUT = 10.0
# A day: longer than any real install or delete, short enough that a forgotten command
# still ends (and well inside what helm's duration and monotonic clocks take).
MAX_TIMEOUT = 24 * 3600.0

# helm processes at once in one Storedesk process: each takes ~100 MB and a share of the
# API server; past 32 they only queue on the cluster.
MAX_HELM_CONCURRENCY = 32

TIMEOUT_RULE = (
    f"a timeout is a number of seconds from {MIN_TIMEOUT:.0f} to {MAX_TIMEOUT:.0f} (24 hours)"
)
CONCURRENCY_RULE = f"a whole number from 1 to {MAX_HELM_CONCURRENCY}"

_DECIMAL = re.compile(r"[0-9]{1,12}(\.[0-9]{0,9})?|\.[0-9]{1,9}")
_WHOLE = re.compile(r"[0-9]{1,6}")


def _quoted(text: str) -> str:
    """`text` for a one-line message (repr escapes newlines and invisible characters)."""
    return repr(text if len(text) <= 40 else text[:40] + "...")


def timeout_problem(value: object) -> str | None:
    """What is wrong with a timeout in seconds, or None when it is usable."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"{TIMEOUT_RULE}, not {value!r}"
    if not math.isfinite(value) or not MIN_TIMEOUT <= value <= MAX_TIMEOUT:
        return f"{TIMEOUT_RULE}, not {value!r}"
    return None


def validate_timeout(value: object) -> float:
    """`value` as seconds when it is a usable timeout; InvalidInput otherwise."""
    problem = timeout_problem(value)
    if problem:
        raise InvalidInput(problem)
    return float(value)  # type: ignore[arg-type]  # checked just above


def parse_timeout(text: str) -> float:
    """A timeout typed as decimal seconds (`600`, `90.5`); InvalidInput otherwise.

    Only plain ASCII decimals are read: float() would also take `nan`, `inf`, `1e400`,
    `1_0` and other scripts' digits, which nobody means as a number of seconds."""
    if _DECIMAL.fullmatch(text) and timeout_problem(float(text)) is None:
        return float(text)
    raise InvalidInput(f"{TIMEOUT_RULE}, not {_quoted(text)}")


def parse_helm_concurrency(text: str) -> int:
    """STOREDESK_HELM_CONCURRENCY's value as a cap on concurrent helm processes."""
    if _WHOLE.fullmatch(text) and 1 <= int(text) <= MAX_HELM_CONCURRENCY:
        return int(text)
    raise InvalidInput(
        f"STOREDESK_HELM_CONCURRENCY must be {CONCURRENCY_RULE}, not {_quoted(text)}",
        hint="fix it, or unset it for the default",
    )
