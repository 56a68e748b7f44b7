"""The problem report of `carexport import`: where it goes and how it is written safely.

A report never replaces a file that is not a report. The path given by `--report` is
refused (exit 2, before anything is read) when it is the input file, the database (the
SQLite file or its -wal/-shm/-journal), a directory or other non-regular file, or an
existing file that is not a carexport report: one that is empty or whose first line is
our header (CSV: `row,field,value,reason_zh,reason_en`; JSON Lines: an object with
exactly those keys).

Problems are written to a temporary file in the report's own directory, which is
renamed over the report (`os.replace`, atomic on one file system) only when the import
ends with exit 0 or 1; an import that stops otherwise (exit 2, a kill) leaves an older
report as it was and removes its temporary file.

Without `--report`, a report is written only when there are problems, at the first
of these places where it can be written: `FILE.report.csv` next to the input, then
`var/reports/FILE.report.csv` under the current directory, then a new private directory
under the system's temporary directory. The screen says which (docs/feeds.md).

CSV cells are passed through `spreadsheet_cells.inert`, so a value such as
`=HYPERLINK(…)` copied from the input is shown, not run, by a spreadsheet.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import IO

from carexport.errors import CarexportError
from carexport.feeds.importing import RowProblem
from carexport.spreadsheet_cells import inert_row

HEADER = ("row", "field", "value", "reason_zh", "reason_en")
_CSV_HEADER = ",".join(HEADER)
_SNIFF_BYTES = 4096  # enough for our header line; the rest of a file is never read


class ReportRefused(CarexportError):
    """The report cannot be written where asked (exit 2): nothing was imported."""

    def __init__(self, path: Path, reason_zh: str, reason_en: str) -> None:
        self.path = path
        super().__init__(
            f"不能把问题报告写到 {path}：{reason_zh} / cannot write the report to {path}: "
            f"{reason_en}"
        )


def default_name(source: Path) -> str:
    return source.name + ".report.csv"


def is_report(path: Path) -> bool:
    """Whether an existing regular file is a report of ours (or empty: nothing to lose)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(_SNIFF_BYTES)
    except OSError:
        return False
    if not head:
        return True
    first = head.split(b"\n", 1)[0].removesuffix(b"\r").removeprefix(b"\xef\xbb\xbf")
    try:
        line = first.decode("utf-8")
    except UnicodeDecodeError:
        return False
    if line == _CSV_HEADER:
        return True
    try:
        obj = json.loads(line)
    except ValueError:
        return False
    return isinstance(obj, dict) and tuple(obj) == HEADER


def _same(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return a.resolve() == b.resolve()


def refusal(path: Path, protected: Iterable[Path]) -> tuple[str, str] | None:
    """Why `path` may not receive a report ((zh, en)), or None when it may."""
    for other in protected:
        if _same(path, other):
            return ("它是导入文件或数据库文件", "it is the input file or a database file")
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return None
    except OSError as exc:
        return (f"无法查看（{exc.strerror}）", f"cannot stat it ({exc.strerror})")
    if not stat.S_ISREG(mode):
        return ("它不是普通文件", "it is not a regular file")
    if not is_report(path):
        return (
            "该文件已存在且不是问题报告（首行不是报告表头），请换一个路径",
            "it exists and is not a carexport report (its first line is not the report "
            "header); give another path",
        )
    return None


def database_files(database: Path | None) -> list[Path]:
    """A SQLite database file and the files SQLite keeps beside it."""
    if database is None:
        return []
    return [database] + [
        database.with_name(database.name + s) for s in ("-wal", "-shm", "-journal")
    ]


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


class Report:
    """Problems of one import, written to a temporary file and put in place by `close`.

    `requested`: the `--report` path (checked at once; always written, even without
    problems, since it was asked for). Without it the report is opened at the first
    problem, at the first writable default place.
    """

    def __init__(self, *, source: Path, requested: Path | None, protected: Iterable[Path]) -> None:
        self.source = source
        self.requested = requested
        self.protected = [source, *protected]
        self.path: Path | None = None  # where the report goes (known once opened)
        self._temp: Path | None = None
        self._handle: IO[str] | None = None
        self._csv: csv.DictWriter[str] | None = None
        self._jsonl = False
        if requested is not None:
            why = refusal(requested, self.protected)
            if why is not None:
                raise ReportRefused(requested, *why)
            if not self._open(requested):
                raise ReportRefused(
                    requested, "无法在该目录中建立文件", "cannot create a file in its directory"
                )

    # -- writing -------------------------------------------------------------------------

    def write(self, problem: RowProblem) -> None:
        if self._handle is None:
            self._open_default()
        assert self._handle is not None
        if self._jsonl:
            self._handle.write(json.dumps(problem.__dict__, ensure_ascii=False) + "\n")
        else:
            assert self._csv is not None
            cells = inert_row(
                [
                    problem.row,
                    problem.field,
                    problem.value or "",
                    problem.reason_zh,
                    problem.reason_en,
                ]
            )
            self._csv.writerow(dict(zip(HEADER, cells, strict=True)))

    def _open(self, destination: Path) -> bool:
        try:
            descriptor, name = tempfile.mkstemp(
                dir=destination.parent, prefix=f".{destination.name}.", suffix=".tmp"
            )
        except OSError:
            return False
        self._temp = Path(name)
        self.path = destination
        self._jsonl = destination.suffix.lower() == ".jsonl"
        handle = os.fdopen(
            descriptor, "w", encoding="utf-8" if self._jsonl else "utf-8-sig", newline=""
        )
        self._handle = handle
        if not self._jsonl:
            self._csv = csv.DictWriter(handle, fieldnames=HEADER, lineterminator="\r\n")
            self._csv.writeheader()
        return True

    def _open_default(self) -> None:
        name = default_name(self.source)
        places = [self.source.parent, Path.cwd() / "var" / "reports"]
        for place in places:
            destination = place / name
            if refusal(destination, self.protected) is not None:
                continue
            with contextlib.suppress(OSError):
                place.mkdir(parents=True, exist_ok=True)
            if self._open(destination):
                return
        # Last resort: a private new directory, where nothing can be in the way.
        place = Path(tempfile.mkdtemp(prefix="carexport-reports-"))
        if not self._open(place / name):  # pragma: no cover - the temp dir is ours
            raise ReportRefused(place / name, "无法建立文件", "cannot create the file")

    # -- ending --------------------------------------------------------------------------

    def close(self) -> Path | None:
        """Put the report in place (the import ended with exit 0 or 1); its path, or None
        when no report was needed."""
        if self._handle is None or self._temp is None or self.path is None:
            return None
        handle, self._handle = self._handle, None
        handle.flush()
        os.fsync(handle.fileno())
        handle.close()
        os.chmod(self._temp, 0o666 & ~_umask())  # mkstemp makes it private (0600)
        os.replace(self._temp, self.path)
        self._temp = None
        return self.path

    def discard(self) -> None:
        """The import stopped: an older report stays as it was, the temporary file goes."""
        handle, self._handle = self._handle, None
        if handle is not None:
            with contextlib.suppress(OSError):
                handle.close()
        if self._temp is not None:
            with contextlib.suppress(OSError):
                self._temp.unlink()
            self._temp = None

    def __enter__(self) -> Report:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.discard()  # after close() there is nothing left to discard
