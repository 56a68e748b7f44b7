"""The bytes a seal covers: RFC 8785 canonical JSON of a document minus its signature."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import rfc8785

from carexport.seals.errors import UnsignableDocument

SIGNATURE_KEY = "signature"


def canonical_bytes(document: Mapping[str, Any]) -> bytes:
    """RFC 8785 (JCS) UTF-8 bytes of `document` without its `signature` key.

    JCS fixes key order, whitespace, number and string escaping, so a document that went
    through another JSON library (re-indented, keys reordered) still has the same bytes.
    Raises UnsignableDocument for what JSON cannot carry exactly (integers beyond 2**53,
    NaN, non-string keys, lone surrogates, non-JSON types).
    """
    unsigned = {key: value for key, value in document.items() if key != SIGNATURE_KEY}
    try:
        return rfc8785.dumps(unsigned)
    except (rfc8785.CanonicalizationError, TypeError, ValueError, RecursionError) as exc:
        raise UnsignableDocument(
            f"the document has no RFC 8785 canonical form ({exc}); "
            "use only JSON strings, booleans, null, arrays, objects and numbers within ±2**53"
        ) from exc
