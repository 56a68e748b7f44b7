"""Errors of the seal layer; each message says what the user can do about it."""

from __future__ import annotations

from carexport.errors import CarexportError


class SealError(CarexportError):
    """Base of the seal layer's errors."""


class InvalidKey(SealError):
    """A key could not be read: wrong format, wrong curve, or wrong passphrase."""


class UnsignableDocument(SealError):
    """The document has no RFC 8785 canonical form, so there is nothing to sign."""
