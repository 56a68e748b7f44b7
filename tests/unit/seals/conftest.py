"""The `openssl` command for the interop tests, or a loud skip when it is missing."""

from __future__ import annotations

import shutil
import subprocess

import pytest


@pytest.fixture(scope="session")
def openssl() -> str:
    path = shutil.which("openssl")
    if path is None:
        pytest.skip("SKIPPED INTEROP: the `openssl` command (OpenSSL 3) is not on PATH")
    version = subprocess.run([path, "version"], capture_output=True, text=True, check=True)
    if not version.stdout.startswith("OpenSSL 3"):
        pytest.skip(f"SKIPPED INTEROP: needs OpenSSL 3, found {version.stdout.strip()}")
    return path
