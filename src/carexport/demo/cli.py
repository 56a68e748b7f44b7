"""`carexport demo generate`: a synthetic world, written as files and/or loaded into the store.

Loaded, the world also becomes the workflow's: its organisations, the demo users of
every role (README, "Demo users / 演示账号") and a year of applications in every status.
The world's today is the workflow's (`CAREXPORT_TODAY`, else the date in Asia/Shanghai),
so the queues are as fresh as the day the demo is served.

Exit codes: 0 done (also when `--if-empty` skipped the load), 2 the store is not ready.
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from carexport import clock
from carexport.db import UnitOfWork, default_engine
from carexport.demo import service
from carexport.demo.files import write_applications, write_facts, write_feeds
from carexport.demo.people import People, choose_people
from carexport.demo.problems import SPECS
from carexport.demo.tables import DEMO_TODAY, LAW_2026
from carexport.demo.workflow import feeds_without
from carexport.demo.world import DemoWorld, generate_world
from carexport.documents import keys
from carexport.errors import CarexportError
from carexport.feeds.store_facts import StoreNotReady
from carexport.migrations import is_migrated

# A loaded world's applications also as files, for `carexport check` by hand.
STORE_APPLICATIONS_DIR = Path("var/demo/applications")

err = Console(stderr=True)

demo_app = typer.Typer(
    name="demo",
    help="演示数据 / a synthetic demo world.",
    no_args_is_help=True,
    add_completion=False,
)


@demo_app.command("generate")
def generate(
    vehicles: Annotated[
        int, typer.Option("--vehicles", min=0, help="车辆数 / number of vehicles")
    ] = 20000,
    seed: Annotated[int, typer.Option("--seed", help="随机种子 / same seed, same world")] = 2026,
    if_empty: Annotated[
        bool,
        typer.Option(
            "--if-empty", help="库中已有登记记录时不再载入 / skip loading when the store has data"
        ),
    ] = False,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="写出 DIR/facts.json 与 DIR/applications/*.json（无需数据库） / write files",
        ),
    ] = None,
    load: Annotated[
        bool | None,
        typer.Option(
            "--load/--no-load",
            help="载入数据库；默认仅在未给 --out 时载入 / load the store (default: without --out)",
        ),
    ] = None,
) -> None:
    """生成演示数据 / Generate a synthetic world of exporters, vehicles and applications."""
    to_store = load if load is not None else out is None
    try:
        # Check the store before spending time on generation.
        if to_store and _store_has_data() and if_empty:
            err.print(
                "库中已有登记记录，跳过演示数据 / the store already holds registrations: skipped"
            )
            to_store = False
            if out is None:
                return
        if to_store:
            # The load stores signing keys half-way: refuse before anything is written.
            keys.require_key_encryption_key()
        with err.status(f"生成 {vehicles} 辆车的演示数据 / generating {vehicles} vehicles …"):
            world = generate_world(vehicles=vehicles, seed=seed, today=demo_today())
        _show(world)
        if out is not None:
            _write(world, out)
        if to_store:
            _load(world)
    except CarexportError as exc:
        err.print(f"error: {exc}", markup=False, soft_wrap=True)  # one line
        raise typer.Exit(2) from None


def demo_today() -> date:
    """The workflow's today (CAREXPORT_TODAY or the date in Asia/Shanghai); the fixed
    DEMO_TODAY if that is before the 2026 regime, which the world must show."""
    today = clock.today()
    return today if today > LAW_2026 else DEMO_TODAY


def _store_has_data() -> bool:
    """Whether the store holds registrations; raises StoreNotReady without a schema."""
    engine = default_engine()
    if not is_migrated(engine):
        raise StoreNotReady(engine.url.render_as_string(hide_password=True))
    with UnitOfWork(engine) as uow:
        return service.store_holds_registrations(uow=uow)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
    )


def _write(world: DemoWorld, out: Path) -> None:
    facts_path = write_facts(world, out)
    _write_applications(world, out / "applications")
    feeds = write_feeds(world.feeds, out / "feeds")
    err.print(f"已写出 / written: {facts_path}, {out / 'applications'}", markup=False)
    err.print(
        "数据源文件 / feed files (carexport import KIND FILE): "
        + ", ".join(str(path) for path in feeds.values()),
        markup=False,
    )


def _write_applications(world: DemoWorld, directory: Path) -> None:
    with _progress() as progress:
        task = progress.add_task("写出申请 / applications", total=len(world.applications))
        write_applications(world, directory, lambda: progress.advance(task))


def _load(world: DemoWorld) -> None:
    with (
        err.status("载入数据库 / loading the store …"),
        UnitOfWork(default_engine()) as uow,
    ):
        counts = service.load_world(uow=uow, world=world)
    err.print(
        "已载入 / loaded: " + ", ".join(f"{name} {count}" for name, count in counts.items()),
        markup=False,
    )
    people = choose_people(world, today=world.today)
    # The licenses the workflow issues itself leave the feed (feeds_without).
    feeds = feeds_without(world, filing=people.filing, since=people.since)
    # The later feeds go in by the path `carexport import` takes, from JSON Lines files.
    with (
        tempfile.TemporaryDirectory(prefix="carexport-demo-") as scratch,
        err.status("载入网点、许可证、报关与注销 / loading outlets, licenses, customs …"),
        UnitOfWork(default_engine()) as uow,
    ):
        loaded = service.load_feed_files(uow=uow, files=write_feeds(feeds, Path(scratch)))
    err.print(
        "已载入 / loaded: " + ", ".join(f"{name} {count}" for name, count in loaded.items()),
        markup=False,
    )
    with (
        err.status("机构、演示账号与一年的申请 / organisations, demo users, a year of filing …"),
        UnitOfWork(default_engine()) as uow,
    ):
        actions = service.load_workflow(
            uow=uow, world=world, people=people, licenses=feeds["licenses"], today=world.today
        )
    err.print(
        "业务流程 / workflow: "
        + (", ".join(f"{name} {count}" for name, count in sorted(actions.items())) or "—"),
        markup=False,
    )
    _show_users(people)
    _write_applications(world, STORE_APPLICATIONS_DIR)
    err.print(
        f"申请另存为文件 / applications also written to {STORE_APPLICATIONS_DIR}", markup=False
    )


def _show_users(people: People) -> None:
    table = Table(title="演示账号（仅供演示）/ demo users (DEMO ONLY)")
    for column in ("username", "role", "org", "password"):
        table.add_column(column)
    for user in people.users:
        table.add_row(
            user.username,
            user.role.value,
            "—" if user.org is None else user.org.name,
            user.password,
        )
    err.print(table)


def _show(world: DemoWorld) -> None:
    facts = world.facts
    err.print(
        f"种子 / seed {world.seed}: {len(facts.registrations)} registrations, "
        f"{len(world.applications)} applications, {len(facts.enterprises)} enterprises, "
        f"{len(facts.confirmations)} sealed confirmations",
        markup=False,
    )
    feeds = world.feeds
    err.print(
        f"许可证之后 / after the license: {len(feeds['outlets'])} outlets, "
        f"{len(feeds['licenses'])} licenses, {len(feeds['customs'])} customs declarations, "
        f"{len(feeds['deregistrations'])} deregistrations; "
        + ", ".join(f"{name} {count}" for name, count in sorted(world.outcomes.items())),
        markup=False,
    )
    table = Table(title="注入的问题 / injected problems (synthetic rates)")
    table.add_column("problem")
    table.add_column("unit")
    table.add_column("count", justify="right")
    table.add_column("rule")
    for problem, count in world.tally.items():
        spec = SPECS[problem]
        table.add_row(problem.value, spec.unit.value, str(count), ", ".join(spec.rules) or "—")
    err.print(table)
