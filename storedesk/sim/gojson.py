"""JSON as kube-apiserver's Go code reads and writes it.

- `encode`: what encoding/json's Encoder writes: compact, `<`, `>`, `&`, U+2028 and U+2029
  escaped, other text as UTF-8, and a newline after the value (the API server's JSON
  serializer encodes every response this way).
- `syntax_error`: the message encoding/json gives for a malformed document
  ("unexpected end of JSON input", "invalid character 'x' after object key", ...).
- `decode`: a document and, in document order, the fields it names twice (the strict
  decoder's `duplicate field "metadata.name"`).
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from typing import Any

_HTML = (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"))
_WHITESPACE = b" \t\r\n"
_DIGITS = b"0123456789"
_HEX = b"0123456789abcdefABCDEF"
_ESCAPES = b'"\\/bfnrtu'
END = "unexpected end of JSON input"


def encode(value: Any) -> bytes:
    """Go's json.Encoder output for a decoded JSON value (with its trailing newline)."""
    return _compact(value) + b"\n"


def _compact(value: Any) -> bytes:
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    for raw, escaped in _HTML:
        if raw in text:
            text = text.replace(raw, escaped)
    if "\u2029" in text:
        text = text.replace("\u2029", "\\u2029")
    return text.encode()


class StoredObjects:
    """Encoded bytes of stored objects, which are never changed once stored: a list or
    a watch sends each object's bytes again instead of encoding it again. Bounded, and
    told (`forget`) when an object is replaced, so it keeps no old version alive."""

    def __init__(self, limit: int = 8 * 2**20) -> None:
        self.limit = limit
        self._size = 0
        self._lock = threading.Lock()
        # id -> (object, bytes); holding the object keeps its id from being reused.
        self._entries: OrderedDict[int, tuple[Any, bytes]] = OrderedDict()

    def bytes_of(self, obj: Any) -> bytes:
        """The object's compact JSON (no newline)."""
        key = id(obj)
        with self._lock:
            found = self._entries.get(key)
            if found is not None and found[0] is obj:
                self._entries.move_to_end(key)
                return found[1]
        data = _compact(obj)
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._size -= len(old[1])
            self._entries[key] = (obj, data)
            self._size += len(data)
            while self._size > self.limit and self._entries:
                _, (_, dropped) = self._entries.popitem(last=False)
                self._size -= len(dropped)
        return data

    def forget(self, old: Any) -> None:
        """Drop what is kept of an object that is no longer the stored version."""
        if old is None:
            return
        with self._lock:
            found = self._entries.get(id(old))
            if found is not None and found[0] is old:
                del self._entries[id(old)]
                self._size -= len(found[1])

    def encode_list(self, listed: dict[str, Any]) -> bytes:
        """A list object (kind, apiVersion, metadata, items) as encode() writes it."""
        head = _compact({k: v for k, v in listed.items() if k != "items"})
        items = b",".join(self.bytes_of(item) for item in listed.get("items") or ())
        return head[:-1] + b',"items":[' + items + b"]}\n"

    def encode_event(self, kind: str, obj: Any) -> bytes:
        """A watch event line for a stored object."""
        return b'{"type":' + _compact(kind) + b',"object":' + self.bytes_of(obj) + b"}\n"


def decode(data: bytes) -> tuple[Any, list[str]]:
    """The decoded document and its duplicated fields (`duplicate field "a.b"`), in the
    order a strict decoder meets them; raises ValueError with Go's message if malformed."""
    problem = syntax_error(data)
    if problem:
        raise ValueError(problem)
    seen_duplicates = False

    def pairs_hook(pairs: list[tuple[str, Any]]) -> Any:
        nonlocal seen_duplicates
        pairs = [(shared_text(k), _shared_value(v)) for k, v in pairs]
        if len({k for k, _ in pairs}) == len(pairs):
            return dict(pairs)
        seen_duplicates = True
        return _Pairs(pairs)

    value = json.loads(data, object_pairs_hook=pairs_hook)
    if not seen_duplicates:
        return value, []
    found: list[str] = []
    return _collapse(value, "", found), found


# Texts decoded from requests, one copy of each: the objects clients create repeat the
# same keys, labels, images and scripts (every store's copy of a chart), and each decoded
# document would otherwise hold its own. Bounded: when full, the table starts again.
_TEXTS_KEPT = 20_000  # a table of this size costs about 1 MiB
_TEXT_LENGTH_KEPT = 8192  # longer texts (release records, certificates) are seldom equal
_texts: dict[str, str] = {}


def shared_text(text: str) -> str:
    """The one kept copy of `text` (which it becomes if none is kept)."""
    found = _texts.get(text)
    if found is not None:
        return found
    if len(text) > _TEXT_LENGTH_KEPT:
        return text
    if len(_texts) >= _TEXTS_KEPT:
        _texts.clear()
    return _texts.setdefault(text, text)


def _shared_value(value: Any) -> Any:
    """A decoded value with its texts (and a list's texts) shared."""
    if type(value) is str:
        return shared_text(value)
    if type(value) is list and any(type(item) is str for item in value):
        return [shared_text(item) if type(item) is str else item for item in value]
    return value


class _Pairs(list[tuple[str, Any]]):
    """An object with a repeated key, its pairs in document order."""


def _collapse(value: Any, path: str, found: list[str]) -> Any:
    """Plain dicts again (the last value of a repeated key wins, as in Go), noting repeats."""
    if isinstance(value, _Pairs):
        out: dict[str, Any] = {}
        for key, item in value:
            sub = f"{path}.{key}" if path else key
            if key in out:
                error = f'duplicate field "{sub}"'
                if error not in found:
                    found.append(error)
            out[key] = _collapse(item, sub, found)
        return out
    if isinstance(value, dict):
        return {k: _collapse(v, f"{path}.{k}" if path else k, found) for k, v in value.items()}
    if isinstance(value, list):
        return [_collapse(v, f"{path}[{i}]", found) for i, v in enumerate(value)]
    return value


def syntax_error(data: bytes) -> str | None:
    """encoding/json's message for a malformed document, or None if it is well formed."""
    scanner = _Scanner(data)
    try:
        scanner.value()
        scanner.skip_space()
        if scanner.at < len(data):
            return scanner.invalid("after top-level value")
    except _Syntax as e:
        return str(e)
    return None


class _Syntax(Exception):
    pass


class _Scanner:
    """A recursive reading of Go's scanner: the same first error, the same words."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.at = 0

    def peek(self) -> int:
        if self.at >= len(self.data):
            raise _Syntax(END)
        return self.data[self.at]

    def skip_space(self) -> None:
        while self.at < len(self.data) and self.data[self.at] in _WHITESPACE:
            self.at += 1

    def invalid(self, context: str) -> str:
        return f"invalid character {_quote_char(self.data[self.at])} {context}"

    def fail(self, context: str) -> None:
        raise _Syntax(self.invalid(context))

    def value(self) -> None:
        self.skip_space()
        c = self.peek()
        if c == ord("{"):
            self.object()
        elif c == ord("["):
            self.array()
        elif c == ord('"'):
            self.string()
        elif c == ord("-") or c in _DIGITS:
            self.number()
        elif c in b"tfn":
            self.literal({ord("t"): b"true", ord("f"): b"false", ord("n"): b"null"}[c])
        else:
            self.fail("looking for beginning of value")

    def object(self) -> None:
        self.at += 1
        self.skip_space()
        if self.peek() == ord("}"):
            self.at += 1
            return
        while True:
            if self.peek() != ord('"'):
                self.fail("looking for beginning of object key string")
            self.string()
            self.skip_space()
            if self.peek() != ord(":"):
                self.fail("after object key")
            self.at += 1
            self.value()
            self.skip_space()
            c = self.peek()
            if c == ord("}"):
                self.at += 1
                return
            if c != ord(","):
                self.fail("after object key:value pair")
            self.at += 1
            self.skip_space()

    def array(self) -> None:
        self.at += 1
        self.skip_space()
        if self.peek() == ord("]"):
            self.at += 1
            return
        while True:
            self.value()
            self.skip_space()
            c = self.peek()
            if c == ord("]"):
                self.at += 1
                return
            if c != ord(","):
                self.fail("after array element")
            self.at += 1

    def string(self) -> None:
        self.at += 1
        while True:
            c = self.peek()
            if c == ord('"'):
                self.at += 1
                return
            if c < 0x20:
                self.fail("in string literal")
            self.at += 1
            if c == ord("\\"):
                escape = self.peek()
                if escape not in _ESCAPES:
                    self.fail("in string escape code")
                self.at += 1
                if escape == ord("u"):
                    for _ in range(4):
                        if self.peek() not in _HEX:
                            self.fail("in \\u hexadecimal character escape")
                        self.at += 1

    def number(self) -> None:
        if self.peek() == ord("-"):
            self.at += 1
            if self.peek() not in _DIGITS:
                self.fail("in numeric literal")
        if self.peek() == ord("0"):
            self.at += 1
        else:
            self.digits()
        if self.at < len(self.data) and self.data[self.at] == ord("."):
            self.at += 1
            if self.peek() not in _DIGITS:
                self.fail("after decimal point in numeric literal")
            self.digits()
        if self.at < len(self.data) and self.data[self.at] in b"eE":
            self.at += 1
            if self.peek() in b"+-":
                self.at += 1
            if self.peek() not in _DIGITS:
                self.fail("in exponent of numeric literal")
            self.digits()

    def digits(self) -> None:
        while self.at < len(self.data) and self.data[self.at] in _DIGITS:
            self.at += 1

    def literal(self, word: bytes) -> None:
        self.at += 1
        for expected in word[1:]:
            if self.peek() != expected:
                self.fail(f"in literal {word.decode()} (expecting {_quote_char(expected)})")
            self.at += 1


def _quote_char(c: int) -> str:
    """Go's quoteChar: the offending byte as a quoted rune."""
    if c == ord("'"):
        return "'\\''"
    if c == ord('"'):
        return "'\"'"
    if c in _GO_ESCAPES:
        return f"'{_GO_ESCAPES[c]}'"
    if c < 0x20 or c == 0x7F:
        return f"'\\x{c:02x}'"
    return f"'{chr(c)}'"


_GO_ESCAPES = {7: "\\a", 8: "\\b", 9: "\\t", 10: "\\n", 11: "\\v", 12: "\\f", 13: "\\r", 92: "\\\\"}
