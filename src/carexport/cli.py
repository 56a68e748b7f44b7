"""The Typer root: each feature adds its own commands here."""

from __future__ import annotations

import typer

from carexport.applications.cli import register as register_applications
from carexport.demo.cli import demo_app
from carexport.documents.cli import seal_app
from carexport.feeds.cli import register as register_feeds

app = typer.Typer(
    name="carexport",
    help="二手车出口许可 carexport: checker, seals and registry store (商贸函〔2025〕648号).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
register_applications(app)
app.add_typer(seal_app, name="seal")
register_feeds(app)
app.add_typer(demo_app, name="demo")


def main() -> None:
    app()
