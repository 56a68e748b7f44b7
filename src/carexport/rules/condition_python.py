"""The Python backend of `carexport.rules.condition`: conditions compiled to one function
over one line's values (a mapping of LINE_SCHEMA columns, `carexport.rules.line`).

For one single check `as_of` is one day, so which rules are in force and every
parameter's value are constants: they are folded into the tree before code is generated
(a rule not in force disappears, `n180.days` becomes the literal 180). The folded trees
become Python source — one straight-line function, subexpressions that several rules
share computed once into locals, nulls as `None` with Polars' Kleene logic spelt out
where an operand can be null — compiled once per distinct set of constants (one per
period of law, not per day) and cached. The line's `as_of` stays an argument.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any, Final
from weakref import WeakKeyDictionary

from carexport.domain.dates import add_years
from carexport.rules.condition import Expr, parameter_names, rule_expressions, rule_names, walk
from carexport.rules.parameters import ParameterTable
from carexport.rules.registry import Registry

Values = Mapping[str, Any]
Fired = Callable[[Values], list[str]]

# --- the dated lists' reductions, as `condition` defines them ------------------------


def _exists_on_or_before(items: list[Any] | None, field: str, day: date | None) -> bool:
    if not items or day is None:
        return False
    return any(e[field] is not None and e[field] <= day for e in items)


def _latest_flag(items: list[Any] | None, field: str, flag: str, day: date | None) -> bool:
    latest: date | None = None
    hit = False
    for e in items or ():
        d = e[field]
        if d is None or day is None or d > day:
            continue
        if latest is None or d > latest:
            latest, hit = d, e[flag] is True
        elif d == latest and e[flag] is True:
            hit = True
    return hit


def _valid_on(e: Mapping[str, Any], start: str, end: str, day: date) -> bool:
    return (e[start] is None or e[start] <= day) and (e[end] is None or day <= e[end])


def _count_in_force(
    items: list[Any] | None, start: str, end: str, day: date | None, flag: str | None
) -> int:
    if not items or day is None:
        return 0
    return sum(
        1 for e in items if _valid_on(e, start, end, day) and (flag is None or e[flag] is True)
    )


def _any_in_force_above(
    items: list[Any] | None,
    start: str,
    end: str,
    day: date | None,
    value: str,
    bound: str,
    factor: float | None,
) -> bool:
    if not items or day is None or factor is None:
        return False
    # As Polars computes it: value - bound × factor > 0 in float64.
    return any(
        _valid_on(e, start, end, day)
        and e[value] is not None
        and e[bound] is not None
        and float(e[value]) - float(e[bound]) * factor > 0
        for e in items
    )


def _any_other_than(items: list[Any], value: Any) -> bool:
    return any(e is not None and e != value for e in items)


_HELPERS: Final[dict[str, Any]] = {
    "_exists_on_or_before": _exists_on_or_before,
    "_latest_flag": _latest_flag,
    "_count_in_force": _count_in_force,
    "_any_in_force_above": _any_in_force_above,
    "_any_other_than": _any_other_than,
    "_add_years": add_years,
    "_timedelta": timedelta,
}

# --- folding the constants of one check ----------------------------------------------

_COMPARE: Final = {"eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}
_NULL_IN_NULL_OUT: Final = {*_COMPARE, "plus_days", "add_years", "days_between"}


def _is_lit(e: Any, *values: Any) -> bool:
    return (
        isinstance(e, Expr)
        and e.op == "lit"
        and any(e.args[0] is v or (type(e.args[0]) is type(v) and e.args[0] == v) for v in values)
    )


def fold(expr: Expr, in_force: Mapping[str, bool], params: Mapping[str, Any]) -> Expr:
    """`expr` with rules in force and parameters as literals, simplified."""
    if expr.op == "param":
        return Expr("lit", params[expr.args[0]])
    if expr.op == "in_force":
        return Expr("lit", in_force[expr.args[0]])
    args = [fold(a, in_force, params) if isinstance(a, Expr) else a for a in expr.args]
    op = expr.op
    if op in ("and", "or"):
        absorbing, neutral = (False, True) if op == "and" else (True, False)
        kept = []
        for a in args:
            if _is_lit(a, absorbing):
                return Expr("lit", absorbing)
            if not _is_lit(a, neutral):
                kept.append(a)
        if not kept:
            return Expr("lit", neutral)
        return kept[0] if len(kept) == 1 else Expr(op, *kept)
    if op == "not" and _is_lit(args[0], True, False, None):
        value = args[0].args[0]
        return Expr("lit", None if value is None else not value)
    if op in ("is_null", "is_not_null") and args[0].op == "lit":
        return Expr("lit", (args[0].args[0] is None) == (op == "is_null"))
    if op == "on" and isinstance(args[0], Expr) and args[0].op == "lit":
        return Expr("lit", args[0].args[0] is True)
    if op in _NULL_IN_NULL_OUT and any(_is_lit(a, None) for a in args):
        return Expr("lit", None)
    if op == "any_in_force_above" and _is_lit(args[-1], None):
        return Expr("lit", False)
    return Expr(op, *args)


# --- code generation --------------------------------------------------------------------


class _Source:
    """Python source for folded trees; nodes used more than once are computed once."""

    def __init__(self, roots: Sequence[Expr]) -> None:
        self.uses: Counter[Hashable] = Counter(n.key() for r in roots for n in walk(r))
        self.names: dict[Hashable, tuple[str, bool]] = {}
        self.body: list[str] = []
        self.namespace: dict[str, Any] = dict(_HELPERS)
        self.columns: dict[str, str] = {}
        self.count = 0

    def fresh(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}{self.count}"

    def constant(self, value: Any) -> str:
        if value is None or isinstance(value, bool | int | str):
            return repr(value)
        name = self.fresh("k")
        self.namespace[name] = value
        return name

    def code(self, e: Expr) -> tuple[str, bool]:
        """(Python expression, whether it can be None)."""
        if e.op in ("lit", "as_of"):
            return self._build(e)
        if e.op == "col":
            name = e.args[0]
            if name not in self.columns:
                self.columns[name] = self.fresh("c")
            return self.columns[name], True
        key = e.key()
        if key in self.names:
            return self.names[key]
        text, nullable = self._build(e)
        if self.uses[key] > 1:
            local = self.fresh("s")
            self.body.append(f"    {local} = {text}")
            self.names[key] = (local, nullable)
            return local, nullable
        return text, nullable

    def _flat(self, e: Expr, op: str) -> list[Expr]:
        # a & b & c is and(and(a, b), c): one Kleene chain, unless a part is shared.
        out: list[Expr] = []
        for a in e.args:
            if a.op == op and self.uses[a.key()] == 1:
                out += self._flat(a, op)
            else:
                out.append(a)
        return out

    def _build(self, e: Expr) -> tuple[str, bool]:
        op, args = e.op, e.args
        if op == "lit":
            return self.constant(args[0]), args[0] is None
        if op == "as_of":
            return "as_of", False
        if op in ("and", "or"):
            decisive, other = ("False", "True") if op == "and" else ("True", "False")
            codes = [self.code(a) for a in self._flat(e, op)]
            if not any(nullable for _, nullable in codes):
                joiner = " and " if op == "and" else " or "
                return "(" + joiner.join(text for text, _ in codes) + ")", False
            parts, temps = [], []
            for text, nullable in codes:
                if nullable:
                    t = self.fresh("t")
                    temps.append(t)
                    parts.append(f"{decisive} if ({t} := {text}) is {decisive} else")
                else:
                    parts.append(f"{decisive} if {'not ' if op == 'and' else ''}{text} else")
            unknown = " or ".join(f"{t} is None" for t in temps)
            return f"({' '.join(parts)} None if {unknown} else {other})", True
        if op == "not":
            text, nullable = self.code(args[0])
            if not nullable:
                return f"(not {text})", False
            t = self.fresh("t")
            return f"(None if ({t} := {text}) is None else not {t})", True
        if op in _COMPARE:
            return self._strict(args, lambda x, y: f"{x} {_COMPARE[op]} {y}")
        if op in ("is_null", "is_not_null"):
            text, nullable = self.code(args[0])
            if not nullable:  # a literal or a count: never null
                return repr(op == "is_not_null"), False
            return f"({text} is {'not ' if op == 'is_not_null' else ''}None)", False
        if op == "ne_missing":
            return f"({self.code(args[0])[0]} != {self.code(args[1])[0]})", False
        if op == "on":
            text, nullable = self.code(args[0])
            return (f"({text} is True)" if nullable else text), False
        if op == "coalesce":
            codes = [self.code(a) for a in args]
            text, nullable = codes[-1]
            for first, first_nullable in reversed(codes[:-1]):
                if not first_nullable:
                    text, nullable = first, False
                    continue
                t = self.fresh("t")
                text = f"({t} if ({t} := {first}) is not None else {text})"
            return text, nullable
        if op == "contains":
            item = self.code(args[1])[0]
            return self._strict(args[:1], lambda x: f"{item} in {x}")
        if op == "len":
            return self._strict(args, lambda x: f"len({x})")
        if op == "contains_all":
            items = self.constant(frozenset(args[1]))
            return self._strict(args[:1], lambda x: f"{items}.issubset({x})")
        if op == "any_other_than":
            value = self.constant(args[1])
            return self._strict(args[:1], lambda x: f"_any_other_than({x}, {value})")
        if op == "is_in":
            values = self.constant(frozenset(args[1]))
            return self._strict(args[:1], lambda x: f"{x} in {values}")
        if op == "days_between":
            return self._strict(args, lambda x, y: f"({y} - {x}).days")
        if op == "plus_days":
            return self._strict(args, lambda x, y: f"{x} + _timedelta(days={y})")
        if op == "add_years":
            return self._strict(args, lambda x, y: f"_add_years({x}, {y})")
        if op == "count_in_force":
            column, start, end, day, flag = args
            return (
                f"_count_in_force({self.code(Expr('col', column))[0]}, {start!r}, {end!r}, "
                f"{self.code(day)[0]}, {flag!r})",
                False,
            )
        if op == "exists_on_or_before":
            column, field, day = args
            return (
                f"_exists_on_or_before({self.code(Expr('col', column))[0]}, {field!r}, "
                f"{self.code(day)[0]})",
                False,
            )
        if op == "latest_flag":
            column, field, flag, day = args
            return (
                f"_latest_flag({self.code(Expr('col', column))[0]}, {field!r}, {flag!r}, "
                f"{self.code(day)[0]})",
                False,
            )
        if op == "any_in_force_above":
            column, start, end, day, value, bound, factor = args
            return (
                f"_any_in_force_above({self.code(Expr('col', column))[0]}, {start!r}, {end!r}, "
                f"{self.code(day)[0]}, {value!r}, {bound!r}, {self.code(factor)[0]})",
                False,
            )
        raise ValueError(f"no Python form for {op}")

    def _strict(self, args: Sequence[Expr], form: Callable[..., str]) -> tuple[str, bool]:
        """A null-in, null-out operator: None when any operand is None."""
        codes = [self.code(a) for a in args]
        names, checks = [], []
        for text, nullable in codes:
            if nullable:
                t = self.fresh("t")
                checks.append(f"({t} := {text}) is None")
                names.append(t)
            else:
                names.append(text)
        if not checks:
            return f"({form(*names)})", False
        return f"(None if {' or '.join(checks)} else {form(*names)})", True

    def function(self, name: str, result: list[str]) -> Callable[..., Any]:
        header = [f"def {name}(v, as_of):"]
        header += [f"    {local} = v[{column!r}]" for column, local in self.columns.items()]
        source = "\n".join([*header, *self.body, *result])
        exec(compile(source, f"<conditions {name}>", "exec"), self.namespace)
        fn: Callable[..., Any] = self.namespace[name]
        fn.__doc__ = source  # what ran, for whoever debugs a verdict
        return fn


def compile_values(
    exprs: Sequence[Expr], in_force: Mapping[str, bool], params: Mapping[str, Any]
) -> Callable[[Values, date], tuple[Any, ...]]:
    """A function (values, as_of) → the value of each expression (tests, debugging)."""
    folded = [fold(e, in_force, params) for e in exprs]
    source = _Source(folded)
    codes = [source.code(e)[0] for e in folded]
    fn: Callable[[Values, date], tuple[Any, ...]] = source.function(
        "values", [f"    return ({', '.join(codes)},)"]
    )
    return fn


def _compile_fired(
    rules: Mapping[str, Expr], in_force: Mapping[str, bool], params: Mapping[str, Any]
) -> Callable[[Values, date], list[str]]:
    folded = {rule_id: fold(e, in_force, params) for rule_id, e in rules.items()}
    live = {rule_id: e for rule_id, e in folded.items() if not _is_lit(e, False)}
    source = _Source(list(live.values()))
    tests = [(rule_id, source.code(e)[0]) for rule_id, e in live.items()]
    result = ["    out = []"]
    result += [f"    if {code}:\n        out.append({rule_id!r})" for rule_id, code in tests]
    result.append("    return out")
    fn: Callable[[Values, date], list[str]] = source.function("fired", result)
    return fn


def constants(
    rule_ids: Iterable[str],
    parameter_names: Iterable[str],
    registry: Registry,
    parameters: ParameterTable,
    as_of: date,
) -> tuple[dict[str, bool], dict[str, Any]]:
    """Which of `rule_ids` are in force and each parameter's value on `as_of` (None
    before its first value or where it is repealed)."""
    known = set(registry.ids())
    in_force = {r: r in known and registry.get(r, as_of) is not None for r in rule_ids}
    params: dict[str, Any] = {}
    for name in parameter_names:
        found = parameters.parameters[name].at(as_of)
        params[name] = None if found is None else found.value
    return in_force, params


class RowConditions:
    """The rules' conditions compiled for one line at a time."""

    def __init__(self, conditions: Mapping[str, Expr]) -> None:
        self.rules = rule_expressions(conditions)
        roots = list(self.rules.values())
        self._rule_ids = rule_names(roots)
        self._params = parameter_names(roots)
        self._compiled: dict[Hashable, Callable[[Values, date], list[str]]] = {}
        # Which rules are in force, per registry and day: a registry never changes, and
        # asking it for 30 rules is a tenth of a small check.
        self._in_force: WeakKeyDictionary[Registry, dict[date, dict[str, bool]]] = (
            WeakKeyDictionary()
        )

    def fired(self, registry: Registry, parameters: ParameterTable, as_of: date) -> Fired:
        """(values of one line) → the IDs of the rules that fire on it, in order."""
        days = self._in_force.setdefault(registry, {})
        in_force = days.get(as_of)
        if in_force is None:
            if len(days) > 4096:
                days.clear()
            in_force = days[as_of] = constants(self._rule_ids, (), registry, parameters, as_of)[0]
        _, params = constants((), self._params, registry, parameters, as_of)
        key = (tuple(in_force.values()), tuple((type(v), v) for v in params.values()))
        fn = self._compiled.get(key)
        if fn is None:
            if len(self._compiled) > 64:  # a what-if sweeping many values
                self._compiled.clear()
            fn = self._compiled[key] = _compile_fired(self.rules, in_force, params)
        compiled = fn
        return lambda values: compiled(values, as_of)
