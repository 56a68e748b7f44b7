"""The monitor's what-if page and the exporter's stock check page.

The what-if page runs the same analysis as `carexport whatif` as a background job (a
thread of the server on SQLite): on a demo world both give the same numbers."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine

from carexport.config import get_settings
from carexport.jobs import queue
from carexport.jobs.enums import JobStatus
from tests.e2e.pages_support import World, csrf_token, login, make_client

DEMO_PASSWORD = "carexport-demo-2026"


@pytest.fixture
def results(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "jobs"
    monkeypatch.setenv("CAREXPORT_JOB_RESULT_DIR", str(folder))
    get_settings.cache_clear()
    return folder


def test_the_page_and_the_command_give_the_same_numbers_on_the_demo_world(
    pages_engine: Engine, tmp_path: Path, results: Path
) -> None:
    if pages_engine.dialect.name != "sqlite":
        pytest.skip("on PostgreSQL the job needs a worker (tests/integration/test_jobs.py)")
    url = pages_engine.url.render_as_string(hide_password=False)
    env = {**os.environ, "CAREXPORT_DATABASE_URL": url}
    demo = ["demo", "generate", "--vehicles", "400", "--seed", "2026"]
    subprocess.run(
        [sys.executable, "-m", "carexport", *demo],
        env=env,
        cwd=tmp_path,
        check=True,
        capture_output=True,
        timeout=300,
    )
    period = ["--from", "2025-01-01", "--to", "2026-12-31", "--set", "n180.days=365"]
    cli = subprocess.run(
        [sys.executable, "-m", "carexport", "whatif", *period, "--out", str(tmp_path / "cli")],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert cli.returncode == 0, cli.stderr
    from_cli = json.loads((tmp_path / "cli" / "summary.json").read_text(encoding="utf-8"))

    client = login(make_client(), "monitor", DEMO_PASSWORD)
    form = client.get("/monitor/whatif")
    assert form.status_code == 200
    assert "n180.days" in form.text
    started = client.post(
        "/monitor/whatif",
        data={
            "csrf_token": csrf_token(client),
            "from": "2025-01-01",
            "to": "2026-12-31",
            "as_of": "",
            "set:n180.days": "365",
        },
    )
    assert started.status_code == 303
    job_id = int(started.headers["location"].rsplit("/", 1)[1])
    done = queue.wait(job_id, timeout=300)
    assert done.status == JobStatus.DONE, done.error

    assert done.result == from_cli
    assert from_cli["lines"] > 0
    assert from_cli["changed"] > 0  # a longer near-new window catches more lines
    page = client.get(f"/monitor/whatif/{job_id}")
    assert page.status_code == 200
    assert f"{from_cli['changed']:,}" in page.text
    assert "N180.CONFIRMATION_MISSING" in page.text
    # destinations by name in the page's language, the code beside
    assert re.search(r"<td>[^<(]+ \([A-Z]{2}\)</td>", page.text)
    download = client.get(f"/monitor/whatif/{job_id}/files/summary.json")
    assert download.status_code == 200
    assert json.loads(download.content) == from_cli
    changed = client.get(f"/monitor/whatif/{job_id}/files/changed.csv")
    assert changed.content == (tmp_path / "cli" / "changed.csv").read_bytes()
    progress = client.get(f"/monitor/whatif/{job_id}/progress")
    assert progress.headers.get("HX-Refresh") == "true"


def test_the_form_shows_each_parameter_with_its_current_value(world: World) -> None:
    client = login(make_client(), world.monitor)

    page = client.get("/monitor/whatif")

    assert page.status_code == 200
    assert 'name="set:n180.days"' in page.text
    assert ">180<" in page.text  # n180.days in force today


def test_an_unknown_parameter_or_a_bad_period_is_refused_on_the_form(
    world: World, results: Path
) -> None:
    client = login(make_client(), world.monitor)
    token = csrf_token(client)

    unknown = client.post(
        "/monitor/whatif",
        data={"csrf_token": token, "from": "2026-01-01", "to": "2026-12-31", "set:n180.days": "x"},
    )
    backwards = client.post(
        "/monitor/whatif", data={"csrf_token": token, "from": "2026-12-31", "to": "2026-01-01"}
    )

    assert unknown.status_code == 422
    assert "n180.days" in unknown.text
    assert backwards.status_code == 422
    assert not results.exists() or list(results.iterdir()) == []


def test_only_the_monitor_runs_a_whatif(world: World) -> None:
    client = login(make_client(), world.applicant)

    assert client.get("/monitor/whatif").status_code == 403
    assert client.get("/monitor/whatif/1").status_code == 403


def test_an_unknown_run_or_file_is_not_found(world: World) -> None:
    client = login(make_client(), world.monitor)

    assert client.get("/monitor/whatif/999").status_code == 404
    assert client.get("/monitor/whatif/0/files/whatif.xlsx").status_code == 404


def test_the_exporter_checks_a_stock_file_on_its_page(world: World) -> None:
    client = login(make_client(), world.applicant)
    stock = Path(__file__).resolve().parents[2] / "examples" / "stock" / "stock.csv"

    page = client.post(
        "/stock",
        data={"csrf_token": csrf_token(client), "destination_country": "KZ", "on": "2026-03-12"},
        files={"file": ("stock.csv", stock.read_bytes(), "text/csv")},
    )

    assert page.status_code == 200
    # The store of this test knows none of the vehicles: each is refused for it, and
    # the near-new ones (by the file's registration dates) show their free day.
    assert "FILL.NO_REGISTRATION" in page.text
    assert "2026-07-20" in page.text
    assert "2026-05-03" in page.text


def test_a_stock_check_without_a_destination_is_refused(world: World) -> None:
    client = login(make_client(), world.applicant)

    page = client.post(
        "/stock",
        data={"csrf_token": csrf_token(client), "destination_country": "", "on": "2026-03-12"},
        files={"file": ("stock.csv", b"vin\nLVVDB11B9PD200045\n", "text/csv")},
    )

    assert page.status_code == 422
