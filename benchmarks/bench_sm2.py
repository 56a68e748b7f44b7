"""SM2 verifications per second: each verify backend (the system libcrypto, chosen where it
has SM2, and tongsuopy; docs/decisions/0023) against the pure-Python gmssl baseline.

Quick by default (about two seconds in all); CAREXPORT_BENCH=full runs longer for steadier
figures. Only correctness is asserted, never speed: timing depends on the machine.

    .venv/bin/python -m benchmarks.bench_sm2          # or: make bench
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass

from gmssl import sm2 as gmssl_sm2

from carexport.seals import (
    available_backends,
    canonical_bytes,
    decode_signature,
    private_key_from_scalar,
    sign_document,
    using_backend,
    verify_document,
)

FULL = os.environ.get("CAREXPORT_BENCH") == "full"
# Seconds of work per measured implementation.
BUDGET = 5.0 if FULL else 0.5
# gmssl does tens of verifies a second: give it the same clock but a floor of samples.
MIN_RUNS = 5

SCALAR = 0x5D4B7A9C1E3F20865D4B7A9C1E3F20865D4B7A9C1E3F20865D4B7A9C1E3F2086
CONFIRMATION = {
    "id": "CF-2026-0001",
    "issuer_uscc": "91440300MA5XXXXXXX",
    "vin": "LGXCE4CB8P0123456",
    "brand": "比亚迪",
    "model": "BYD7150WTHEV3",
    "destination_country": "KZ",
    "issued_on": "2026-02-25",
    "outlets": [
        {
            "name": "阿拉木图服务中心",
            "country": "KZ",
            "city": "Almaty",
            "address": "Al-Farabi Ave 77",
            "phone": "+7 727 000 0000",
        }
    ],
    "revoked": False,
}


@dataclass(frozen=True)
class Rate:
    name: str
    runs: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.runs / self.seconds


def _measure(name: str, verify_once: Callable[[], bool]) -> Rate:
    verify_once()  # the key's first use builds its state in the backend: not timed
    runs = 0
    start = time.perf_counter()
    elapsed = 0.0
    while elapsed < BUDGET or runs < MIN_RUNS:
        # A wrong answer would make any speed figure meaningless.
        assert verify_once(), f"{name}: a valid signature did not verify"
        runs += 1
        elapsed = time.perf_counter() - start
    return Rate(name, runs, elapsed)


def measure() -> list[Rate]:
    key = private_key_from_scalar(SCALAR)
    public = key.public_key()
    sealed = sign_document(CONFIRMATION, key)
    message = canonical_bytes(sealed)
    der = key.sign(message)
    r, s = decode_signature(der)

    gmssl_key = gmssl_sm2.CryptSM2(private_key="", public_key=public.hex()[2:])
    gmssl_key.public_key = public.hex()[2:]  # see test_gmssl_cross_check: its lstrip bug
    gmssl_raw = f"{r:064x}{s:064x}"

    rates = []
    for backend in available_backends():
        with using_backend(backend):
            rates += [
                _measure(f"{backend} PublicKey.verify", lambda: public.verify(der, message)),
                _measure(
                    f"{backend} verify_document (JCS + base64 + DER + cached key)",
                    lambda: verify_document(sealed, public.hex()) is None,
                ),
            ]
    return [
        *rates,
        _measure(
            "gmssl (pure Python) verify_with_sm3",
            lambda: bool(gmssl_key.verify_with_sm3(gmssl_raw, message)),
        ),
    ]


def report(rates: list[Rate]) -> str:
    lines = [f"SM2 verify, {'full' if FULL else 'quick'} mode ({BUDGET:g} s each):"]
    lines += [f"  {rate.name:<62} {rate.per_second:9.1f} /s  ({rate.runs} runs)" for rate in rates]
    chosen, baseline = rates[0], rates[-1]
    lines.append(
        f"  ratio {chosen.name.split()[0]} / gmssl: {chosen.per_second / baseline.per_second:.1f}x"
    )
    return "\n".join(lines)


def test_sm2_verifications_per_second() -> None:
    rates = measure()
    print("\n" + report(rates), flush=True)
    assert all(rate.runs >= MIN_RUNS for rate in rates)


def test_the_benchmarked_signature_is_rejected_when_altered() -> None:
    # Guards the benchmark itself: a verifier that says yes to everything would be fast.
    key = private_key_from_scalar(SCALAR)
    sealed = sign_document(CONFIRMATION, key)
    altered = {**sealed, "destination_country": "RU"}
    for backend in available_backends():
        with using_backend(backend):
            assert verify_document(altered, key.public_key().hex()) == "signature does not verify"


def main() -> None:
    print(report(measure()), flush=True)


if __name__ == "__main__":
    main()
