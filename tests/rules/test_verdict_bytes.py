"""The typed Verdict prints byte for byte what the hand-built verdict dict printed.

tests/rules/golden_verdicts.json was recorded from the dict-building `evaluate` before the
Verdict model replaced it (commit 063013b), for every rule case in zh and en. Regenerate
it only for an intended change of the output: `python -m tests.rules.test_verdict_bytes`.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from carexport.domain.application import Application
from carexport.domain.facts import Facts
from carexport.rules.evaluate import evaluate
from carexport.rules.registry import Lang
from tests.rules.scenario import build, load_cases

GOLDEN = Path(__file__).with_name("golden_verdicts.json")


def rendered(case: dict[str, Any], lang: Lang) -> str:
    app_doc, facts_doc = build(case)
    application = Application.model_validate_json(json.dumps(app_doc, ensure_ascii=False))
    facts = Facts.model_validate_json(json.dumps(facts_doc, ensure_ascii=False))
    as_of = date.fromisoformat(case["as_of"]) if case.get("as_of") else None
    return evaluate(application, facts, as_of=as_of, lang=lang).as_text()


def golden() -> dict[str, str]:
    return json.loads(GOLDEN.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


KEYED = [(f"{name} [{lang}]", case, lang) for name, case in load_cases() for lang in Lang]


def test_every_rule_case_has_a_recorded_verdict() -> None:
    assert sorted(key for key, _, _ in KEYED) == sorted(golden())


@pytest.mark.parametrize(("key", "case", "lang"), KEYED, ids=[k for k, _, _ in KEYED])
def test_the_verdict_prints_exactly_as_recorded(key: str, case: dict[str, Any], lang: Lang) -> None:
    assert rendered(case, lang) == golden()[key]


if __name__ == "__main__":
    GOLDEN.write_text(
        json.dumps(
            {key: rendered(case, lang) for key, case, lang in KEYED},
            ensure_ascii=False,
            indent=1,
            sort_keys=True,
        ),
        encoding="utf-8",
    )
