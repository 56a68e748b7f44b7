"""The Polars backend of `carexport.rules.condition`: conditions as expressions over the
line frame (`carexport.rules.frame.LINE_SCHEMA` plus an `as_of` date per line).

Unlike the single check, a frame's lines may each have their own as_of, so the rules in
force and the dated parameters become expressions of an as_of column (`Env`; `as_of`
unless told otherwise, so that scenarios on different days can share one frame). The
dated lists' reductions are computed first, each once, as hidden columns (`_l0`, …) by
list arithmetic against as_of (no explode, no join); the conditions then read them.
Several scenarios compiled together (`compile_frames`) share a reduction wherever its
expression is the same (same as_of column, same parameter values).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, cast

import polars as pl

from carexport.rules.condition import LIST_OPS, Expr
from carexport.rules.parameters import ParameterTable
from carexport.rules.registry import Registry

AS_OF: Final = "as_of"
c = pl.col

_FAR: Final = 2**40  # days: a null validity bound is open-ended; Int64 arithmetic


@dataclass(frozen=True)
class Env:
    """The registry and parameters as expressions of each line's `as_of`."""

    registry: Registry
    parameters: ParameterTable
    # the column holding each line's as_of
    as_of: str = AS_OF

    def in_force(self, rule_id: str) -> pl.Expr:
        day = c(self.as_of)
        versions = [
            (day >= pl.lit(r.effective_from))
            & (pl.lit(True) if r.effective_to is None else day <= pl.lit(r.effective_to))
            for r in self.registry.all()
            if r.id == rule_id
        ]
        return pl.any_horizontal(versions) if versions else pl.lit(False)

    def param(self, name: str) -> pl.Expr:
        """The value in force on each line's as_of; null before the first or when repealed
        (a facts builder would raise ParameterNotInForce there: a rule never reads one)."""
        values = list(reversed(self.parameters.parameters[name].values))
        if not values:
            return pl.lit(None)
        first, *rest = values
        day = c(self.as_of)
        chain: Any = pl.when(day >= pl.lit(first.effective_from)).then(pl.lit(first.value))
        for value in rest:
            chain = chain.when(day >= pl.lit(value.effective_from)).then(pl.lit(value.value))
        return cast(pl.Expr, chain.otherwise(None))


def _field(name: str) -> pl.Expr:
    return pl.element().struct.field(name)


def _days(name: str, missing: int) -> pl.Expr:
    return _field(name).cast(pl.Int64).fill_null(missing)


def _day(expr: pl.Expr) -> pl.Expr:
    return expr.cast(pl.Int64)


def _valid(column: str, start: str, end: str, day: pl.Expr) -> pl.Expr:
    """Per element 1 where valid on `day` (a null bound is open-ended), else 0 (null when
    the day is null)."""
    starts = c(column).list.eval(_days(start, -_FAR)) - day
    ends = c(column).list.eval(_days(end, _FAR)) - day
    return starts.list.eval((pl.element() <= 0).cast(pl.Int32)) * ends.list.eval(
        (pl.element() >= 0).cast(pl.Int32)
    )


@dataclass
class Compiler:
    env: Env
    # the dated lists' reductions, each once: structural key → (hidden column, expression)
    lists: dict[Hashable, tuple[str, pl.Expr]] = field(default_factory=dict)
    # Shared by the compilers of several scenarios: the serialised expression of a
    # reduction → its hidden column. Two scenarios' reductions are one column only when
    # their expressions are equal, which the structural key alone does not say (the
    # as_of column and the parameter values differ between scenarios).
    shared: dict[str, str] | None = None

    def hidden(self) -> list[pl.Expr]:
        """The hidden columns the compiled conditions read: add them first."""
        return [expr.alias(name) for name, expr in self.lists.values()]

    def expr(self, e: Expr) -> pl.Expr:
        op, args = e.op, e.args
        if op in LIST_OPS:
            key = e.key()
            if key not in self.lists:
                self.lists[key] = self._hidden_column(self._list(e))
            return c(self.lists[key][0])
        x: list[Any] = [self.expr(a) if isinstance(a, Expr) else a for a in args]
        return cast(pl.Expr, self._node(op, x))

    def _hidden_column(self, expr: pl.Expr) -> tuple[str, pl.Expr]:
        if self.shared is None:
            return f"_l{len(self.lists)}", expr
        text = expr.meta.serialize(format="json")
        if text not in self.shared:
            self.shared[text] = f"_l{len(self.shared)}"
        return self.shared[text], expr

    def _node(self, op: str, x: list[Any]) -> Any:
        match op:
            case "col":
                return c(x[0])
            case "lit":
                return pl.lit(x[0])
            case "as_of":
                return c(self.env.as_of)
            case "param":
                return self.env.param(x[0])
            case "in_force":
                return self.env.in_force(x[0])
            case "and":
                return cast(pl.Expr, x[0] & x[1])
            case "or":
                return cast(pl.Expr, x[0] | x[1])
            case "not":
                return ~x[0]
            case "eq":
                return cast(pl.Expr, x[0] == x[1])
            case "ne":
                return cast(pl.Expr, x[0] != x[1])
            case "lt":
                return cast(pl.Expr, x[0] < x[1])
            case "le":
                return cast(pl.Expr, x[0] <= x[1])
            case "gt":
                return cast(pl.Expr, x[0] > x[1])
            case "ge":
                return cast(pl.Expr, x[0] >= x[1])
            case "is_null":
                return x[0].is_null()
            case "is_not_null":
                return x[0].is_not_null()
            case "ne_missing":
                return x[0].ne_missing(x[1])
            case "on":
                return x[0].fill_null(False)
            case "coalesce":
                return pl.coalesce(x)
            case "contains":
                return x[0].list.contains(x[1])
            case "len":
                return x[0].list.len()
            case "contains_all":
                return pl.all_horizontal([x[0].list.contains(pl.lit(i)) for i in x[1]])
            case "any_other_than":
                return x[0].list.eval(pl.element() != pl.lit(x[1])).list.any()
            case "is_in":
                return x[0].is_in(list(x[1]))
            case "days_between":
                return (x[1] - x[0]).dt.total_days()
            case "plus_days":
                return x[0] + pl.duration(days=x[1])
            case "add_years":
                return _add_years(x[0], x[1])
        raise ValueError(f"no Polars form for {op}")

    def _list(self, e: Expr) -> pl.Expr:
        op, args = e.op, e.args
        if op in ("exists_on_or_before", "latest_flag"):
            column, day_field = args[0], args[1]
            flag = args[2] if op == "latest_flag" else None
            day = _day(self.expr(args[-1]))
            # One integer per element: 2 x its day, + 1 when flagged. Elements dated after
            # `day` (code - 2 x day > 1) drop out; of the rest the largest code is the
            # latest day, and odd when an element of that day is flagged.
            flagged = _field(flag).fill_null(False).cast(pl.Int64) if flag else pl.lit(0)
            codes = c(column).list.eval(_days(day_field, _FAR) * 2 + flagged)
            latest = (codes - day * 2).list.eval(pl.element().filter(pl.element() <= 1)).list.max()
            if op == "exists_on_or_before":
                return latest.is_not_null()
            return (latest % 2 != 0).fill_null(False)
        if op == "count_in_force":
            column, start, end, day_expr, flag = args
            valid = _valid(column, start, end, _day(self.expr(day_expr)))
            if flag is not None:
                valid = valid * c(column).list.eval(_field(flag).fill_null(False).cast(pl.Int32))
            return valid.list.sum().fill_null(0)
        if op == "any_in_force_above":
            column, start, end, day_expr, value, bound, factor = args
            valid = _valid(column, start, end, _day(self.expr(day_expr)))
            values = c(column).list.eval(_field(value).cast(pl.Float64))
            bounds = c(column).list.eval(_field(bound).cast(pl.Float64))
            over = (values - bounds * self.expr(factor).cast(pl.Float64)).list.eval(
                (pl.element() > 0).fill_null(False).cast(pl.Int32)
            )
            return ((valid * over).list.sum() > 0).fill_null(False)
        raise ValueError(f"no Polars form for {op}")


def _add_years(day: pl.Expr, years: pl.Expr) -> pl.Expr:
    """domain.dates.add_years: the same day `years` later, 29 February → 28 February."""
    year = day.dt.year() + years
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    feb29 = (day.dt.month() == 2) & (day.dt.day() == 29) & ~leap
    return pl.date(year, day.dt.month(), pl.when(feb29).then(28).otherwise(day.dt.day()))


def compile_frame(exprs: Mapping[str, Expr], env: Env) -> tuple[list[pl.Expr], dict[str, pl.Expr]]:
    """(hidden columns to add first, name → expression reading them)."""
    compiler = Compiler(env)
    compiled = {name: compiler.expr(e) for name, e in exprs.items()}
    return compiler.hidden(), compiled


def compile_frames(
    exprs: Mapping[str, Expr], envs: Sequence[Env]
) -> tuple[list[pl.Expr], list[dict[str, pl.Expr]]]:
    """The same conditions under each env: (hidden columns to add first, each counted
    once however many envs read it; per env, name → expression reading them)."""
    shared: dict[str, str] = {}
    hidden: dict[str, pl.Expr] = {}
    compiled = []
    for env in envs:
        compiler = Compiler(env, shared=shared)
        compiled.append({name: compiler.expr(e) for name, e in exprs.items()})
        hidden.update((name, expr) for name, expr in compiler.lists.values())
    return [expr.alias(name) for name, expr in hidden.items()], compiled
