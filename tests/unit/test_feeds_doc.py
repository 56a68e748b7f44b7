"""docs/feeds.md lists exactly the declared feed columns."""

from __future__ import annotations

from pathlib import Path

from carexport.feeds.docs import MARKER, regenerate

DOC = Path(__file__).resolve().parents[2] / "docs" / "feeds.md"


def test_feeds_doc_equals_the_text_generated_from_the_declarations() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert MARKER in text
    # On failure: python -m carexport.feeds.docs docs/feeds.md
    assert text == regenerate(text)


def test_every_declared_column_appears_in_the_generated_text() -> None:
    from carexport.feeds.schemas import FEEDS

    generated = regenerate("prose\n")
    for feed in FEEDS.values():
        for column in feed.columns:
            assert f"| `{column.name}` | {column.zh} |" in generated
