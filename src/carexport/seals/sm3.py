"""The SM3 hash (GB/T 32905), for digests that are not part of a signature."""

from __future__ import annotations

from tongsuopy.crypto import hashes


def sm3_digest(data: bytes) -> bytes:
    """The 32-byte SM3 digest of `data`."""
    hasher = hashes.Hash(hashes.SM3())
    hasher.update(data)
    digest: bytes = hasher.finalize()
    return digest
