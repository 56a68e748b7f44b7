"""SM2 keys on the recommended curve (GB/T 32918.5), and their file and FACTS.json forms.

The classes wrap tongsuopy's key objects so that the rest of carexport never imports
tongsuopy: replacing the library (docs/decisions/0002-sm2-library.md) touches this
package only.

Forms:
- private key: PKCS#8 PEM, optionally encrypted (PBES2) under a passphrase;
- public key: SubjectPublicKeyInfo PEM (id-ecPublicKey with the SM2 curve OID
  1.2.156.10197.1.301), which OpenSSL 3 and GmSSL read, or the FACTS.json form
  "04" + x + y in hex (uncompressed point, 130 hex digits).
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from tongsuopy.crypto import hashes, serialization
from tongsuopy.crypto.asymciphers import ec
from tongsuopy.crypto.exceptions import UnsupportedAlgorithm

from carexport.seals.der import CURVE_ORDER
from carexport.seals.errors import InvalidKey
from carexport.seals.libcrypto import NativeKey
from carexport.seals.verify_backend import VerifyBackend, current_backend, system_libcrypto

_POINT_HEX = re.compile(r"04[0-9A-Fa-f]{128}")
_PEM_MARK = "-----BEGIN"

SM2_CURVE_OID = "1.2.156.10197.1.301"
# DER of the OBJECT IDENTIFIER id-ecPublicKey (1.2.840.10045.2.1): in a PKCS#8 or
# SubjectPublicKeyInfo key the curve's OID follows it.
_EC_PUBLIC_KEY_DER = bytes.fromhex("06072a8648ce3d0201")
# Curves and key types a user is likely to hand us by mistake, by OID.
_KNOWN_OIDS = {
    "1.2.840.10045.3.1.7": "on the prime256v1 (P-256) curve",
    "1.3.132.0.34": "on the secp384r1 (P-384) curve",
    "1.3.132.0.35": "on the secp521r1 (P-521) curve",
    "1.3.132.0.10": "on the secp256k1 curve",
    "1.3.36.3.3.2.8.1.1.7": "on the brainpoolP256r1 curve",
    "1.2.840.113549.1.1.1": "an RSA key",
    "1.3.101.112": "an Ed25519 key",
    "1.3.101.110": "an X25519 key",
    "1.3.101.113": "an Ed448 key",
}
_ALGORITHM_DER = {
    bytes.fromhex("06092a864886f70d010101"): "1.2.840.113549.1.1.1",
    bytes.fromhex("06032b6570"): "1.3.101.112",
    bytes.fromhex("06032b656e"): "1.3.101.110",
    bytes.fromhex("06032b6571"): "1.3.101.113",
}
_UNSUPPORTED_CURVE = re.compile(r"^(\S+) is not a supported elliptic curve")


def _signature_algorithm() -> Any:
    # SM2 signing in Tongsuo hashes Z_A || M with SM3, where Z_A is built with the
    # default signer ID 1234567812345678 (GM/T 0009); the published vector test proves it.
    return ec.ECDSA(hashes.SM3())


class PublicKey:
    """An SM2 public key (a point on the curve, checked when the key is built)."""

    __slots__ = ("_key", "_native", "_point")

    def __init__(self, key: Any) -> None:
        self._key = key
        # The key inside the system libcrypto, made at its first verification there.
        self._native: NativeKey | None = None
        self._point: bytes | None = None

    def point(self) -> bytes:
        """The uncompressed point 04 || x || y (65 bytes), computed once."""
        if self._point is None:
            self._point = bytes(
                self._key.public_bytes(
                    serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
                )
            )
        return self._point

    def hex(self) -> str:
        """The FACTS.json form: "04" + x + y, lowercase hex."""
        return self.point().hex()

    def pem(self) -> str:
        """SubjectPublicKeyInfo PEM, as `openssl pkeyutl -pubin -inkey` reads it."""
        data: bytes = self._key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return data.decode("ascii")

    def verify(self, signature: bytes, message: bytes) -> bool:
        """Whether `signature` (DER SEQUENCE{r, s}) is valid over `message`.

        Checked by the current backend (seals.verify_backend): the system libcrypto
        where it has SM2, else tongsuopy.
        """
        if current_backend() is VerifyBackend.LIBCRYPTO:
            native = self._native or self._libcrypto_key()
            if native is not None:
                return native.verify(signature, message)
        try:
            self._key.verify(signature, message, _signature_algorithm())
        except Exception:
            # Tongsuo reports a bad signature as InvalidSignature and malformed ASN.1 as
            # InternalError; either way the answer is "does not verify", never a crash.
            return False
        return True

    def _libcrypto_key(self) -> NativeKey | None:
        crypto = system_libcrypto()
        if crypto is None:
            return None
        try:
            self._native = crypto.key(self.point())
        except ValueError:
            # Tongsuo already checked the point; should libcrypto still refuse it, the
            # key is verified by Tongsuo rather than not at all.
            return None
        return self._native

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PublicKey) and self.hex() == other.hex()

    def __hash__(self) -> int:
        return hash(self.hex())

    def __repr__(self) -> str:
        return f"PublicKey({self.hex()!r})"


class PrivateKey:
    """An SM2 private key. Its repr never shows the secret."""

    __slots__ = ("_key",)

    def __init__(self, key: Any) -> None:
        self._key = key

    def public_key(self) -> PublicKey:
        return PublicKey(self._key.public_key())

    def pem(self, passphrase: bytes | None = None) -> str:
        """PKCS#8 PEM; encrypted under `passphrase` when one is given (and not empty)."""
        encryption: Any = (
            serialization.BestAvailableEncryption(passphrase)
            if passphrase
            else serialization.NoEncryption()
        )
        data: bytes = self._key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
        )
        return data.decode("ascii")

    def sign(self, message: bytes) -> bytes:
        """The DER SEQUENCE{r, s} SM2 signature of `message` (SM3, signer ID 1234567812345678)."""
        signature: bytes = self._key.sign(message, _signature_algorithm())
        return signature

    def __repr__(self) -> str:
        return f"PrivateKey(public={self.public_key().hex()!r})"


def _is_sm2(key: Any) -> bool:
    return isinstance(getattr(key, "curve", None), ec.SM2)


def _oid_text(content: bytes) -> str:
    """Dotted text of an OBJECT IDENTIFIER's content octets (X.690 8.19)."""
    arcs: list[int] = []
    value = 0
    for byte in content:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    if not arcs:
        return ""
    first = min(arcs[0] // 40, 2)
    return ".".join(str(a) for a in (first, arcs[0] - 40 * first, *arcs[1:]))


def _key_oid(pem: bytes) -> str | None:
    """The curve OID (EC keys) or algorithm OID (others) of an unencrypted PEM key.

    A byte search, not an ASN.1 parse: it only names what was found in a message, so a
    miss costs a vaguer message and never a wrong decision.
    """
    body = b"".join(line for line in pem.splitlines() if not line.startswith(b"-----"))
    try:
        der = base64.b64decode(body, validate=False)
    except (binascii.Error, ValueError):
        return None
    at = der.find(_EC_PUBLIC_KEY_DER)
    if at >= 0:
        start = at + len(_EC_PUBLIC_KEY_DER)
        if der[start : start + 1] == b"\x06" and start + 2 <= len(der):
            length = der[start + 1]
            return _oid_text(der[start + 2 : start + 2 + length])
    for marker, oid in _ALGORITHM_DER.items():
        if marker in der:
            return oid
    return None


def _wrong_curve(which: str, pem: bytes, found: Any) -> str:
    """Why a key that is not SM2 was refused, naming what it is when we can tell."""
    oid = _key_oid(pem)
    what = _KNOWN_OIDS.get(oid or "")
    if what is None:
        curve: str | None = None
        if isinstance(found, UnsupportedAlgorithm):
            match = _UNSUPPORTED_CURVE.match(str(found))
            curve = match.group(1) if match else None
        elif getattr(found, "curve", None) is not None:
            curve = str(found.curve.name)
        if curve is not None:
            what = f"on the {curve} curve"
        elif oid is not None:
            what = "on another curve"
    if what is None:
        what = f"the {which} key is not an SM2 key"
    else:
        what = f"the {which} key is {what}{f' (OID {oid})' if oid else ''}, not SM2"
    return f"{what}: an SM2 key (curve SM2, OID {SM2_CURVE_OID}) is required"


def generate_private_key() -> PrivateKey:
    """A fresh random SM2 private key (Tongsuo's CSPRNG)."""
    return PrivateKey(ec.generate_private_key(ec.SM2()))


def private_key_from_scalar(d: int) -> PrivateKey:
    """The private key with scalar `d`, for deterministic demo data and published vectors."""
    if isinstance(d, bool) or not isinstance(d, int) or not 1 <= d <= CURVE_ORDER - 2:
        raise InvalidKey("an SM2 private scalar must be an integer in [1, n-2]")
    return PrivateKey(ec.derive_private_key(d, ec.SM2()))


def private_key_from_pem(pem: str | bytes, passphrase: bytes | None = None) -> PrivateKey:
    """Read a PKCS#8 (or traditional EC) PEM private key on the SM2 curve."""
    data = pem.encode("ascii", "replace") if isinstance(pem, str) else pem
    try:
        key = serialization.load_pem_private_key(data, passphrase or None)
    except TypeError as exc:
        # cryptography-style loaders raise TypeError for a missing or unexpected password.
        raise InvalidKey(
            "the private key is encrypted: give its passphrase"
            if passphrase is None
            else "the private key is not encrypted: give no passphrase"
        ) from exc
    except UnsupportedAlgorithm as exc:
        raise InvalidKey(_wrong_curve("private", data, exc)) from exc
    except Exception as exc:
        raise InvalidKey("not an SM2 private key in PEM, or the passphrase is wrong") from exc
    if not _is_sm2(key):
        raise InvalidKey(_wrong_curve("private", data, key))
    return PrivateKey(key)


def public_key_from_pem(pem: str | bytes) -> PublicKey:
    """Read a SubjectPublicKeyInfo PEM public key on the SM2 curve."""
    data = pem.encode("ascii", "replace") if isinstance(pem, str) else pem
    try:
        key = serialization.load_pem_public_key(data)
    except UnsupportedAlgorithm as exc:
        raise InvalidKey(_wrong_curve("public", data, exc)) from exc
    except Exception as exc:
        raise InvalidKey("not an SM2 public key in SubjectPublicKeyInfo PEM") from exc
    if not _is_sm2(key):
        raise InvalidKey(_wrong_curve("public", data, key))
    return PublicKey(key)


def public_key_from_hex(text: str) -> PublicKey:
    """Read the FACTS.json form "04" + 128 hex digits (x then y; either case)."""
    if not isinstance(text, str) or not _POINT_HEX.fullmatch(text.strip()):
        raise InvalidKey("the public key is not an SM2 point 04||x||y (130 hex digits)")
    try:
        key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SM2(), bytes.fromhex(text.strip()))
    except Exception as exc:
        raise InvalidKey("the public key 04||x||y is not a point on the SM2 curve") from exc
    return PublicKey(key)


def load_public_key(text: str | bytes) -> PublicKey:
    """A public key given either as PEM or as the FACTS.json hex form."""
    if isinstance(text, bytes):
        text = text.decode("ascii", "replace")
    if _PEM_MARK in text:
        return public_key_from_pem(text)
    return public_key_from_hex(text)
