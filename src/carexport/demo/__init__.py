"""A coherent synthetic world for demonstrations and load tests (`carexport demo generate`)."""

from carexport.demo.problems import SPECS, Problem, ProblemSpec, Unit
from carexport.demo.world import (
    DemoWorld,
    Injection,
    application_document,
    facts_document,
    generate_world,
)

__all__ = [
    "SPECS",
    "DemoWorld",
    "Injection",
    "Problem",
    "ProblemSpec",
    "Unit",
    "application_document",
    "facts_document",
    "generate_world",
]
