"""Which library checks SM2 signatures: the system libcrypto when it can, else tongsuopy.

docs/decisions/0023-sm2-verify-backend.md. The choice is made once, at the first
verification, by loading libcrypto and checking the GB/T 32918 example with it; tests
and benchmarks run a block under the other backend with `using_backend`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from enum import StrEnum
from functools import cache

from carexport.seals import libcrypto

# The signer ID that GM/T 0009 makes the default; every tool in the chain (Tongsuo,
# OpenSSL's distid, GmSSL) must use it or no signature will verify across them.
SIGNER_ID = b"1234567812345678"


class VerifyBackend(StrEnum):
    LIBCRYPTO = "libcrypto"  # the system's OpenSSL 3, through ctypes
    TONGSUOPY = "tongsuopy"  # the bundled Tongsuo, which also makes keys and signs


_chosen: ContextVar[VerifyBackend | None] = ContextVar("sm2_verify_backend", default=None)


def system_libcrypto() -> libcrypto.Libcrypto | None:
    """The loaded system libcrypto, or None when it lacks SM2 (or is not OpenSSL 3)."""
    return libcrypto.load(SIGNER_ID)


@cache
def available_backends() -> tuple[VerifyBackend, ...]:
    """The backends this machine can verify with, the preferred first."""
    if system_libcrypto() is None:
        return (VerifyBackend.TONGSUOPY,)
    return (VerifyBackend.LIBCRYPTO, VerifyBackend.TONGSUOPY)


def current_backend() -> VerifyBackend:
    return _chosen.get() or available_backends()[0]


def chosen_backend() -> VerifyBackend | None:
    """The backend `using_backend` set for this thread or task, None when none was."""
    return _chosen.get()


@contextmanager
def using_backend(backend: VerifyBackend) -> Iterator[None]:
    """Verify with `backend` inside the block (this thread or task only).

    Inside the block verify_document does not answer from the memo of verifications
    (seals.memo): a test or benchmark that names a backend means that backend to compute
    every answer."""
    if backend not in available_backends():
        raise ValueError(f"the SM2 verify backend {backend} is not available here")
    token = _chosen.set(backend)
    try:
        yield
    finally:
        _chosen.reset(token)
