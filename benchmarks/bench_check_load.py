"""The single check under load (issue 19): p50, p95 and p99 of `POST /api/v1/check` for
a 50-vehicle application from 20 concurrent clients, against the running server; goal
p95 < 20 ms.

The application: 50 near-new vehicles of the demo world bound for one destination,
each with its sealed 售后服务确认书 (the seals are verified on every check), filed by one
exporter. The body carries the facts, as CHECK_FORMAT.md's `/api/v1/check` takes them
(the route reads no database): the vehicles' records, inspections and confirmations, the
exporter's filings, and the world's manufacturers, enterprises, credit events and open
licenses. Every answer must be the verdict `evaluate` gives in-process, byte for byte
(it fails: a license holds at most 20 vehicles; all 50 vehicles pass).

The server is uvicorn started as `make serve` starts it (its default log level, access
log included), with one worker and with `--workers 2`. The clients are locust in headless
mode (check_load_locustfile.py), two ways:

- closed loop: 20 users posting back to back for 60 s with `CAREXPORT_BENCH=full`, 10 s
  by default (`make test`), then one user alone. A saturation test: 20 checks are always
  in flight, so latency ≈ 20 / throughput and what it measures is checks/s and CPU per
  check; p95 < 20 ms there would need 1,000 checks/s (under 2 ms of CPU a check on 2
  cores), out of reach whatever the server does around the rules;
- open loop: 20 users each sending at the moments of a Poisson process of 1 check/s (20
  checks/s in all, 72,000 an hour), each time counted from the moment the check was due
  (no coordinated omission). The pace an exporter's client could plausibly send: an ERP
  checks an application when a clerk saves or submits it, every few seconds at the very
  most, and a national year is some tens of thousands of 50-vehicle applications; 20
  clients at 1/s are well beyond a national peak. With `CAREXPORT_BENCH=full` the open
  loop is also run at rising totals (5, 10, 20, 40 … 200 checks/s, 20 s each) up to the
  first whose p95 reaches 20 ms: the highest rate that meets the goal.

Printed for each run: p50, p95, p99, requests/s, errors (the test fails unless 0), the
server's CPU per request, the load tool's own CPU, the load average, and p95 / 20 ms.
The seals are memoised per process (docs/decisions/0032): the warm-up's checks verify
the 44 confirmations once per worker, and the runs measure checks of confirmations seen
before, as an ERP's repeated checks are. Caching whole verdicts by body would measure a
cache, not the check: nothing does.

Why locust: it is a maintained load tool installed from the lock like every other dev
dependency (`make install`), so the benchmark runs on CI and on every developer machine
without a system package or a binary download; oha is in no registry this project
reaches, and wrk is a Debian package outside the project's install steps. Its
FastHttpUser (geventhttpclient) costs the client little CPU, which matters on a 2-core
machine where the clients share the cores with the server; the benchmark prints that
cost. The percentiles are computed here from every request's exact time, not from
locust's rounded histogram.

CPU per 50-vehicle check in-process (one thread, median): before 17.6-23 ms (reading the
body 5, validating 1.6, the rules 16 of which the 44 SM2 seal verifications 11); after
5.4-7.5 ms: the body 1.2 (jsondoc reads a clean document without walking it), validating
1.1-1.3 (Pydantic and the domain's validators), the rules 2.8-3.3 (each seal 10 µs from
the memo instead of 160-250 µs; credit's persons indexed once). A check whose seals the
process has not seen costs 16 ms (same run as 7.5). The server spends 8-12 ms a check
(the HTTP exchange, the thread hand-off, and the two cores shared with the load tool and
with other engineers' test runs).

Full runs on the 2-core development machine, shared with other engineers' test runs
(issue 19), before (ef0b1f5) and after (memo, credit index, clean-path reader), run
minutes apart; load averages (1 min) as printed, 1.3-6.7:

                   before                            after
closed, 1 worker   27.3/s, p95 1116 ms, 23.3 ms CPU  79.7/s, p95 354 ms, 10.5 ms CPU
                   (load 6.7)                        (load 4.3)
closed, 2 workers  64.0/s, p95 459 ms, 23.4 ms CPU   84.7/s, p95 464 ms, 11.3 ms CPU
                   (load 3.7)                        (load 5.1)
one client alone   p50 34.9, p95 65.7 ms (load 6.6)  p50 9.0, p95 18.0 ms (load 3.7)
open 20/s, 1 wkr   p50 83.7, p95 632, p99 1713 ms    p50 14.2, p95 30.0, p99 38.7 ms
                   (load 6.1)                        (load 1.7)
open 20/s, 2 wkrs  p50 43.6, p95 109, p99 185 ms     p50 32.9, p95 111, p99 193 ms
                   (load 2.3)                        (load 5.1)
open 5/s, 1 wkr    p50 30.5, p95 56.3 ms (load 4.5)  p50 19.8, p95 37.8 ms (load 1.3)
open loop: highest rate tried with p95 < 20 ms: none from 5/s, before and after.

An earlier full run after, at load 3.1-5.3: closed 71.5 (1 worker) and 72.4 checks/s (2
workers), 9.5 and 12.0 ms CPU; open loop at 20/s p95 111 ms (1 worker) and 244 ms (2).
A last run with the cyclic collector's thresholds raised after start-up (web/app.py:
7 collections a check at the defaults), at the heaviest load of all (5.4-7.6): closed
75.4 checks/s with 8.2 ms CPU (1 worker), 100.1 checks/s with 8.7 ms (2 workers); open
loop at 20/s p50 15.8, p95 41.0, p99 69.3 ms (1 worker; 9.4 ms CPU) and p95 100 ms (2).
p95 / 20 ms after: 1.5x in the open loop at 20 checks/s with one worker, 0.9x for one
client alone, 18-23x in the closed loop. What keeps the open loop's p95 above 20 ms
here is not the check's CPU (8-12 ms, under 25 % of one core at 20 checks/s) but
waiting for a core: at load averages of 2-6 on 2 cores a check that arrives finds both
busy, and at 5 checks/s each check also runs cold (16 ms of server CPU a check against
11.6 at 20/s). The second worker does not help on this machine (its runs were at the
higher loads); on a machine whose cores are the server's alone it is worth measuring
again. Left: validating the body (Pydantic with Python date validators, 1.1-1.3 ms) and
the rules' new condition layer (rules/line.py, not this benchmark's owner's) are the
largest parts of a memoised check.

A full run on the machine quiet (fba0710's tree, load average 0.8-1.4, nothing else
running): closed loop, 20 clients: 113.0 checks/s, p50 175, p95 203 ms, 8.6 ms server
CPU a check (1 worker); 194.6 checks/s, p95 148 ms, 8.0 ms (2 workers). One client
back to back: p50 8.9, p95 9.9, p99 11.1 ms (0.5x the goal). Open loop at 20 checks/s:
p50 14.7, p95 28.4, p99 37.7 ms (1.4x; 1 worker), p95 54.1 ms (2 workers); at 5
checks/s p50 19.5, p95 36.1 ms. That a slower pace is slower is the machine, not the
server: the same in-process check (validate + evaluate + verdict, one thread) takes p50
5.1 ms back to back and 8.0-8.6 ms (p95 11-32 ms) after a 200 ms pause, and one client
with a 200 ms pause between checks sees p50 14.2-15.5, p95 20-22 ms against 7.6 / 8.3
back to back. A check after idle runs on a cold core (caches, frequency): only less
work per check moves that.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

import httpx
import pytest
from fastapi.responses import JSONResponse

from benchmarks.served import served, tree_cpu_seconds
from carexport.demo import application_document, facts_document, generate_world
from carexport.domain.application import Application
from carexport.domain.facts import Facts
from carexport.rules.evaluate import evaluate

FULL = os.environ.get("CAREXPORT_BENCH") == "full"
DURATION_S = 60 if FULL else 10
REFERENCE_S = 20 if FULL else 5  # one client alone, after the 20
STEP_S = 20  # each step of the open-loop search for the highest rate (full mode only)
USERS = 20
# The open loop's pace: each of the 20 clients sends one 50-vehicle check a second on
# average (Poisson). A clerk's ERP checks an application when it is saved or submitted,
# every few seconds at the very most; 20 such clients sending every second are 20
# checks/s, 72,000 an hour, beyond a national peak (a year's used-car exports are some
# tens of thousands of 50-vehicle applications, each checked a few times).
PACE_PER_CLIENT = 1.0
# The open-loop search: total rates (checks/s over the 20 clients), low to high; it stops
# at the first whose p95 reaches the goal or that the server cannot keep up with.
SEARCH_TOTALS = (5, 10, 20, 40, 60, 80, 100, 130, 160, 200)
VEHICLES = 50
GOAL_P95_MS = 20.0
TODAY = date(2026, 11, 23)
WORLD_VEHICLES = 20_000  # enough near-new confirmed vehicles for one destination
LOCUSTFILE = Path(__file__).with_name("check_load_locustfile.py")
ENV = {"CAREXPORT_TODAY": TODAY.isoformat()}


class CheckBody(NamedTuple):
    body: Path  # the request body: {"application": …, "facts": …}
    expected: Path  # the verdict as the route writes it
    decision: str
    summary: dict[str, int]


def fifty_vehicle_check() -> dict[str, Any]:
    """A `/api/v1/check` body: 50 confirmed near-new vehicles for one destination.

    The vehicles are the demo world's clean ones (no injected problem on the vehicle,
    its application or its exporter) that needed a confirmation; the 50 filed closest
    together in time, so that all are near-new on the last one's submission date. One
    exporter files them all: the records name it as owner (a record is the registry's,
    not sealed)."""
    world = generate_world(vehicles=WORLD_VEHICLES, seed=2026, today=TODAY)
    # An injection names the unit it is about (a vehicle, an application or an
    # exporter) and, for a vehicle, also its application and exporter.
    injected = {i.vin or i.application_id or i.enterprise_uscc for i in world.injections} - {None}
    confirmed = [
        (app, line)
        for app in world.applications
        if app.application_id not in injected and app.enterprise_uscc not in injected
        for line in app.vehicles
        if line.confirmation_id is not None and line.vin not in injected
    ]
    destination = Counter(app.destination_country for app, _ in confirmed).most_common(1)[0][0]
    lines = sorted(
        ((a, v) for a, v in confirmed if a.destination_country == destination),
        key=lambda pair: pair[0].submitted_on,
    )
    assert len(lines) >= VEHICLES, f"only {len(lines)} confirmed vehicles for {destination}"
    start = min(
        range(len(lines) - VEHICLES + 1),
        key=lambda i: lines[i + VEHICLES - 1][0].submitted_on - lines[i][0].submitted_on,
    )
    chosen = lines[start : start + VEHICLES]
    exporter = Counter(a.enterprise_uscc for a, _ in chosen).most_common(1)[0][0]
    application = chosen[-1][0].model_copy(
        update={"enterprise_uscc": exporter, "vehicles": [v for _, v in chosen]}
    )
    vins = {v.vin for _, v in chosen}
    confirmation_ids = {v.confirmation_id for _, v in chosen}
    facts = facts_document(world.facts)
    facts["registrations"] = [
        {**r, "owner_uscc": exporter} for r in facts["registrations"] if r["vin"] in vins
    ]
    facts["inspections"] = [r for r in facts["inspections"] if r["vin"] in vins]
    facts["confirmations"] = [r for r in facts["confirmations"] if r["id"] in confirmation_ids]
    facts["export_filings"] = [
        r for r in facts["export_filings"] if r["enterprise_uscc"] == exporter
    ]
    return {"application": application_document(application), "facts": facts}


@pytest.fixture(scope="module")
def check_body(tmp_path_factory: pytest.TempPathFactory) -> CheckBody:
    document = fifty_vehicle_check()
    folder = tmp_path_factory.mktemp("check-load")
    body = folder / "body.json"
    body.write_bytes(json.dumps(document, ensure_ascii=False).encode())
    verdict = evaluate(
        Application.model_validate(document["application"]),
        Facts.model_validate(document["facts"]),
    ).as_json()
    expected = folder / "expected.json"
    expected.write_bytes(JSONResponse(verdict).body)
    confirmed = sum(1 for v in document["application"]["vehicles"] if v["confirmation_id"])
    assert len(document["application"]["vehicles"]) == VEHICLES == confirmed
    return CheckBody(body, expected, verdict["decision"], verdict["summary"])


class Server(NamedTuple):
    base: str
    pid: int
    workers: int


@pytest.fixture(scope="module", params=[1, 2], ids=["1-worker", "2-workers"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """uvicorn as `make serve` runs it (plus --workers 2 for the second figure); the
    check reads no database, so the store is an empty SQLite file."""
    workers: int = request.param
    folder = tmp_path_factory.mktemp("check-load-server")
    env = {
        **os.environ,
        **ENV,
        "CAREXPORT_DATABASE_URL": f"sqlite:///{folder / 'unused.sqlite3'}",
    }
    options = ["--workers", str(workers)] if workers > 1 else []
    with served(env, folder / "uvicorn.log", options) as running:
        yield Server(running.base, running.pid, workers)


def _percentile(sorted_ms: list[float], q: float) -> float:
    """Nearest rank, as benchmarks/bench_workflow.py counts it."""
    return sorted_ms[max(0, round(q * len(sorted_ms)) - 1)]


def _children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class Load(NamedTuple):
    users: int
    seconds: int
    rate: float | None  # checks/s over all users (open loop); None: closed loop
    sorted_ms: list[float]
    errors: list[str]
    server_cpu_s: float
    client_cpu_s: float

    @property
    def p95(self) -> float:
        return _percentile(self.sorted_ms, 0.95)


def _load(
    server: Server,
    check_body: CheckBody,
    users: int,
    seconds: int,
    out: Path,
    rate: float | None = None,
) -> Load:
    """locust's `users` clients posting the body for `seconds`: back to back (closed
    loop), or at `rate` checks/s in all, each user a Poisson process (open loop)."""
    timings = out / f"timings-{users}-{rate or 0:g}.json"
    env = {
        **os.environ,
        "CHECK_LOAD_BODY": str(check_body.body),
        "CHECK_LOAD_EXPECTED": str(check_body.expected),
        "CHECK_LOAD_TIMINGS": str(timings),
        "CHECK_LOAD_RATE": str(rate / users) if rate else "",
    }
    locust = [
        str(Path(sys.executable).with_name("locust")), "-f", str(LOCUSTFILE), "--headless",
        "--host", server.base, "--users", str(users), "--spawn-rate", str(users),
        "--run-time", f"{seconds}s", "--only-summary", "--loglevel", "WARNING",
        "--stop-timeout", "10",
    ]  # fmt: skip
    server_cpu = tree_cpu_seconds(server.pid)
    client_cpu = _children_cpu_seconds()
    run = subprocess.run(
        locust, env=env, capture_output=True, text=True, timeout=seconds + 120, check=False
    )
    client_cpu = _children_cpu_seconds() - client_cpu
    server_cpu = tree_cpu_seconds(server.pid) - server_cpu
    assert timings.exists(), f"locust wrote no timings: {run.stderr[-2000:]}"
    result = json.loads(timings.read_text())
    ms = sorted(float(t) for t in result["times_ms"])
    assert ms, run.stderr[-2000:]
    return Load(users, seconds, rate, ms, result["failures"], server_cpu, client_cpu)


def _report(load: Load, server: Server, check_body: CheckBody, body_bytes: int) -> float:
    n = len(load.sorted_ms)
    p50, p95, p99 = (_percentile(load.sorted_ms, q) for q in (0.50, 0.95, 0.99))
    averages = os.getloadavg()
    mode = (
        "closed loop (back to back)"
        if load.rate is None
        else f"open loop at {load.rate:g} checks/s due ({load.rate / load.users:g}/s per "
        "client, Poisson; times from the moment each was due)"
    )
    print(
        f"\n[bench] POST /api/v1/check, {VEHICLES} vehicles ({check_body.decision}, "
        f"{check_body.summary['pass']} vehicles pass, {body_bytes // 1000} kB body), "
        f"{load.users} client(s) {mode}, {load.seconds} s, uvicorn {server.workers} "
        f"worker(s): n={n} p50 {p50:.1f} ms, p95 {p95:.1f} ms, p99 {p99:.1f} ms, "
        f"{n / load.seconds:.1f} requests/s, errors {len(load.errors)}; "
        f"p95 / goal {p95 / GOAL_P95_MS:.1f}x the {GOAL_P95_MS:.0f} ms goal; "
        f"server CPU {load.server_cpu_s * 1000 / (n + len(load.errors)):.1f} ms/request, "
        f"locust CPU {load.client_cpu_s / load.seconds:.2f} cores (with its start-up); "
        f"load average {averages[0]:.1f} {averages[1]:.1f} {averages[2]:.1f} "
        f"on {os.cpu_count()} CPUs"
    )
    return p95


def test_check_under_load(server: Server, check_body: CheckBody, tmp_path: Path) -> None:
    body = check_body.body.read_bytes()
    expected = check_body.expected.read_bytes()
    # The route's answer is the in-process verdict; then warm every worker up (the first
    # check of a process builds the rule registry and the parameters).
    with httpx.Client(base_url=server.base, timeout=60) as client:
        for _ in range(10 * server.workers):
            answer = client.post(
                "/api/v1/check", content=body, headers={"Content-Type": "application/json"}
            )
            assert answer.status_code == 200, answer.text[:500]
            assert answer.content == expected
    load = _load(server, check_body, USERS, DURATION_S, tmp_path)
    _report(load, server, check_body, len(body))
    assert not load.errors, f"{len(load.errors)} errors, e.g. {load.errors[:3]}"
    if server.workers == 1:
        # The reference without queueing: one client, so the latency is one check's
        # service time; 20 clients wait about 20 of them (latency ≈ 20 / throughput).
        alone = _load(server, check_body, 1, REFERENCE_S, tmp_path)
        _report(alone, server, check_body, len(body))
        assert not alone.errors, f"{len(alone.errors)} errors, e.g. {alone.errors[:3]}"
    # The open loop at a pace an exporter's client could send.
    paced = _load(server, check_body, USERS, DURATION_S, tmp_path, USERS * PACE_PER_CLIENT)
    _report(paced, server, check_body, len(body))
    assert not paced.errors, f"{len(paced.errors)} errors, e.g. {paced.errors[:3]}"
    if FULL:
        _search(server, check_body, tmp_path, len(body))


def _search(server: Server, check_body: CheckBody, out: Path, body_bytes: int) -> None:
    """The highest total rate of SEARCH_TOTALS at which the open loop's p95 stays under
    the goal without errors; printed, not asserted (a shared machine). A server that
    falls behind shows it in p95 (each time counts from the moment the check was due)."""
    best: Load | None = None
    for total in SEARCH_TOTALS:
        step = _load(server, check_body, USERS, STEP_S, out, float(total))
        _report(step, server, check_body, body_bytes)
        if step.errors or step.p95 >= GOAL_P95_MS:
            break
        best = step
    found = (
        f"{best.rate:g} checks/s (p95 {best.p95:.1f} ms)"
        if best is not None and best.rate is not None
        else f"none of {SEARCH_TOTALS[0]} checks/s and up"
    )
    print(
        f"\n[bench] open loop, uvicorn {server.workers} worker(s): highest rate tried with "
        f"p95 < {GOAL_P95_MS:.0f} ms: {found}; load average "
        f"{' '.join(f'{a:.1f}' for a in os.getloadavg())}"
    )
