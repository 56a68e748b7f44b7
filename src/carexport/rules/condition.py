"""The condition of a vehicle rule, written once as data.

A condition says *whether* a rule fires on one vehicle line; what the finding then
carries (facts, parameters, message) is the rule module's facts builder. Each part's
module declares its rules' conditions next to its RULES (`CONDITIONS`, in reporting
order) in this small form, and two compilers turn the same tree into
Polars expressions over the line frame (`condition_polars`, the bulk evaluator and the
what-if) and into a Python function over one line's values (`condition_python`, the
single check). docs/decisions/0031-one-condition-definition.md says why.

The columns are those of `carexport.rules.frame.LINE_SCHEMA` (`carexport.rules.line`
computes them for one line). Nulls follow Polars exactly: three-valued (Kleene) logic,
a comparison with null is null, and `on(x)` is true only when x is true — a fact that
is absent proves nothing (RULES.md). tests/rules/test_condition.py holds the two
backends equal on random trees and rows.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any, Final, TypeAlias

if TYPE_CHECKING:
    from carexport.rules.context import Context, VehicleRow
    from carexport.rules.registry import Finding

# The dated lists' reductions; their arguments are (column, field names…, day, …).
LIST_OPS: Final = frozenset(
    {"exists_on_or_before", "latest_flag", "count_in_force", "any_in_force_above"}
)


class Expr:
    """One node: an operator and its arguments (nodes or plain constants)."""

    __slots__ = ("_key", "args", "op")

    def __init__(self, op: str, *args: Any) -> None:
        self.op = op
        self.args = args
        self._key: Hashable = None

    def key(self) -> Hashable:
        """Structural identity (equal trees, equal keys): `==` builds a node instead."""
        if self._key is None:  # trees are immutable; the compilers ask for keys often
            self._key = (self.op, *(_key(a) for a in self.args))
        return self._key

    def __repr__(self) -> str:
        return f"{self.op}({', '.join(map(repr, self.args))})"

    # Logic (Kleene, as Polars).
    def __and__(self, other: Expr | bool) -> Expr:
        return Expr("and", self, wrap(other))

    def __rand__(self, other: Expr | bool) -> Expr:
        return Expr("and", wrap(other), self)

    def __or__(self, other: Expr | bool) -> Expr:
        return Expr("or", self, wrap(other))

    def __ror__(self, other: Expr | bool) -> Expr:
        return Expr("or", wrap(other), self)

    def __invert__(self) -> Expr:
        return Expr("not", self)

    # Comparisons: null when either side is null.
    def __eq__(self, other: object) -> Expr:  # type: ignore[override]
        return Expr("eq", self, wrap(other))

    def __ne__(self, other: object) -> Expr:  # type: ignore[override]
        return Expr("ne", self, wrap(other))

    def __lt__(self, other: object) -> Expr:
        return Expr("lt", self, wrap(other))

    def __le__(self, other: object) -> Expr:
        return Expr("le", self, wrap(other))

    def __gt__(self, other: object) -> Expr:
        return Expr("gt", self, wrap(other))

    def __ge__(self, other: object) -> Expr:
        return Expr("ge", self, wrap(other))

    __hash__ = None  # type: ignore[assignment]  # `==` builds a node; use key()

    def is_null(self) -> Expr:
        return Expr("is_null", self)

    def is_not_null(self) -> Expr:
        return Expr("is_not_null", self)

    def ne_missing(self, other: Expr | object) -> Expr:
        """Differs, null counting as a value: null vs null is False, null vs x True."""
        return Expr("ne_missing", self, wrap(other))

    # Lists.
    def contains(self, item: Expr | object) -> Expr:
        """The list holds `item` (a null item: the list holds a null); null list: null."""
        return Expr("contains", self, wrap(item))

    def len(self) -> Expr:
        return Expr("len", self)

    def contains_all(self, items: Iterable[str]) -> Expr:
        """The list holds every one of the constant `items`."""
        values = tuple(items)
        if not values:
            raise ValueError("contains_all needs at least one item")
        return Expr("contains_all", self, values)

    def any_other_than(self, value: str) -> Expr:
        """Some non-null element differs from the constant `value`."""
        return Expr("any_other_than", self, value)

    def is_in(self, values: Iterable[str]) -> Expr:
        """The value is one of the constant `values`; null: null."""
        return Expr("is_in", self, tuple(values))

    # Dates.
    def plus_days(self, days: Expr | int) -> Expr:
        return Expr("plus_days", self, wrap(days))

    def add_years(self, years: Expr | int) -> Expr:
        """domain.dates.add_years: the same day `years` later, 29 February → 28."""
        return Expr("add_years", self, wrap(years))


def _key(arg: Any) -> Hashable:
    if isinstance(arg, Expr):
        return arg.key()
    # True == 1 and 1 == 1.0 as dict keys: the type keeps them apart.
    return (type(arg).__name__, arg)


def wrap(value: Expr | object) -> Expr:
    return value if isinstance(value, Expr) else Expr("lit", value)


def col(name: str) -> Expr:
    """A column of LINE_SCHEMA."""
    return Expr("col", name)


def lit(value: int | float | str | bool | date) -> Expr:
    return Expr("lit", value)


def param(name: str) -> Expr:
    """The parameter's value in force on the line's as_of; null before its first value
    or where it is repealed (a rule never reads one there)."""
    return Expr("param", name)


def in_force(rule_id: str) -> Expr:
    """Whether a version of the rule is in force on the line's as_of."""
    return Expr("in_force", rule_id)


AS_OF: Final = Expr("as_of")


def on(expr: Expr) -> Expr:
    """True only when `expr` is true: null means absent (RULES.md)."""
    return Expr("on", expr)


def coalesce(*exprs: Expr) -> Expr:
    return Expr("coalesce", *exprs)


def days_between(start: Expr, end: Expr) -> Expr:
    """`end - start` in days."""
    return Expr("days_between", start, end)


def exists_on_or_before(column: str, day_field: str, day: Expr) -> Expr:
    """A list element's `day_field` is on or before `day` (a null day: none is)."""
    return Expr("exists_on_or_before", column, day_field, day)


def latest_flag(column: str, day_field: str, flag_field: str, day: Expr) -> Expr:
    """Of the elements dated on or before `day`, one of the latest day has `flag_field`
    true (False when none is dated so)."""
    return Expr("latest_flag", column, day_field, flag_field, day)


def count_in_force(
    column: str, from_field: str, to_field: str, day: Expr, flag_field: str | None = None
) -> Expr:
    """How many elements are valid on `day` (a null bound is open-ended) and, with
    `flag_field`, have it true. 0 for a null list or day."""
    return Expr("count_in_force", column, from_field, to_field, day, flag_field)


def any_in_force_above(
    column: str,
    from_field: str,
    to_field: str,
    day: Expr,
    value_field: str,
    bound_field: str,
    factor: Expr,
) -> Expr:
    """An element valid on `day` has `value_field` > `bound_field` × `factor` (nulls:
    not above)."""
    return Expr(
        "any_in_force_above", column, from_field, to_field, day, value_field, bound_field, factor
    )


def fires(rule_id: str, condition: Expr) -> Expr:
    """A rule fires where a version of it is in force and its condition is true."""
    return on(in_force(rule_id) & condition)


def rule_expressions(conditions: Mapping[str, Expr]) -> dict[str, Expr]:
    return {rule_id: fires(rule_id, cond) for rule_id, cond in conditions.items()}


def walk(expr: Expr) -> Iterable[Expr]:
    """Every node, children before their parent."""
    for arg in expr.args:
        if isinstance(arg, Expr):
            yield from walk(arg)
    yield expr


def parameter_names(exprs: Iterable[Expr]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(n.args[0] for e in exprs for n in walk(e) if n.op == "param"))


def rule_names(exprs: Iterable[Expr]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(n.args[0] for e in exprs for n in walk(e) if n.op == "in_force"))


# What a rule's finding carries (facts, parameters, message arguments), built for a row
# on which its condition holds; each part's module declares one per rule (`FACTS`).
FactsBuilder: TypeAlias = "Callable[[VehicleRow, Context], Finding | None]"


class MissingCondition(LookupError):
    """A vehicle rule of the registry has no condition: the bulk evaluator and the single
    check would silently pass lines the law fails."""
