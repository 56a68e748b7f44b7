"""The shipped examples, one per outcome, run as the README shows them.

Each example's command is taken from README.md and run as a user would (a subprocess);
its output must equal the stored verdict.json byte for byte, and the abridged verdict
the README prints under the command must agree with it. So neither the files nor the
page can drift from what the checker says.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")

# (directory under examples/, the decision its verdict must carry)
EXAMPLES = [("pass", "pass"), ("review", "review"), ("", "fail")]


def _command(directory: str) -> str:
    base = f"examples/{directory}/" if directory else "examples/"
    return f".venv/bin/carexport check {base}application.json --facts {base}facts.json"


def _readme_block(command: str) -> Any:
    """The first ```json block after the line of the README that is exactly `command`."""
    lines = README.splitlines()
    at = next((i for i, line in enumerate(lines) if line.strip() == command), None)
    assert at is not None, f"README.md does not show `{command}`"
    match = re.search(r"```json\n(.*?)\n```", "\n".join(lines[at:]), re.S)
    assert match is not None, f"README.md shows no verdict after `{command}`"
    return json.loads(match.group(1))


def _agrees(shown: Any, actual: Any, where: str = "verdict") -> None:
    """`shown` is `actual` abridged: a `"...": "..."` entry stands for the keys left out."""
    if isinstance(shown, dict):
        assert isinstance(actual, dict), where
        if "..." not in shown:
            assert set(shown) == set(actual), f"{where}: keys {set(actual) ^ set(shown)}"
        for key, value in shown.items():
            if key != "...":
                assert key in actual, f"{where}.{key} is not in the verdict"
                _agrees(value, actual[key], f"{where}.{key}")
    elif isinstance(shown, list):
        assert isinstance(actual, list), where
        assert len(shown) == len(actual), f"{where}: {len(shown)} shown, {len(actual)} in fact"
        for index, (item, real) in enumerate(zip(shown, actual, strict=True)):
            _agrees(item, real, f"{where}[{index}]")
    else:
        assert shown == actual, f"{where}: README shows {shown!r}, the checker says {actual!r}"


@pytest.mark.parametrize(("directory", "decision"), EXAMPLES, ids=[d for _, d in EXAMPLES])
def test_each_example_gives_its_decision_and_its_stored_verdict(
    directory: str, decision: str
) -> None:
    command = _command(directory)
    argv = shlex.split(command)
    assert argv[0] == ".venv/bin/carexport"
    run = subprocess.run(
        [sys.executable, "-m", "carexport", *argv[1:]],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )

    assert run.returncode == 0, run.stderr
    verdict = json.loads(run.stdout)
    assert verdict["decision"] == decision
    stored = ROOT / "examples" / directory / "verdict.json"
    assert run.stdout == stored.read_text(encoding="utf-8")
    _agrees(_readme_block(command), verdict)


def test_the_review_example_is_review_because_of_a_review_rule() -> None:
    verdict = json.loads((ROOT / "examples/review/verdict.json").read_text(encoding="utf-8"))
    findings = verdict["findings"] + [f for v in verdict["vehicles"] for f in v["findings"]]
    assert {f["severity"] for f in findings} == {"review"}
    assert [f["rule"] for f in findings] == ["CREDIT.RECTIFICATION_REQUIRED"]


def test_the_pass_example_carries_a_sealed_confirmation_that_verifies() -> None:
    from carexport.seals import verify_document

    facts = json.loads((ROOT / "examples/pass/facts.json").read_text(encoding="utf-8"))
    keys = {m["uscc"]: m["public_key"] for m in facts["manufacturers"]}
    (confirmation,) = facts["confirmations"]
    assert verify_document(confirmation, keys[confirmation["issuer_uscc"]]) is None
    published = (ROOT / "examples/keys/byd-demo.pub.pem").read_text(encoding="ascii")
    assert verify_document(confirmation, _public(published)) is None


def _public(pem: str) -> Any:
    from carexport.seals import load_public_key

    return load_public_key(pem)
