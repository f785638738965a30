"""Checks on the roster data in plans/: municipalities.csv and demo-roster.yaml."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
import yaml

PLANS = Path(__file__).resolve().parents[1] / "plans"
MUNICIPALITIES_CSV = PLANS / "municipalities.csv"
DEMO_ROSTER = PLANS / "demo-roster.yaml"

REGIONS = {
    "Region Hovedstaden",
    "Region Sjælland",
    "Region Syddanmark",
    "Region Midtjylland",
    "Region Nordjylland",
}
# The seven first movers of the real KSD rollout (code -> official name).
FIRST_MOVERS = {
    420: "Assens",
    183: "Ishøj",
    217: "Helsingør",
    730: "Randers",
    187: "Vallensbæk",
    575: "Vejen",
    751: "Aarhus",
}
AARHUS = 751
CHRISTIANSOE = 411  # has a code in the lists but is not a municipality


def slugify(name: str) -> str:
    s = name.lower().replace("æ", "ae").replace("ø", "oe").replace("å", "aa")
    return re.sub(r"[ -]", "-", s)


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    with MUNICIPALITIES_CSV.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames == ["code", "name", "region", "slug"]
        return list(reader)


@pytest.fixture(scope="module")
def codes(rows: list[dict[str, str]]) -> set[int]:
    return {int(r["code"]) for r in rows}


@pytest.fixture(scope="module")
def roster() -> dict:
    with DEMO_ROSTER.open(encoding="utf-8") as f:
        return yaml.safe_load(f)


def test_98_unique_codes_names_and_slugs(rows: list[dict[str, str]]) -> None:
    assert len(rows) == 98
    assert len({r["code"] for r in rows}) == 98
    assert len({r["name"] for r in rows}) == 98
    assert len({r["slug"] for r in rows}) == 98


def test_codes_are_three_digits_in_range_and_sorted(rows: list[dict[str, str]]) -> None:
    for r in rows:
        assert re.fullmatch(r"[1-9][0-9]{2}", r["code"]), r
        assert 101 <= int(r["code"]) <= 860, r
    as_ints = [int(r["code"]) for r in rows]
    assert as_ints == sorted(as_ints)
    assert CHRISTIANSOE not in as_ints


def test_regions(rows: list[dict[str, str]]) -> None:
    for r in rows:
        assert r["region"] in REGIONS, r
    # 29 / 17 / 22 / 19 / 11 municipalities per region since 2007
    counts = {region: sum(r["region"] == region for r in rows) for region in REGIONS}
    assert counts == {
        "Region Hovedstaden": 29,
        "Region Sjælland": 17,
        "Region Syddanmark": 22,
        "Region Midtjylland": 19,
        "Region Nordjylland": 11,
    }


def test_slug_rule(rows: list[dict[str, str]]) -> None:
    for r in rows:
        assert r["slug"] == slugify(r["name"]), r
        assert re.fullmatch(r"[a-z]+(-[a-z]+)*", r["slug"]), r


def test_known_rows(rows: list[dict[str, str]]) -> None:
    by_code = {int(r["code"]): r for r in rows}
    expected = {
        101: ("København", "koebenhavn"),
        147: ("Frederiksberg", "frederiksberg"),
        169: ("Høje-Taastrup", "hoeje-taastrup"),
        173: ("Lyngby-Taarbæk", "lyngby-taarbaek"),
        400: ("Bornholm", "bornholm"),
        461: ("Odense", "odense"),
        851: ("Aalborg", "aalborg"),
        **{code: (name, slugify(name)) for code, name in FIRST_MOVERS.items()},
    }
    for code, (name, slug) in expected.items():
        assert (by_code[code]["name"], by_code[code]["slug"]) == (name, slug)


def test_demo_waves(roster: dict, codes: set[int]) -> None:
    waves = roster["waves"]
    assert list(waves) == ["P1", "P2", "K91"]
    assert waves["K91"] == "all-others"
    p1, p2 = set(waves["P1"]), set(waves["P2"])
    assert len(p1) == len(waves["P1"]) and len(p2) == len(waves["P2"])
    assert p1 | p2 == set(FIRST_MOVERS)
    assert AARHUS in p2 and AARHUS not in p1
    assert (p1 | p2) <= codes


def test_no_code_in_two_waves(roster: dict, codes: set[int]) -> None:
    waves = roster["waves"]
    explicit = {w: set(v) for w, v in waves.items() if v != "all-others"}
    seen: dict[int, str] = {}
    for wave, members in explicit.items():
        for code in members:
            assert code not in seen, f"{code} is in {seen[code]} and {wave}"
            seen[code] = wave
    # "all-others" expands to the rest, so every municipality is in exactly one wave
    rest = codes - set(seen)
    assert len(rest) == 98 - len(FIRST_MOVERS)


def test_suppliers_only_known_codes_with_a_source(roster: dict, codes: set[int]) -> None:
    suppliers = roster.get("suppliers") or {}
    assert isinstance(suppliers, dict)
    for code, entry in suppliers.items():
        assert code in codes, code
        assert set(entry) <= {"bookkeeping", "debtor", "source"}, entry
        assert entry.get("source"), entry
        assert entry.get("bookkeeping") or entry.get("debtor"), entry
