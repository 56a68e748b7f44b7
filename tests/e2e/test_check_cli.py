"""`carexport check` end to end, as a user runs it (a real subprocess)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


def carexport(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "carexport", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


def test_checks_the_shipped_example_as_the_readme_shows() -> None:
    run = carexport("check", EXAMPLES / "application.json", "--facts", EXAMPLES / "facts.json")
    assert run.returncode == 0, run.stderr
    verdict = json.loads(run.stdout)
    expected = json.loads((EXAMPLES / "verdict.json").read_text(encoding="utf-8"))
    assert verdict == expected


def test_english_messages_carry_no_chinese() -> None:
    run = carexport(
        "check", EXAMPLES / "application.json", "--facts", EXAMPLES / "facts.json", "--lang", "en"
    )
    assert run.returncode == 0, run.stderr
    verdict = json.loads(run.stdout)
    messages = [f["message"] for v in verdict["vehicles"] for f in v["findings"]]
    messages += [f["message"] for f in verdict["findings"]]
    assert messages
    assert not any(CJK.search(m) for m in messages)


def test_as_of_before_the_notice_applies_no_2026_rule() -> None:
    run = carexport(
        "check",
        EXAMPLES / "application.json",
        "--facts",
        EXAMPLES / "facts.json",
        "--as-of",
        "2025-12-31",
    )
    assert run.returncode == 0, run.stderr
    verdict = json.loads(run.stdout)
    assert verdict["as_of"] == "2025-12-31"
    assert verdict["rules_version"] == "2024-03-01"
    rules = {f["rule"] for v in verdict["vehicles"] for f in v["findings"]}
    rules |= {f["rule"] for f in verdict["findings"]}
    assert not any(r.startswith(("N180.", "MOD.", "CREDIT.")) for r in rules)
    assert "FILL.BRAND_MISMATCH" not in rules


def test_invalid_input_exits_2_with_one_line_per_problem(tmp_path: Path) -> None:
    app = json.loads((EXAMPLES / "application.json").read_text(encoding="utf-8"))
    del app["enterprise_uscc"]
    app["vehicles"][0]["registration_date"] = "2026-02-30"
    app["vehicles"][1]["modified"] = "yes"
    bad = tmp_path / "APPLICATION.json"
    bad.write_text(json.dumps(app, ensure_ascii=False), encoding="utf-8")
    run = carexport("check", bad, "--facts", EXAMPLES / "facts.json")
    assert run.returncode == 2
    assert run.stdout == ""
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 3, run.stderr
    assert any("enterprise_uscc" in line and "APPLICATION.json" in line for line in lines)
    assert any("vehicles[0].registration_date" in line for line in lines)
    assert any("vehicles[1].modified" in line for line in lines)
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize(
    ("content", "where"),
    [
        ("{not json", "(document)"),
        ('{"registrations": [{"brand": "x"}]}', "registrations[0].vin"),
        (
            '{"inspections": [{"vin": "X", "result": "ok", "inspected_on": "2026-01-01"}]}',
            "inspections[0].result",
        ),
        (
            '{"export_filings": [{"enterprise_uscc": "X", "valid_from": "2026-01-01"}]}',
            "export_filings[0].valid_to",
        ),
        ('{"credit_events": [{"enterprise_uscc": "X", "item": 5}]}', "credit_events[0].date"),
        ('{"manufacturers": [{"uscc": "X", "kind": "dealer"}]}', "manufacturers[0].kind"),
        ('{"registrations": [{"vin": "X", "mortgaged": "no"}]}', "registrations[0].mortgaged"),
        ("[]", "(document)"),
    ],
)
def test_invalid_facts_name_the_field(tmp_path: Path, content: str, where: str) -> None:
    facts = tmp_path / "FACTS.json"
    facts.write_text(content, encoding="utf-8")
    run = carexport("check", EXAMPLES / "application.json", "--facts", facts)
    assert run.returncode == 2
    assert run.stdout == ""
    assert f"FACTS.json: {where}" in run.stderr, run.stderr
    assert "Traceback" not in run.stderr


def test_unknown_fields_are_ignored(tmp_path: Path) -> None:
    app = json.loads((EXAMPLES / "application.json").read_text(encoding="utf-8"))
    app["erp_reference"] = {"anything": [1, 2]}
    app["vehicles"][0]["colour"] = "white"
    file = tmp_path / "APPLICATION.json"
    file.write_text(json.dumps(app, ensure_ascii=False), encoding="utf-8")
    run = carexport("check", file, "--facts", EXAMPLES / "facts.json")
    assert run.returncode == 0, run.stderr


def test_missing_file_exits_2_without_traceback(tmp_path: Path) -> None:
    run = carexport("check", tmp_path / "nope.json", "--facts", EXAMPLES / "facts.json")
    assert run.returncode == 2
    assert "nope.json" in run.stderr
    assert "Traceback" not in run.stderr


def test_bad_as_of_exits_2() -> None:
    run = carexport(
        "check",
        EXAMPLES / "application.json",
        "--facts",
        EXAMPLES / "facts.json",
        "--as-of",
        "2026/01/01",
    )
    assert run.returncode == 2
    assert "as_of" in run.stderr
