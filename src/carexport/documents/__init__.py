"""Confirmations and licences as signed documents, and their public verification."""
