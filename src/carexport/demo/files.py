"""The world as files: FACTS.json, one APPLICATION.json per application, and one JSON
Lines file per feed that follows the license (outlets, licenses, customs,
deregistrations), in the form `carexport import KIND FILE` reads."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from carexport.demo.world import DemoWorld, application_document, facts_document


def _write_json(path: Path, document: dict[str, Any]) -> None:
    # UTF-8 with Chinese as written, so the files read as the registries print them.
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def write_facts(world: DemoWorld, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "facts.json"
    _write_json(path, facts_document(world.facts))
    return path


def write_applications(
    world: DemoWorld, directory: Path, advance: Callable[[], None] = lambda: None
) -> Path:
    """`directory/<application_id>.json` for each application; `advance` after each."""
    directory.mkdir(parents=True, exist_ok=True)
    for application in world.applications:
        _write_json(
            directory / f"{application.application_id}.json", application_document(application)
        )
        advance()
    return directory


# The order they are imported in: a customs declaration cites a license, a
# deregistration follows a declaration (the store does not insist, docs/feeds.md).
FEED_ORDER = ("outlets", "licenses", "customs", "deregistrations")


def write_feeds(feeds: dict[str, list[dict[str, Any]]], directory: Path) -> dict[str, Path]:
    """`directory/<feed>.jsonl` for each feed (`world.feeds` or a part), in FEED_ORDER."""
    directory.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for kind in FEED_ORDER:
        path = directory / f"{kind}.jsonl"
        with path.open("w", encoding="utf-8") as handle:
            for row in feeds.get(kind, []):
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        paths[kind] = path
    return paths
