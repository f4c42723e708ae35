"""SPDY/3 header compression: the dictionary is the spec's, and header blocks survive a
session's shared zlib context in both directions (kubectl end to end: test_portforward)."""

from __future__ import annotations

import hashlib

from storedesk.sim import spdy


def test_the_dictionary_is_the_spdy3_one() -> None:
    # 1423 bytes, as in the SPDY/3 draft (2.6.10.1) and moby/spdystream's spdy/dictionary.go.
    assert len(spdy.DICTIONARY) == 1423
    assert hashlib.sha256(spdy.DICTIONARY).hexdigest() == (
        "51d27341373f923f3cd88e1eb7162aeaa3723d7585ff2399201dc06498407f02"
    )


def test_header_blocks_share_one_context_per_direction() -> None:
    sender, receiver = spdy.HeaderCodec(), spdy.HeaderCodec()
    blocks = [
        {"streamtype": ["error"], "port": ["80"], "requestid": ["0"]},
        {"streamtype": ["data"], "port": ["80"], "requestid": ["0"]},
        {"x": ["a", "b"]},
        {},
    ]
    for headers in blocks:
        assert receiver.decode(sender.encode(headers)) == headers
