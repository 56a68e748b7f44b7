"""`carexport demo generate`: a synthetic world, written as files and/or loaded into the store.

Exit codes: 0 done (also when `--if-empty` skipped the load), 2 the store is not ready.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from carexport.db import UnitOfWork, default_engine
from carexport.demo import service
from carexport.demo.files import write_applications, write_facts, write_feeds
from carexport.demo.problems import SPECS
from carexport.demo.world import DemoWorld, generate_world
from carexport.errors import CarexportError
from carexport.feeds.store_facts import StoreNotReady
from carexport.migrations import is_migrated

# The store has no application service yet: loaded worlds keep their applications here.
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
        with err.status(f"生成 {vehicles} 辆车的演示数据 / generating {vehicles} vehicles …"):
            world = generate_world(vehicles=vehicles, seed=seed)
        _show(world)
        if out is not None:
            _write(world, out)
        if to_store:
            _load(world)
    except CarexportError as exc:
        err.print(f"error: {exc}", markup=False, soft_wrap=True)  # one line
        raise typer.Exit(2) from None


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
    feeds = write_feeds(world, out / "feeds")
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
    # The later feeds go in by the path `carexport import` takes, from JSON Lines files.
    with (
        tempfile.TemporaryDirectory(prefix="carexport-demo-") as scratch,
        err.status("载入网点、许可证、报关与注销 / loading outlets, licenses, customs …"),
        UnitOfWork(default_engine()) as uow,
    ):
        loaded = service.load_feed_files(uow=uow, files=write_feeds(world, Path(scratch)))
    err.print(
        "已载入 / loaded: " + ", ".join(f"{name} {count}" for name, count in loaded.items()),
        markup=False,
    )
    _write_applications(world, STORE_APPLICATIONS_DIR)
    err.print(
        f"申请另存为文件 / applications written to {STORE_APPLICATIONS_DIR} "
        "(the store has no application service yet)",
        markup=False,
    )


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
