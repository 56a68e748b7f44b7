"""A process-wide memo of SM2 signature checks (docs/decisions/0032-seal-verification-memo.md).

Whether a DER signature is valid over some bytes under a public key is a pure function of
those three: it cannot change with the day, the facts or who asks. The memo keeps exactly
that answer, keyed by a SHA-256 digest of (point, signature, signed bytes), so a
confirmation checked again — the exporter's pre-check, the submission, the review, every
retry of an ERP — costs a hash instead of an elliptic-curve multiplication (about 0.25 ms
each, 44 of them in a 50-vehicle check). Nothing else is memoised: who the issuer is,
which key is the issuer's, whether that key was valid or revoked on the signing day,
whether the confirmation is revoked, are decided by the callers on every check.

Bounded (least recently used first out) so that a stream of distinct or forged
signatures costs memory up to the bound and never more; thread-safe, since the server
checks in several threads at once.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

# About 150 bytes an entry (a 32-byte digest as a bytes object, its slot and links in the
# ordered dict, a shared bool; tests/unit/seals/test_memo.py): 65,536 entries hold about
# 10 MB per process, the confirmations of many thousands of 50-vehicle applications.
DEFAULT_MAX_ENTRIES = 65_536
_DOMAIN = b"carexport sm2-sm3 verify v1\x00"


def memo_key(point: bytes, signature: bytes, message: bytes) -> bytes:
    """One digest for the triple. Each part is length-prefixed, so two different triples
    never hash the same input (only a SHA-256 collision could make them share a key)."""
    digest = hashlib.sha256(_DOMAIN)
    for part in (point, signature, message):
        digest.update(len(part).to_bytes(4, "big"))
        digest.update(part)
    return digest.digest()


@dataclass(frozen=True)
class MemoStats:
    hits: int
    misses: int
    entries: int
    max_entries: int


class VerificationMemo:
    """SM2 verification answers by memo_key, at most `max_entries` of them."""

    def __init__(self, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self.max_entries = max_entries
        self._answers: OrderedDict[bytes, bool] = OrderedDict()
        # Guards the dict's order and size against two threads at once; never held
        # during a verification (a miss verifies outside it, so two threads missing the
        # same key both verify, and both store the same answer).
        self._lock = threading.Lock()
        self._hits = 0
        self._misses = 0

    def verified(
        self,
        point: bytes,
        signature: bytes,
        message: bytes,
        verify: Callable[[bytes, bytes], bool],
    ) -> bool:
        """`verify(signature, message)` under the key whose point is `point`, memoised."""
        key = memo_key(point, signature, message)
        with self._lock:
            answer = self._answers.get(key)
            if answer is not None:
                self._answers.move_to_end(key)
                self._hits += 1
                return answer
            self._misses += 1
        answer = verify(signature, message)
        with self._lock:
            self._answers[key] = answer
            self._answers.move_to_end(key)
            while len(self._answers) > self.max_entries:
                self._answers.popitem(last=False)
        return answer

    def clear(self) -> None:
        with self._lock:
            self._answers.clear()
            self._hits = self._misses = 0

    def stats(self) -> MemoStats:
        with self._lock:
            return MemoStats(self._hits, self._misses, len(self._answers), self.max_entries)


# The process's memo, used by seals.verify_document.
VERIFICATIONS = VerificationMemo()
