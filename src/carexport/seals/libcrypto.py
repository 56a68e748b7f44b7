"""SM2 verification on the system's OpenSSL 3 libcrypto, called with ctypes.

Why and what was measured: docs/decisions/0023-sm2-verify-backend.md. In short, the
EC arithmetic is libcrypto's (the distribution's patched library) and the verification
equation is GB/T 32918.2 section 7.1, written out here so that the work can be arranged
for speed; `EVP_PKEY_verify` / `EVP_DigestVerify` on this library run no faster than
Tongsuo, this arrangement about 1.5x faster:

- e = SM3(Z_A || M), with Z_A (SM3 of ENTL || ID || a || b || xG || yG || xA || yA)
  computed once per key;
- (x1, y1) = [s]G + [t]P_A, t = (r + s) mod n, in one multi-scalar multiplication where
  G carries libcrypto's precomputed table (`EC_GROUP_precompute_mult`) and P_A is split
  into P_A, 2^64 P_A, 2^128 P_A, 2^192 P_A (kept per key), so that t becomes four
  64-bit scalars and the shared doubling chain is 64 long instead of 256;
- valid when (e + x1) mod n = r, with r, s in [1, n-1], t != 0 and the sum not the
  point at infinity.

Verification handles only public values, so the variable-time wNAF code is fine here;
nothing secret ever goes through this module. Signing stays with tongsuopy.

Pure apart from loading the library: no files, no network, no clock. When no libcrypto
with SM2 and these functions can be loaded (another OS, OpenSSL 1.1, a build without
SM2 or without the 3.0-deprecated EC calls), `load()` answers None and carexport
verifies with tongsuopy instead.
"""

from __future__ import annotations

import ctypes
import threading
from functools import cache

from carexport.seals.der import CURVE_ORDER, decode_signature

# The SM2 recommended curve's a, b, xG, yG (GB/T 32918.5), as they enter Z_A.
_CURVE_FOR_Z = bytes.fromhex(
    "FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC"
    "28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93"
    "32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7"
    "BC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0"
)
_POINT_LENGTH = 65
_FIELD_BYTES = 32
# P_A is split in four: more parts shorten the doubling chain further but add a
# table per part to every multiplication (measured: 2 parts 1.35x, 4 parts 1.5x,
# 8 parts 1.4x the plain multiplication).
_PARTS = 4
_PART_BITS = 256 // _PARTS
_PART_MASK = (1 << _PART_BITS) - 1

# The GB/T 32918 example ("message digest" under the published key, ID 1234567812345678),
# checked once at load: a library (or signer ID) that computes anything else is not used.
_EXAMPLE_POINT = bytes.fromhex(
    "04"
    "09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020"
    "CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13"
)
_EXAMPLE_SIGNATURE = bytes.fromhex(
    "3046"
    "022100F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3"
    "022100B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA"
)
_EXAMPLE_MESSAGE = b"message digest"

_LIBRARY_NAMES = ("libcrypto.so.3", "libcrypto.3.dylib")
_OPENSSL_3 = 0x30000000

_P = ctypes.c_void_p
_INT = ctypes.c_int
_SIGNATURES: dict[str, tuple[type | None, list[type]]] = {
    "OBJ_sn2nid": (_INT, [ctypes.c_char_p]),
    "EC_GROUP_new_by_curve_name": (_P, [_INT]),
    "EC_GROUP_precompute_mult": (_INT, [_P, _P]),
    "EC_POINT_new": (_P, [_P]),
    "EC_POINT_free": (None, [_P]),
    "EC_POINT_oct2point": (_INT, [_P, _P, ctypes.c_char_p, ctypes.c_size_t, _P]),
    "EC_POINT_copy": (_INT, [_P, _P]),
    "EC_POINT_dbl": (_INT, [_P, _P, _P, _P]),
    "EC_POINT_is_at_infinity": (_INT, [_P, _P]),
    "EC_POINTs_mul": (_INT, [_P, _P, _P, ctypes.c_size_t, _P, _P, _P]),
    "EC_POINT_get_affine_coordinates": (_INT, [_P, _P, _P, _P, _P]),
    "BN_new": (_P, []),
    "BN_free": (None, [_P]),
    "BN_bin2bn": (_P, [ctypes.c_char_p, _INT, _P]),
    "BN_set_word": (_INT, [_P, ctypes.c_ulong]),
    "BN_bn2binpad": (_INT, [_P, ctypes.c_char_p, _INT]),
    "BN_CTX_new": (_P, []),
    "BN_CTX_free": (None, [_P]),
    "EVP_MD_fetch": (_P, [_P, ctypes.c_char_p, ctypes.c_char_p]),
    "EVP_Digest": (_INT, [_P, ctypes.c_size_t, _P, _P, _P, _P]),
}


class Libcrypto:
    """The SM2 group (with its generator table) and SM3 of one loaded libcrypto."""

    def __init__(self, lib: ctypes.CDLL, signer_id: bytes) -> None:
        for name, (restype, argtypes) in _SIGNATURES.items():
            function = getattr(lib, name)  # AttributeError: this build lacks it
            function.restype = restype
            function.argtypes = argtypes
        self.lib = lib
        self.signer_id = signer_id
        # Made once and never freed: process-wide constants, read concurrently by every
        # key (a multiplication only reads the group and its table).
        self.sm3_md = lib.EVP_MD_fetch(None, b"SM3", None)
        nid = lib.OBJ_sn2nid(b"SM2")
        self.group = lib.EC_GROUP_new_by_curve_name(nid) if nid > 0 else None
        if not self.sm3_md or not self.group:
            raise OSError("this libcrypto has no SM3 or no SM2 curve")
        ctx = lib.BN_CTX_new()
        try:
            if lib.EC_GROUP_precompute_mult(self.group, ctx) != 1:
                raise OSError("EC_GROUP_precompute_mult failed")
        finally:
            lib.BN_CTX_free(ctx)

    def sm3(self, data: bytes) -> bytes:
        out = ctypes.create_string_buffer(32)
        if self.lib.EVP_Digest(data, len(data), out, None, self.sm3_md, None) != 1:
            raise OSError("EVP_Digest(SM3) failed")
        return out.raw

    def key(self, point: bytes) -> NativeKey:
        """The verifier for the uncompressed point 04 || x || y; ValueError when it is
        not a point of the curve."""
        return NativeKey(self, point)


class NativeKey:
    """One SM2 public key in libcrypto: Z_A, the four parts of P_A and scratch space."""

    __slots__ = ("_crypto", "_ctx", "_lock", "_parts", "_point_array", "_result", "_s",
                 "_t", "_t_array", "_x", "_x_bytes", "_z")  # fmt: skip

    def __init__(self, crypto: Libcrypto, point: bytes) -> None:
        lib = crypto.lib
        self._crypto = crypto
        # Scratch numbers and points are this key's own; the lock keeps two threads (the
        # GIL is released inside each call) from using them at the same moment.
        self._lock = threading.Lock()
        self._ctx = lib.BN_CTX_new()
        self._s = lib.BN_new()
        self._t = [lib.BN_new() for _ in range(_PARTS)]
        self._x = lib.BN_new()
        self._result = lib.EC_POINT_new(crypto.group)
        self._parts = [lib.EC_POINT_new(crypto.group) for _ in range(_PARTS)]
        self._x_bytes = ctypes.create_string_buffer(_FIELD_BYTES)
        if not all([self._ctx, self._s, self._x, self._result, *self._t, *self._parts]):
            raise MemoryError("libcrypto could not allocate an SM2 key")
        self._t_array = (_P * _PARTS)(*self._t)
        self._point_array = (_P * _PARTS)(*self._parts)
        if len(point) != _POINT_LENGTH or point[0] != 4:
            raise ValueError("not an uncompressed SM2 point")
        first = self._parts[0]
        # oct2point refuses a point that is not on the curve.
        if lib.EC_POINT_oct2point(crypto.group, first, point, len(point), self._ctx) != 1:
            raise ValueError("the public key is not a point of the SM2 curve")
        if lib.EC_POINT_is_at_infinity(crypto.group, first):
            raise ValueError("the public key is the point at infinity")
        for previous, part in zip(self._parts, self._parts[1:], strict=False):
            lib.EC_POINT_copy(part, previous)
            for _ in range(_PART_BITS):
                lib.EC_POINT_dbl(crypto.group, part, part, self._ctx)
        entl = (len(crypto.signer_id) * 8).to_bytes(2, "big")
        self._z = crypto.sm3(entl + crypto.signer_id + _CURVE_FOR_Z + point[1:])

    def verify(self, signature: bytes, message: bytes) -> bool:
        """Whether the DER SEQUENCE{r, s} `signature` is valid over `message`."""
        try:
            r, s = decode_signature(signature)
        except ValueError:
            return False
        if not (0 < r < CURVE_ORDER and 0 < s < CURVE_ORDER):
            return False
        t = (r + s) % CURVE_ORDER
        if t == 0:
            return False
        e = int.from_bytes(self._crypto.sm3(self._z + message), "big")
        lib, group = self._crypto.lib, self._crypto.group
        with self._lock:
            lib.BN_bin2bn(s.to_bytes(_FIELD_BYTES, "big"), _FIELD_BYTES, self._s)
            for number, shift in zip(self._t, range(0, 256, _PART_BITS), strict=True):
                lib.BN_set_word(number, (t >> shift) & _PART_MASK)
            arguments = (self._s, _PARTS, self._point_array, self._t_array, self._ctx)
            if lib.EC_POINTs_mul(group, self._result, *arguments) != 1:
                return False
            # Fails for the point at infinity, which is then no valid signature.
            x = self._x
            if lib.EC_POINT_get_affine_coordinates(group, self._result, x, None, self._ctx) != 1:
                return False
            lib.BN_bn2binpad(self._x, self._x_bytes, _FIELD_BYTES)
            x1 = int.from_bytes(self._x_bytes.raw, "big")
        return (e + x1) % CURVE_ORDER == r

    def __del__(self) -> None:
        # At interpreter exit the library may already be gone: nothing to free then.
        try:
            lib = self._crypto.lib
            for point in (self._result, *self._parts):
                lib.EC_POINT_free(point)
            for number in (self._s, self._x, *self._t):
                lib.BN_free(number)
            lib.BN_CTX_free(self._ctx)
        except Exception:
            pass  # a finaliser must not raise


@cache
def load(signer_id: bytes) -> Libcrypto | None:
    """The system libcrypto when it is OpenSSL 3 and verifies the GB/T 32918 SM2
    example with `signer_id` (and refuses it altered); None otherwise."""
    for name in _LIBRARY_NAMES:
        try:
            lib = ctypes.CDLL(name)
            lib.OpenSSL_version_num.restype = ctypes.c_ulong
            if lib.OpenSSL_version_num() < _OPENSSL_3:
                continue
            crypto = Libcrypto(lib, signer_id)
            example = crypto.key(_EXAMPLE_POINT)
            genuine = example.verify(_EXAMPLE_SIGNATURE, _EXAMPLE_MESSAGE)
            forged = example.verify(_EXAMPLE_SIGNATURE, _EXAMPLE_MESSAGE + b"!")
        except (AttributeError, OSError, ValueError, MemoryError):
            continue  # no such library, a missing symbol, no SM3 or no SM2 in this build
        if genuine and not forged:
            return crypto
    return None
