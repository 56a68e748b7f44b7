"""`carexport check` end to end, as a user runs it (a real subprocess)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

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


# --- hostile and messy files (issues 14 and 15): exit 2 with the field, never a traceback


def example(name: str) -> Any:
    return json.loads((EXAMPLES / name).read_text(encoding="utf-8"))


def write(path: Path, doc: Any) -> Path:
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def check_with_facts(facts: Path) -> subprocess.CompletedProcess[str]:
    return carexport("check", EXAMPLES / "application.json", "--facts", facts)


def refused(run: subprocess.CompletedProcess[str]) -> list[str]:
    assert run.returncode == 2, (run.stdout, run.stderr)
    assert run.stdout == ""
    assert "Traceback" not in run.stderr
    lines = run.stderr.strip().splitlines()
    assert lines
    return lines


def test_as_of_before_any_rule_gives_a_verdict_that_says_so() -> None:
    for day in ("2024-02-29", "2020-01-01"):
        run = carexport(
            "check", EXAMPLES / "application.json", "--facts", EXAMPLES / "facts.json",
            "--as-of", day,
        )  # fmt: skip
        assert run.returncode == 0, run.stderr
        verdict = json.loads(run.stdout)
        assert [f["rule"] for f in verdict["findings"]] == ["SYSTEM.NO_RULES_IN_FORCE"]
        assert verdict["findings"][0]["severity"] == "warn"


@pytest.mark.parametrize("which", ["application", "facts"])
def test_duplicate_keys_are_refused_in_either_file(tmp_path: Path, which: str) -> None:
    app = tmp_path / "APPLICATION.json"
    facts = tmp_path / "FACTS.json"
    app_text = (EXAMPLES / "application.json").read_text(encoding="utf-8")
    facts_text = (EXAMPLES / "facts.json").read_text(encoding="utf-8")
    if which == "application":
        twice = '"destination_country": "KZ", "destination_country": "RU"'
        app_text = app_text.replace('"destination_country": "KZ"', twice)
    else:
        twice = '"mortgaged": false, "mortgaged": true'
        facts_text = facts_text.replace('"mortgaged": false', twice)
    app.write_text(app_text, encoding="utf-8")
    facts.write_text(facts_text, encoding="utf-8")
    lines = refused(carexport("check", app, "--facts", facts))
    assert all("duplicate key" in line for line in lines), lines
    source = "APPLICATION.json: destination_country" if which == "application" else "FACTS.json"
    assert lines[0].startswith(source)


def test_a_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    app = tmp_path / "APPLICATION.json"
    app.write_bytes(b"\xef\xbb\xbf" + (EXAMPLES / "application.json").read_bytes())
    run = carexport("check", app, "--facts", EXAMPLES / "facts.json")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == example("verdict.json")


def _limit_memory_to_1_gib() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (1024**3, 1024**3))


@pytest.mark.parametrize("which", ["application", "facts"])
def test_a_2_gb_file_without_newline_is_refused_within_1_gib(tmp_path: Path, which: str) -> None:
    huge = tmp_path / "HUGE.json"
    with huge.open("wb") as handle:  # sparse: 2 GB to the reader, nothing on disk
        handle.truncate(2 * 1024**3)
    app = huge if which == "application" else EXAMPLES / "application.json"
    facts = huge if which == "facts" else EXAMPLES / "facts.json"
    run = subprocess.run(
        [sys.executable, "-m", "carexport", "check", str(app), "--facts", str(facts)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        preexec_fn=_limit_memory_to_1_gib,
    )
    [line] = refused(run)
    assert "HUGE.json" in line
    assert "larger than" in line
    assert "MAX_DOCUMENT_BYTES" in line


def test_dev_zero_is_refused_not_read_forever() -> None:
    [line] = refused(carexport("check", "/dev/zero", "--facts", EXAMPLES / "facts.json"))
    assert "/dev/zero" in line
    assert "larger than" in line


def test_a_fifo_is_read_not_called_missing(tmp_path: Path) -> None:
    fifo = tmp_path / "FACTS.json"
    os.mkfifo(fifo)
    writer = threading.Thread(target=fifo.write_text, args=("{not json",))
    writer.start()
    try:
        [line] = refused(carexport("check", EXAMPLES / "application.json", "--facts", fifo))
    finally:
        writer.join()
    assert line.startswith("FACTS.json: (document): not valid JSON")
    assert "no such file" not in line


def test_a_nul_in_a_vin_is_refused_by_field(tmp_path: Path) -> None:
    app = example("application.json")
    app["vehicles"][0]["vin"] = "LGXCE4CB8P012\x003456"
    [line] = refused(
        carexport("check", write(tmp_path / "A.json", app), "--facts", EXAMPLES / "facts.json")
    )
    assert line.startswith("A.json: vehicles[0].vin: contains a NUL character")


def test_a_nul_in_any_fact_is_refused_by_field(tmp_path: Path) -> None:
    facts = example("facts.json")
    facts["manufacturers"][0]["name"] = "比亚迪\x00"
    [line] = refused(check_with_facts(write(tmp_path / "F.json", facts)))
    assert line.startswith("F.json: manufacturers[0].name: contains a NUL character")


def test_a_negative_transfer_count_is_refused(tmp_path: Path) -> None:
    facts = example("facts.json")
    facts["registrations"][0]["export_transfer_count"] = -5
    [line] = refused(check_with_facts(write(tmp_path / "F.json", facts)))
    assert line.startswith("F.json: registrations[0].export_transfer_count:")


@pytest.mark.parametrize("value", [0, 86400, 1767225600, "0001-01-01", "9999-12-31"])
def test_timestamps_and_implausible_dates_are_refused_by_field(tmp_path: Path, value: Any) -> None:
    facts = example("facts.json")
    facts["registrations"][0]["scrap_due_date"] = value
    [line] = refused(check_with_facts(write(tmp_path / "F.json", facts)))
    assert line.startswith("F.json: registrations[0].scrap_due_date:")


@pytest.mark.parametrize("value", ["0001-01-01", "9999-12-31"])
def test_an_implausible_as_of_is_refused(value: str) -> None:
    run = carexport(
        "check", EXAMPLES / "application.json", "--facts", EXAMPLES / "facts.json",
        "--as-of", value,
    )  # fmt: skip
    [line] = refused(run)
    assert "as_of" in line
    assert "plausible range" in line


@pytest.mark.parametrize("number", ["NaN", "Infinity", "1e400"])
def test_nan_and_infinity_are_refused_by_field(tmp_path: Path, number: str) -> None:
    text = (EXAMPLES / "facts.json").read_text(encoding="utf-8")
    text = text.replace('"export_transfer_count": 1', f'"export_transfer_count": {number}', 1)
    facts = tmp_path / "F.json"
    facts.write_text(text, encoding="utf-8")
    [line] = refused(carexport("check", EXAMPLES / "application.json", "--facts", facts))
    assert line.startswith("F.json: registrations[0].export_transfer_count:")


def test_deep_nesting_is_refused_cleanly(tmp_path: Path) -> None:
    facts = tmp_path / "F.json"
    facts.write_text('{"extra": ' + "[" * 100_000 + "]" * 100_000 + "}", encoding="utf-8")
    [line] = refused(carexport("check", EXAMPLES / "application.json", "--facts", facts))
    assert "nested deeper than" in line
