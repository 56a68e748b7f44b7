"""The what-if as a background job (jobs.runner's handler for kind `whatif`)."""

from __future__ import annotations

from typing import Any

from carexport.jobs.runner import JobContext
from carexport.whatif import report, service


def run_whatif(context: JobContext) -> dict[str, Any]:
    whatif = service.WhatIf.from_parameters(context.parameters)
    frame = service.run(engine=context.engine, whatif=whatif, on_progress=context.progress)
    return report.write(context.workdir, whatif, frame)
