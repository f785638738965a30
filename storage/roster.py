"""Reading a roster (municipalities, their waves and suppliers) from CSV or YAML files."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from rollout.model import Municipality

__all__ = ["RosterError", "read_demo_roster", "read_municipalities", "read_roster"]


class RosterError(ValueError):
    """The roster file is not valid; the message says where."""


def read_municipalities(path: Path) -> list[dict[str, str]]:
    """The reference list of municipalities: code, name, region, slug."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for number, row in enumerate(rows, start=2):
        if not row.get("code", "").isdigit() or not row.get("name"):
            raise RosterError(f"{path}:{number}: needs a numeric code and a name")
    return rows


def _supplier(entry: Any, key: str) -> str | None:
    if isinstance(entry, dict) and entry.get(key):
        return str(entry[key])
    return None


def read_demo_roster(path: Path, municipalities_path: Path) -> list[Municipality]:
    """The demo roster: named municipalities per wave, ``all-others`` for the rest."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    reference = read_municipalities(municipalities_path)
    by_code = {int(r["code"]): r for r in reference}
    suppliers = raw.get("suppliers") or {}
    waves: dict[int, str] = {}
    rest_wave: str | None = None
    for wave, members in (raw.get("waves") or {}).items():
        if members == "all-others":
            rest_wave = str(wave)
            continue
        for code in members:
            if int(code) not in by_code:
                raise RosterError(f"{path}: waves.{wave}: unknown municipality code {code}")
            if int(code) in waves:
                raise RosterError(f"{path}: municipality {code} is in two waves")
            waves[int(code)] = str(wave)
    out = []
    for code, row in sorted(by_code.items()):
        wave = waves.get(code, rest_wave)
        if wave is None:
            continue
        entry = suppliers.get(code)
        out.append(
            Municipality(
                code,
                row["name"],
                row["slug"],
                wave,
                row.get("region", ""),
                _supplier(entry, "bookkeeping"),
                _supplier(entry, "debtor"),
            )
        )
    return out


def read_roster(
    path: Path, municipalities_path: Path, known_waves: Iterable[str], *, default_wave: str = ""
) -> list[Municipality]:
    """A roster to import: CSV with ``code,wave[,bookkeeping_supplier,debtor_supplier]`` or YAML
    in the demo-roster form. Names and slugs come from the reference list. A row without a wave
    (the shipped plans/municipalities.csv has no wave column) takes ``default_wave``."""
    waves = set(known_waves)
    problems: list[str] = []
    if path.suffix.lower() in (".yaml", ".yml"):
        roster = read_demo_roster(path, municipalities_path)
    else:
        roster, problems = _read_csv(path, municipalities_path, default_wave)
    for municipality in roster:
        if not municipality.wave:
            problems.append(
                f"{path}: {municipality.name} has no wave: add a wave column, or give one for "
                f"every row without it with --wave (waves: {', '.join(sorted(waves))})"
            )
        elif municipality.wave not in waves:
            problems.append(
                f"{path}: {municipality.name} has unknown wave "
                f"{municipality.wave!r} (waves: {', '.join(sorted(waves))})"
            )
    if problems:
        raise RosterError("\n".join(problems))
    return roster


_COLUMNS = ("code", "wave", "bookkeeping_supplier", "debtor_supplier")


def _read_csv(
    path: Path, municipalities_path: Path, default_wave: str
) -> tuple[list[Municipality], list[str]]:
    """The good rows of a roster CSV, and a line for each bad one (so every one is reported and
    the file is imported whole or not at all); RosterError when the header line is missing."""
    by_code = {int(r["code"]): r for r in read_municipalities(municipalities_path)}
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        header = [name.strip() for name in reader.fieldnames or []]
        if "code" not in header:
            first = ",".join(header)[:60]
            looks_like_a_row = bool(header) and header[0].isdigit()
            raise RosterError(
                f"{path}:1: the first line must name the columns, e.g. `code,wave` (columns: "
                f"{', '.join(_COLUMNS)}), but it is `{first}`"
                + (": a row, not a header. Add the header line above it." if looks_like_a_row else ".")
                + " Nothing was imported."
            )
        reader.fieldnames = header
        roster: list[Municipality] = []
        problems: list[str] = []
        for number, row in enumerate(reader, start=2):
            code = (row.get("code") or "").strip()
            if not code.isdigit() or int(code) not in by_code:
                problems.append(f"{path}:{number}: unknown municipality code {code!r}")
                continue
            ref = by_code[int(code)]
            roster.append(
                Municipality(
                    int(code),
                    ref["name"],
                    ref["slug"],
                    (row.get("wave") or "").strip() or default_wave,
                    ref.get("region", ""),
                    (row.get("bookkeeping_supplier") or None),
                    (row.get("debtor_supplier") or None),
                )
            )
    return roster, problems
