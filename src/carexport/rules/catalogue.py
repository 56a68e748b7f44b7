"""The registry of every rule, in RULES.md order."""

from __future__ import annotations

from functools import cache

from carexport.rules import banned, batch, credit, destination, filling, modified, near_new
from carexport.rules.registry import Registry


@cache
def default_registry() -> Registry:
    return Registry(
        (
            *near_new.RULES,
            *filling.RULES,
            *banned.RULES,
            *modified.RULES,
            *credit.RULES,
            *batch.RULES,
            *destination.RULES,
        )
    )
