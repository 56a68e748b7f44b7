"""The `openssl` command for the interop tests, or a loud skip when it is missing."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator

import pytest

from carexport.seals import VerifyBackend, available_backends, using_backend


@pytest.fixture(scope="session")
def openssl() -> str:
    path = shutil.which("openssl")
    if path is None:
        pytest.skip("SKIPPED INTEROP: the `openssl` command (OpenSSL 3) is not on PATH")
    version = subprocess.run([path, "version"], capture_output=True, text=True, check=True)
    if not version.stdout.startswith("OpenSSL 3"):
        pytest.skip(f"SKIPPED INTEROP: needs OpenSSL 3, found {version.stdout.strip()}")
    return path


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # A module that never verifies (canonical JSON) says so and runs once; so does the
    # memo's (it tests verification as the checker runs it: no backend named).
    backends: list[VerifyBackend | None]
    if getattr(metafunc.module, "MEMOISED", False):
        backends = [None]
    elif getattr(metafunc.module, "BACKEND_INDEPENDENT", False):
        backends = [VerifyBackend.LIBCRYPTO]
    else:
        backends = list(VerifyBackend)
    metafunc.parametrize("verify_backend", backends, indirect=True, ids=str)


@pytest.fixture(autouse=True)
def verify_backend(request: pytest.FixtureRequest) -> Iterator[VerifyBackend | None]:
    """Every seal test runs under each SM2 verify backend (docs/decisions/0023).

    The system libcrypto must be usable on the project's machines (Debian's OpenSSL 3
    has SM2): its absence fails here rather than quietly testing tongsuopy twice. Under
    a named backend verify_document never answers from the memo of verifications, so
    each backend computes every answer here; None: the default, memo included.
    """
    backend: VerifyBackend | None = request.param
    if backend is None:
        yield None
        return
    assert backend in available_backends(), f"{backend} cannot verify SM2 on this machine"
    with using_backend(backend):
        yield backend
