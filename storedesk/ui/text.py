"""The window's words for what the engine says: rich text, and prose without commands.

The engine's fixes and hints are written for either front. Where they name a command in
backticks, the CLI prints it; the window offers the step as a button or a tab instead, so
here such asides are left out and any command left is set as code, never as Markdown.
"""

from __future__ import annotations

import re
from html import escape

from storedesk.errors import StoredeskError

# "(`kubectl logs -n ns pod`)" or "(`kubectl get all -n ns`, then `kubectl patch` ...)"
_COMMAND_ASIDE = re.compile(r"\s*\([^()]*`[^()]*\)")
_CLI_FLAG = re.compile(r"(^|\s)--[a-z][a-z-]*")


def without_commands(text: str) -> str:
    """`text` without its parenthesised command asides."""
    return _COMMAND_ASIDE.sub("", text).strip()


def code_html(text: str) -> str:
    """Plain text as rich text, with `code` spans set in a fixed-width font."""
    parts = escape(text, quote=False).split("`")
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))


def fix_html(fix: str) -> str:
    """A status's suggested fix, as the window says it (rich text)."""
    return code_html(without_commands(fix))


def names_a_command(text: str) -> bool:
    """Whether `text` tells the reader to run a command or pass a flag."""
    return "`" in text or bool(_CLI_FLAG.search(text))


def error_text(error: BaseException) -> str:
    """An error as the window says it: its message, and its hint unless the hint is a
    command to run (the window offers its own buttons for those)."""
    if isinstance(error, StoredeskError):
        if error.hint and not names_a_command(error.hint):
            return f"{error.message} ({error.hint})"
        return error.message
    return f"unexpected {type(error).__name__}: {error}"


def without_hint(text: str) -> str:
    """`text` without the parenthesised hint an error's text ends with ("message (hint)")."""
    if not text.endswith(")"):
        return text
    depth = 0
    for i in range(len(text) - 1, -1, -1):
        depth += {")": 1, "(": -1}.get(text[i], 0)
        if depth == 0:
            return text[:i].rstrip() if i > 0 else text
    return text


def first_sentence(text: str, limit: int = 160) -> str:
    """The start of `text`, up to its first sentence end or `limit` characters."""
    head = re.split(r"(?<=[.;:])\s", text, maxsplit=1)[0]
    return head if len(head) <= limit else head[: limit - 1].rstrip() + "…"
