"""docs/feeds.md's column tables, written out from the feed declarations.

`python -m carexport.feeds.docs docs/feeds.md` rewrites everything after the marker line
from FEEDS (feeds/fields.py); the prose above the marker is kept as written. A test
holds the committed file equal to what this writes.
"""

from __future__ import annotations

import sys
from pathlib import Path

from carexport.feeds.schemas import FEEDS, Feed

MARKER = "<!-- generated: python -m carexport.feeds.docs docs/feeds.md -->"


def feed_section(feed: Feed) -> str:
    lines = [
        f"## `{feed.kind}` — {feed.title}",
        "",
        f"Natural key: {', '.join(feed.key_fields)}.",
        "",
        "| column (en) | 列名 (zh) | required | meaning |",
        "| --- | --- | --- | --- |",
    ]
    lines += [
        f"| `{c.name}` | {c.zh} | {'✔' if c.required else ''} | {c.en} |" for c in feed.columns
    ]
    return "\n".join(lines) + "\n"


def regenerate(text: str) -> str:
    """`text` with everything after the marker (added at the end if absent) generated."""
    head, found, _ = text.partition(MARKER)
    if not found:
        head = head.rstrip("\n") + "\n\n"
    sections = "\n".join(feed_section(feed) for feed in FEEDS.values())
    return f"{head}{MARKER}\n\n{sections}"


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m carexport.feeds.docs docs/feeds.md", file=sys.stderr)
        return 2
    path = Path(argv[0])
    path.write_text(regenerate(path.read_text(encoding="utf-8")), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
