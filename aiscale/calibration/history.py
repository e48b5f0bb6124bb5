"""The historical series the model is calibrated against.

The raw files are verbatim copies of ``shared/data/history`` (see ``MANIFEST.csv`` in
``aiscale/data/history/`` for each file's upstream source and checksum). Each series
in :mod:`.series` turns one raw file into yearly observations (``year, value``) by an
explicit rule; this module reads the files and reports bad data precisely: a missing
file, a non-numeric value or an unknown series name raises :class:`HistoryError`
naming the file and the row (the physical line in the file, header = line 1).
"""

from __future__ import annotations

import csv
import hashlib
import math
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pandas as pd

OBSERVATION_COLUMNS = ["series", "year", "value", "unit", "source", "rows", "note"]


class HistoryError(ValueError):
    """Bad or missing historical data; the message names the file and row."""


@dataclass(frozen=True)
class Record:
    """One row of a raw file: its line number and its fields (as text)."""

    path: Path
    line: int
    fields: Mapping[str, str]

    def text(self, column: str) -> str:
        if column not in self.fields:
            raise HistoryError(f"{self.path.name}: no column {column!r} (columns: {', '.join(self.fields)})")
        return (self.fields[column] or "").strip()

    def number(self, column: str, required: bool = True) -> float | None:
        """The column as a float. Empty: an error if ``required``, else None.
        Non-numeric or non-finite: always an error naming the file and row."""
        raw = self.text(column)
        if raw == "":
            if required:
                raise HistoryError(f"{self.path}, row {self.line}: column {column!r} is empty")
            return None
        try:
            if "_" in raw:  # Python accepts 1_000; a data file should not
                raise ValueError(raw)
            value = float(raw)
        except ValueError:
            raise HistoryError(f"{self.path}, row {self.line}: column {column!r} is not a number: {raw!r}") from None
        if not math.isfinite(value):
            raise HistoryError(f"{self.path}, row {self.line}: column {column!r} is not finite: {raw!r}")
        return value

    def year(self, column: str = "date") -> int:
        """The leading four-digit year of a date-like column (2023, 2023-12, 2023-12-31, FY...)."""
        raw = self.text(column)
        digits = raw[:4]
        if not (len(digits) == 4 and digits.isdigit()):
            raise HistoryError(f"{self.path}, row {self.line}: column {column!r} does not start with a year: {raw!r}")
        return int(digits)

    def decimal_date(self, column: str = "date") -> float:
        """A date as a decimal year: YYYY (mid-year), YYYY-MM (mid-month) or YYYY-MM-DD."""
        raw = self.text(column)
        try:
            parts = raw.split(" ")[0].split("-")
            year = int(parts[0])
            if len(parts) == 1:
                return year + 0.5
            month = int(parts[1])
            if not 1 <= month <= 12:
                raise ValueError
            if len(parts) == 2:
                return year + (month - 0.5) / 12
            stamp = pd.Timestamp(year=year, month=month, day=int(parts[2]))
            return year + (stamp.day_of_year - 0.5) / (366 if stamp.is_leap_year else 365)
        except (ValueError, IndexError):
            raise HistoryError(f"{self.path}, row {self.line}: column {column!r} is not a date: {raw!r}") from None


def history_dir() -> Path:
    """The shipped raw history files (``aiscale/data/history``)."""
    return Path(str(resources.files("aiscale.data").joinpath("history")))


def read_records(path: str | os.PathLike, required_columns: Iterable[str] = ()) -> list[Record]:
    """Every row of a CSV file with its line number; a missing file or column is an error."""
    path = Path(path)
    if not path.is_file():
        raise HistoryError(f"history file not found: {path}")
    try:
        with path.open(newline="", encoding="utf-8") as f:
            return _records(path, csv.DictReader(f), required_columns)
    except UnicodeDecodeError as err:
        raise HistoryError(f"{path}: not a text (UTF-8) CSV file: byte {err.object[err.start]:#04x} at position "
                           f"{err.start}") from None
    except csv.Error as err:
        raise HistoryError(f"{path}: not a readable CSV file ({err})") from None


def _records(path: Path, reader: csv.DictReader, required_columns: Iterable[str]) -> list[Record]:
    """The rows of ``reader`` (reading ``path``), each with its line number."""
    if reader.fieldnames is None:
        raise HistoryError(f"{path}: the file is empty (no header row)")
    missing = [c for c in required_columns if c not in reader.fieldnames]
    if missing:
        raise HistoryError(f"{path}: missing column(s) {', '.join(missing)} "
                           f"(columns: {', '.join(reader.fieldnames)})")
    records = []
    for fields in reader:
        if None in fields:  # more cells than header columns
            raise HistoryError(f"{path}, row {reader.line_num}: more cells than header columns")
        records.append(Record(path, reader.line_num, fields))
    return records


def sha256(path: str | os.PathLike) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def manifest() -> pd.DataFrame:
    """The manifest of the shipped raw files (file, sha256, rows, source, ...)."""
    return pd.read_csv(history_dir() / "MANIFEST.csv")


def check_manifest(directory: str | os.PathLike | None = None) -> list[str]:
    """Files whose checksum differs from the manifest (empty when all match)."""
    directory = Path(directory) if directory else history_dir()
    changed = []
    for row in manifest().itertuples():
        path = directory / row.file
        if not path.is_file() or sha256(path) != row.sha256:
            changed.append(row.file)
    return changed


def load_observations_csv(path: str | os.PathLike, known: Mapping[str, object]) -> pd.DataFrame:
    """Observations from a tidy CSV (columns ``series, year, value``; optional ``unit,
    source, rows, note``), as written by ``aiscale calibrate --out``."""
    path = Path(path)
    rows = []
    for rec in read_records(path, required_columns=("series", "year", "value")):
        name = rec.text("series")
        if name not in known:
            from ..stocks_flows.errors import did_you_mean
            hint = did_you_mean(name, known) or f" (known: {', '.join(known)})"
            raise HistoryError(f"{path}, row {rec.line}: unknown series {name!r}{hint}")
        year = rec.number("year")
        if year != int(year):
            raise HistoryError(f"{path}, row {rec.line}: column 'year' is not a whole year: {rec.text('year')!r}")
        value = rec.number("value")
        if value <= 0:
            raise HistoryError(f"{path}, row {rec.line}: column 'value' must be positive (log10 residuals): "
                               f"{rec.text('value')!r}")
        rows.append({"series": name, "year": int(year), "value": value,
                     "unit": rec.fields.get("unit") or "", "source": rec.fields.get("source") or path.name,
                     "rows": rec.fields.get("rows") or str(rec.line), "note": rec.fields.get("note") or ""})
    if not rows:
        raise HistoryError(f"{path}: no observations")
    return pd.DataFrame(rows, columns=OBSERVATION_COLUMNS)


def observations_frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=OBSERVATION_COLUMNS)
    frame["year"] = frame["year"].astype(int)
    frame["value"] = frame["value"].astype(float)
    return frame.sort_values(["series", "year"]).reset_index(drop=True)


Deriver = Callable[[Path], list[dict]]
