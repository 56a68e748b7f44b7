"""Property: a condition compiled to Python gives on every row what its Polars compilation
gives — nulls (Kleene logic), dates at the edges, Unicode text, empty and null lists,
dated parameters and rule versions included. The single check runs the Python form and
the bulk evaluator the Polars one, so this is what makes them one definition.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carexport.domain.application import Application
from carexport.domain.facts import Facts
from carexport.rules.catalogue import default_registry
from carexport.rules.condition import (
    AS_OF,
    Expr,
    MissingCondition,
    any_in_force_above,
    coalesce,
    col,
    count_in_force,
    days_between,
    exists_on_or_before,
    in_force,
    latest_flag,
    lit,
    on,
    param,
    parameter_names,
    rule_expressions,
    rule_names,
)
from carexport.rules.condition_polars import Env, compile_frame
from carexport.rules.condition_python import RowConditions, compile_values, constants
from carexport.rules.evaluate import VEHICLE_CONDITIONS, VEHICLE_FACTS, evaluate
from carexport.rules.parameters import Parameter, ParameterTable, ParameterValue
from carexport.rules.registry import Registry, Rule, Scope, Section, Severity

# Generated source that Python warns about is source we did not mean to write.
pytestmark = pytest.mark.filterwarnings("error::SyntaxWarning")

EVENT = pl.Struct({"day": pl.Date, "flag": pl.Boolean})
ITEM = pl.Struct(
    {
        "valid_from": pl.Date,
        "valid_to": pl.Date,
        "value": pl.Int64,
        "bound": pl.Int64,
        "ok": pl.Boolean,
    }
)
SCHEMA: dict[str, pl.DataType] = {
    "b1": pl.Boolean(),
    "b2": pl.Boolean(),
    "i1": pl.Int64(),
    "i2": pl.Int32(),
    "years": pl.Int32(),
    "d1": pl.Date(),
    "d2": pl.Date(),
    "s1": pl.String(),
    "s2": pl.String(),
    "ls": pl.List(pl.String),
    "events": pl.List(EVENT),
    "items": pl.List(ITEM),
    "as_of": pl.Date(),
}

EDGES = [
    date(2024, 2, 29),
    date(2024, 3, 1),
    date(2025, 2, 28),
    date(2025, 12, 31),
    date(2026, 1, 1),
    date(2026, 1, 2),
    date(2027, 6, 1),
]
TEXTS = ["", "a", "A", "é", "e\u0301", "京", "ß", "SS", "A "]

days = st.one_of(st.sampled_from(EDGES), st.dates(date(2020, 1, 1), date(2030, 12, 31)))
maybe_days = st.one_of(st.none(), days)
texts = st.one_of(st.none(), st.sampled_from(TEXTS), st.text(max_size=3))


def _rule(rule_id: str, start: date, end: date | None = None) -> Rule:
    return Rule(
        id=rule_id,
        section=Section.BANNED,
        scope=Scope.VEHICLE,
        severity=Severity.FAIL,
        effective_from=start,
        effective_to=end,
        zh="",
        en="",
    )


REGISTRY = Registry(
    [
        _rule("T.A", date(2026, 1, 1)),
        _rule("T.B", date(2024, 3, 1), date(2025, 12, 31)),
        _rule("T.B", date(2027, 1, 1)),
    ]
)


def _param(name: str, unit: str, *values: tuple[date, Any]) -> Parameter:
    return Parameter(
        name=name,
        description=name,
        unit=unit,
        values=tuple(ParameterValue(day, value, "test") for day, value in values),
    )


PARAMETERS = ParameterTable(
    {
        "t.days": _param(
            "t.days", "days", (date(2024, 1, 1), 180), (date(2026, 1, 1), 365), (EDGES[-1], None)
        ),
        "t.ratio": _param("t.ratio", "ratio", (date(2025, 1, 1), 1.5)),
        "t.day": _param("t.day", "date", (date(2025, 1, 1), date(2025, 12, 31))),
    }
)


@st.composite
def rows(draw: st.DrawFn) -> dict[str, Any]:
    def maybe(strategy: st.SearchStrategy[Any]) -> Any:
        return draw(st.one_of(st.none(), strategy))

    as_of = draw(days)
    # Dates on, just before and just after as_of, where the reductions' edges are.
    around = st.sampled_from([0, 0, -1, 1]).map(lambda n: as_of + timedelta(days=n))
    near = st.one_of(around, around, maybe_days)
    flag = st.one_of(st.booleans(), st.booleans(), st.none())
    event = st.fixed_dictionaries({"day": near, "flag": flag})
    item = st.fixed_dictionaries(
        {
            "valid_from": near,
            "valid_to": near,
            "value": st.one_of(st.none(), st.integers(0, 40)),
            "bound": st.one_of(st.none(), st.integers(0, 30)),
            "ok": st.one_of(st.none(), st.booleans()),
        }
    )
    return {
        "b1": maybe(st.booleans()),
        "b2": maybe(st.booleans()),
        "i1": maybe(st.integers(-400, 400)),
        "i2": maybe(st.sampled_from([0, 1, 2, 179, 180, 181, 365])),
        "years": maybe(st.integers(0, 30)),
        "d1": draw(near),
        "d2": draw(near),
        "s1": draw(texts),
        "s2": draw(texts),
        "ls": maybe(st.lists(texts, max_size=3)),
        "events": maybe(st.lists(event, max_size=3)),
        "items": maybe(st.lists(item, max_size=3)),
        "as_of": as_of,
    }


def _pick(draw: st.DrawFn, options: list[Callable[[], Expr]]) -> Expr:
    """One of `options`, built only when chosen (a subtree draws as it is built)."""
    chosen: Expr = draw(st.sampled_from(options))()
    return chosen


@st.composite
def exprs(draw: st.DrawFn, kind: str, depth: int = 3) -> Expr:
    """A random tree of `kind` (bool, int, date, text, texts)."""
    leaf = depth <= 0 or draw(st.integers(0, 3)) == 0
    sub = depth - 1

    def of(k: str) -> Expr:
        return draw(exprs(k, sub))

    def day() -> Expr:
        return draw(st.sampled_from([AS_OF, AS_OF, col("d1")]))

    if kind == "texts":
        return col("ls")
    if kind == "text":
        if leaf:
            return _pick(
                draw,
                [lambda: col("s1"), lambda: col("s2"), lambda: lit(draw(st.sampled_from(TEXTS)))],
            )
        return coalesce(of("text"), of("text"))
    if kind == "int":
        if leaf:
            return _pick(
                draw,
                [
                    lambda: col("i1"),
                    lambda: col("i2"),
                    lambda: lit(draw(st.integers(-3, 400))),
                    lambda: param("t.days"),
                ],
            )
        return _pick(
            draw,
            [
                lambda: of("texts").len(),
                lambda: days_between(of("date"), of("date")),
                lambda: count_in_force("items", "valid_from", "valid_to", day()),
                lambda: count_in_force("items", "valid_from", "valid_to", day(), "ok"),
                lambda: coalesce(of("int"), of("int")),
            ],
        )
    if kind == "date":
        if leaf:
            return _pick(
                draw,
                [
                    lambda: col("d1"),
                    lambda: col("d2"),
                    lambda: lit(draw(days)),
                    lambda: AS_OF,
                    lambda: param("t.day"),
                ],
            )
        return _pick(
            draw,
            [
                lambda: of("date").plus_days(
                    draw(st.sampled_from([col("i1"), col("i2"), param("t.days"), lit(-1)]))
                ),
                lambda: of("date").add_years(
                    draw(st.sampled_from([col("years"), lit(0), lit(1), lit(4), lit(30)]))
                ),
                lambda: coalesce(of("date"), of("date")),
            ],
        )
    assert kind in ("bool", "reduction")
    if leaf and kind == "bool":
        return _pick(
            draw,
            [
                lambda: col("b1"),
                lambda: col("b2"),
                lambda: lit(draw(st.booleans())),
                lambda: in_force(draw(st.sampled_from(["T.A", "T.B", "T.UNKNOWN"]))),
            ],
        )

    def comparison() -> Expr:
        compared = draw(st.sampled_from(["int", "int", "date", "date", "text"]))
        a, b = of(compared), of(compared)
        return _pick(
            draw, [lambda: a == b, lambda: a != b, lambda: a < b, lambda: a <= b, lambda: a > b]
        )

    def reduction() -> Expr:
        return _pick(
            draw,
            [
                lambda: exists_on_or_before("events", "day", day()),
                lambda: latest_flag("events", "day", "flag", day()),
                lambda: any_in_force_above(
                    "items", "valid_from", "valid_to", day(), "value", "bound", param("t.ratio")
                ),
                lambda: count_in_force("items", "valid_from", "valid_to", day(), "ok") > 0,
            ],
        )

    if kind == "reduction":  # the dated lists' edges need more draws than the rest
        wrapped: Expr = draw(st.sampled_from([lambda e: e, on, lambda e: ~e]))(reduction())
        return wrapped
    return _pick(
        draw,
        [
            lambda: on(of("bool")),
            lambda: of("bool") & of("bool"),
            lambda: of("bool") & of("bool") & of("bool"),
            lambda: of("bool") | of("bool"),
            lambda: ~of("bool"),
            comparison,
            comparison,
            comparison,
            lambda: of(draw(st.sampled_from(["bool", "int", "date", "text"]))).is_null(),
            lambda: of("text").is_not_null(),
            lambda: of("text").ne_missing(of("text")),
            lambda: of("texts").contains(of("text")),
            lambda: of("text").is_in(draw(st.lists(st.sampled_from(TEXTS), max_size=3))),
            lambda: of("texts").contains_all(draw(st.lists(st.sampled_from(TEXTS), min_size=1))),
            lambda: of("texts").any_other_than(draw(st.sampled_from(TEXTS))),
            *[reduction] * 4,
        ],
    )


def _polars(named: dict[str, Expr], data: list[dict[str, Any]]) -> pl.DataFrame:
    hidden, compiled = compile_frame(named, Env(REGISTRY, PARAMETERS))
    frame = pl.DataFrame(data, schema=SCHEMA).lazy()
    return frame.with_columns(hidden).with_columns(**compiled).select(list(compiled)).collect()


def _python(expr: Expr, row: dict[str, Any]) -> Any:
    in_force_, params = constants(
        rule_names([expr]), parameter_names([expr]), REGISTRY, PARAMETERS, row["as_of"]
    )
    return compile_values([expr], in_force_, params)(row, row["as_of"])[0]


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    kind=st.sampled_from(["bool", "bool", "bool", "int", "date", "reduction"]),
    data=st.data(),
    table=st.lists(rows(), min_size=1, max_size=8),
)
def test_python_gives_what_polars_gives_on_every_row(
    kind: str, data: st.DataObject, table: list[dict[str, Any]]
) -> None:
    expr = data.draw(exprs(kind))
    expected = _polars({"e": expr}, table)["e"].to_list()
    assert [_python(expr, row) for row in table] == expected, expr


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), table=st.lists(rows(), min_size=1, max_size=8))
def test_the_fired_rules_are_those_polars_fires(
    data: st.DataObject, table: list[dict[str, Any]]
) -> None:
    # Three rules over shared parts, as the real ones share gates.
    shared = data.draw(exprs("bool", 2))
    conditions = {
        rule_id: shared & data.draw(exprs("bool", 2)) for rule_id in ("T.A", "T.B", "T.UNKNOWN")
    }
    frame = _polars(rule_expressions(conditions), table)
    compiled = RowConditions(conditions)
    for row, flags in zip(table, frame.iter_rows(named=True), strict=True):
        fired = compiled.fired(REGISTRY, PARAMETERS, row["as_of"])(row)
        assert fired == [rule_id for rule_id, on_ in flags.items() if on_]


@pytest.mark.parametrize(
    ("left", "right", "conjunction", "disjunction"),
    [
        (None, False, False, None),
        (None, True, None, True),
        (None, None, None, None),
        (True, False, False, True),
    ],
)
def test_null_follows_kleene_logic(
    left: bool | None, right: bool | None, conjunction: bool | None, disjunction: bool | None
) -> None:
    row = {**dict.fromkeys(SCHEMA), "b1": left, "b2": right, "as_of": EDGES[0]}
    assert _python(col("b1") & col("b2"), row) is conjunction
    assert _python(col("b1") | col("b2"), row) is disjunction
    assert _polars({"a": col("b1") & col("b2")}, [row])["a"].to_list() == [conjunction]


def test_a_parameter_not_in_force_is_null_and_a_rule_not_in_force_is_false() -> None:
    row = {**dict.fromkeys(SCHEMA), "i1": 1, "as_of": EDGES[-1]}  # t.days repealed
    assert _python(col("i1") < param("t.days"), row) is None
    assert _python(on(col("i1") < param("t.days")), row) is False
    before: dict[str, Any] = {**row, "as_of": date(2026, 6, 1)}
    assert _python(in_force("T.B"), before) is False
    assert _python(in_force("T.B"), {**row, "as_of": date(2027, 1, 1)}) is True
    assert _python(AS_OF.plus_days(1), before) == date(2026, 6, 2)
    assert _python(lit(date(2024, 2, 29)).add_years(1), before) == date(2025, 2, 28)
    assert _python(days_between(lit(date(2024, 2, 28)), AS_OF), before) == 824


def test_every_vehicle_rule_has_one_condition_and_one_facts_builder() -> None:
    vehicle = {r.id for r in default_registry().all() if r.scope == Scope.VEHICLE}
    assert set(VEHICLE_CONDITIONS) == vehicle
    assert list(VEHICLE_FACTS) == list(VEHICLE_CONDITIONS)  # one reporting order


def test_the_single_check_refuses_a_vehicle_rule_without_a_condition() -> None:
    new_rule = replace(_rule("N180.SOMETHING_NEW", date(2026, 1, 1)), section=Section.NEAR_NEW)
    application = Application.model_validate(
        {
            "application_id": "A-1",
            "enterprise_uscc": "91120116MA06XJ8K4G",
            "issuing_agency": "天津市商务局",
            "destination_country": "KZ",
            "submitted_on": "2026-03-01",
            "vehicles": [],
        }
    )
    with pytest.raises(MissingCondition, match=r"N180\.SOMETHING_NEW"):
        evaluate(application, Facts(), registry=Registry([new_rule]))
