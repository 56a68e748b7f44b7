"""Where a what-if spends its time: wall clock and this process's CPU per named phase,
recorded only while someone asks (benchmarks/bench_whatif.py); otherwise each phase is
a no-op.

Phases nest; each is charged its own time only (an inner phase's time is taken out of
the outer one's), so the figures add up to the run. CPU is the whole process's
(Polars runs its own threads), read at each phase's edges: meaningful because the
phases of one thread run one after another. Work done in another thread at the same
time (the what-if's reader) is recorded `beside`, under a prefix, with that thread's
own CPU: it overlaps the rest and is not part of the sum.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field


@dataclass
class Phases:
    """Seconds per phase, in the order they first ran."""

    wall: dict[str, float] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)
    # time.thread_time for a thread working beside the main one
    cpu_clock: Callable[[], float] = time.process_time
    # (wall, cpu) spent in phases nested inside each open phase
    _inner: list[list[float]] = field(default_factory=list)

    def add(self, name: str, wall: float, cpu: float) -> None:
        self.wall[name] = self.wall.get(name, 0.0) + wall
        self.cpu[name] = self.cpu.get(name, 0.0) + cpu


_current: ContextVar[Phases | None] = ContextVar("whatif_phases", default=None)


@contextmanager
def recording() -> Iterator[Phases]:
    """Record the phases of whatever runs inside, in this context."""
    phases = Phases()
    token = _current.set(phases)
    try:
        yield phases
    finally:
        _current.reset(token)


@contextmanager
def phase(name: str) -> Iterator[None]:
    phases = _current.get()
    if phases is None:
        yield
        return
    phases._inner.append([0.0, 0.0])
    wall, cpu = time.perf_counter(), phases.cpu_clock()
    try:
        yield
    finally:
        wall, cpu = time.perf_counter() - wall, phases.cpu_clock() - cpu
        inner_wall, inner_cpu = phases._inner.pop()
        phases.add(name, wall - inner_wall, cpu - inner_cpu)
        if phases._inner:
            phases._inner[-1][0] += wall
            phases._inner[-1][1] += cpu


@contextmanager
def beside(prefix: str) -> Iterator[Callable[[], AbstractContextManager[None]]]:
    """For work handed to another thread while this one goes on: a context manager to
    enter in that thread (one task at a time), whose phases are added to the current
    recording under `prefix` when this block ends. A no-op when nothing records."""
    parent = _current.get()
    side = Phases(cpu_clock=time.thread_time)

    @contextmanager
    def record() -> Iterator[None]:
        token = _current.set(side if parent is not None else None)
        try:
            yield
        finally:
            _current.reset(token)

    try:
        yield record
    finally:
        if parent is not None:
            for name, wall in side.wall.items():
                parent.add(prefix + name, wall, side.cpu[name])
