"""The destination-market table (RULES.md §8): sourced, dated, ISO-keyed, null when unknown."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import pycountry
import pytest
import yaml

from carexport.rules.destinations import (
    ROW_FIELDS,
    Destination,
    DestinationTableError,
    destination,
    load_destinations,
    parse_destinations,
)

# The 20 largest destinations of Chinese used-car exports named in the brief.
# fmt: off
TOP_20 = (
    "RU", "KZ", "KG", "UZ", "AE", "JO", "SA", "EG", "NG", "GH",
    "KE", "TZ", "MN", "TJ", "AZ", "GE", "IQ", "CL", "MX", "PH",
)
# fmt: on
# Further rows DATA.md lists (Lebanon, Libya, Morocco, Mauritius, Uganda, South Africa).
DATA_MD_EXTRA = ("LB", "LY", "MA", "MU", "UG", "ZA")


@pytest.fixture(scope="module")
def table() -> dict[str, Destination]:
    return dict(load_destinations())


def _row(**overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "iso": "KE",
        "name_zh": "肯尼亚",
        "name_en": "Kenya",
        "age_limit_years": 8,
        "drive_side": "RHD",
        "min_emission_standard": None,
        "used_imports_banned": False,
        "notes": "",
        "source": "KEBS notice",
        "checked_on": date(2025, 11, 14),
    }
    row.update(overrides)
    return row


def _doc(*rows: dict[str, Any]) -> dict[str, Any]:
    return {"version": 1, "compiled_on": date(2026, 11, 23), "destinations": list(rows)}


# --- the packaged table -------------------------------------------------------------------


def test_every_row_has_a_source_and_a_checked_on_date(table: dict[str, Destination]) -> None:
    for entry in table.values():
        assert entry.source.strip(), entry.iso
        assert isinstance(entry.checked_on, date), entry.iso
        assert date(2000, 1, 1) <= entry.checked_on <= date(2026, 12, 31), entry.iso


def test_every_iso_is_a_real_alpha2_code(table: dict[str, Destination]) -> None:
    for code, entry in table.items():
        assert code == entry.iso
        country = pycountry.countries.get(alpha_2=code)
        assert country is not None, code


def test_the_named_destinations_are_present(table: dict[str, Destination]) -> None:
    assert len(TOP_20) == 20
    missing = [c for c in (*TOP_20, *DATA_MD_EXTRA) if c not in table]
    assert missing == []


def test_fields_have_the_documented_types(table: dict[str, Destination]) -> None:
    for entry in table.values():
        assert entry.drive_side in (None, "LHD", "RHD", "both")
        assert entry.age_limit_years is None or (
            type(entry.age_limit_years) is int and entry.age_limit_years > 0
        )
        assert entry.used_imports_banned in (None, True, False)
        assert entry.name_zh
        assert entry.name_en


@pytest.mark.parametrize(
    ("iso", "age", "drive", "banned"),
    [
        ("KE", 8, "RHD", False),  # KS 1515:2000, KEBS notice 2025-11
        ("ZA", None, "RHD", True),  # ITAC permits only
        ("JO", 5, "LHD", False),
        ("MU", 4, "RHD", False),
        ("UG", 15, "RHD", False),
        ("CL", None, None, True),
        ("PH", None, "LHD", True),
    ],
)
def test_known_facts_hold(
    table: dict[str, Destination], iso: str, age: int | None, drive: str | None, banned: bool
) -> None:
    entry = table[iso]
    assert (entry.age_limit_years, entry.drive_side, entry.used_imports_banned) == (
        age,
        drive,
        banned,
    )


def test_nigeria_is_left_hand_drive_and_its_weak_source_is_flagged(
    table: dict[str, Destination],
) -> None:
    nigeria = table["NG"]
    assert nigeria.drive_side == "LHD"
    assert "manufacture" in nigeria.notes  # the 15 years count from manufacture
    assert "weak" in nigeria.notes


def test_kazakhstan_bans_rhd_requires_euro_4_and_notes_the_type_approval_rule(
    table: dict[str, Destination],
) -> None:
    kz = table["KZ"]
    assert kz.drive_side == "LHD"
    assert kz.min_emission_standard == "Euro 4"
    assert kz.age_limit_years is None  # the under-3-years rule is not an age limit
    assert "type approval" in kz.notes


def test_russia_row_mentions_the_recycling_fee(table: dict[str, Destination]) -> None:
    assert "утильсбор" in table["RU"].notes
    assert table["RU"].age_limit_years is None


def test_tajikistan_cut_off_year_is_a_note_not_an_age_limit(
    table: dict[str, Destination],
) -> None:
    tj = table["TJ"]
    assert tj.age_limit_years is None
    assert "2013" in tj.notes
    assert "asiaplustj.info" in tj.source
    assert tj.checked_on == date(2023, 8, 2)


@pytest.mark.parametrize("iso", ["KG", "AE", "IQ", "EG", "MX", "UZ"])
def test_destinations_without_a_found_age_source_have_null_age_limits(
    table: dict[str, Destination], iso: str
) -> None:
    # DATA.md: Kyrgyzstan, UAE, Iraq, Egypt, Latin America and Uzbekistan were not found.
    assert table[iso].age_limit_years is None


def test_ages_not_counted_from_first_registration_say_so(table: dict[str, Destination]) -> None:
    for iso in ("NG", "SA", "LY", "AZ", "UG", "JO"):
        assert "manufactur" in table[iso].notes, iso


def test_weak_sources_are_marked(table: dict[str, Destination]) -> None:
    for iso in ("NG", "SA", "LY", "MN", "JO"):
        assert "weak" in table[iso].notes or "weak" in table[iso].source, iso


def test_lookup_normalises_the_code() -> None:
    kenya = destination(" ke ")
    assert kenya is not None
    assert kenya.iso == "KE"
    assert destination("FR") is None  # no row: no advice


def test_the_table_is_read_once_and_is_read_only() -> None:
    first = load_destinations()
    assert load_destinations() is first
    with pytest.raises(TypeError):
        first["XX"] = first["KE"]  # type: ignore[index]


# --- strict validation ---------------------------------------------------------------------


def test_a_minimal_document_parses() -> None:
    parsed = parse_destinations(_doc(_row(checked_on="2025-11-14")))
    assert parsed["KE"].checked_on == date(2025, 11, 14)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"drive_side": "left"}, "drive_side"),
        ({"iso": "XK"}, "iso"),  # not assigned in ISO 3166-1
        ({"iso": "ke"}, "iso"),
        ({"iso": "KEN"}, "iso"),
        ({"source": ""}, "source"),
        ({"source": None}, "source"),
        ({"checked_on": None}, "checked_on"),
        ({"checked_on": "14/11/2025"}, "checked_on"),
        ({"age_limit_years": "8"}, "age_limit_years"),
        ({"age_limit_years": True}, "age_limit_years"),
        ({"age_limit_years": -1}, "age_limit_years"),
        ({"used_imports_banned": "no"}, "used_imports_banned"),
        ({"colour": "red"}, "unknown field"),
    ],
)
def test_a_bad_row_raises_naming_the_row(overrides: dict[str, Any], message: str) -> None:
    good = _row(iso="GH", name_zh="加纳", name_en="Ghana", drive_side="LHD")
    with pytest.raises(ValueError, match=message) as caught:
        parse_destinations(_doc(_row(), {**good, **overrides}))
    assert "destinations[1]" in str(caught.value)


@pytest.mark.parametrize("field", ["source", "checked_on", "iso", "drive_side"])
def test_a_missing_field_raises_naming_the_row(field: str) -> None:
    row = _row()
    del row[field]
    with pytest.raises(DestinationTableError, match=rf"destinations\[0\].*missing {field}"):
        parse_destinations(_doc(row))


def test_duplicate_rows_and_bad_top_levels_are_rejected() -> None:
    with pytest.raises(DestinationTableError, match="duplicate"):
        parse_destinations(_doc(_row(), _row()))
    with pytest.raises(DestinationTableError, match="top-level"):
        parse_destinations({"destinations": [_row()]})
    with pytest.raises(DestinationTableError, match="list"):
        parse_destinations({**_doc(), "destinations": {"KE": _row()}})


def test_the_packaged_yaml_has_exactly_the_documented_fields() -> None:
    from importlib import resources

    text = resources.files("carexport.rules").joinpath("data/destinations.yaml").read_text("utf-8")
    document = yaml.safe_load(text)
    assert {"version", "compiled_on", "destinations"} == set(document)
    for row in document["destinations"]:
        assert tuple(row) == ROW_FIELDS, row.get("iso")
    # Round trip: the packaged document parses on its own, not only through the cache.
    assert set(parse_destinations(copy.deepcopy(document))) == set(load_destinations())


def test_refuses_coercion_that_a_lax_reader_would_allow() -> None:
    # Strict: 8.0 is not an integer, 1 is not a boolean, a timestamp is not a date.
    for overrides in (
        {"age_limit_years": 8.0},
        {"used_imports_banned": 1},
        {"checked_on": 1731542400},
        {"checked_on": "2025-11-14T00:00:00"},
    ):
        with pytest.raises(DestinationTableError, match=r"destinations\[0\] \(KE\)"):
            parse_destinations(_doc(_row(**overrides)))


def test_lists_every_problem_of_a_table_at_once() -> None:
    with pytest.raises(DestinationTableError) as caught:
        parse_destinations(_doc(_row(drive_side="left"), _row(iso="GH", name_en="", colour="red")))
    lines = str(caught.value).splitlines()
    assert "destinations[0] (KE): drive_side: Input should be 'LHD', 'RHD' or 'both'" in lines
    assert "destinations[1] (GH): unknown field colour" in lines
    assert any(line.startswith("destinations[1] (GH): name_en:") for line in lines)


def test_refuses_unknown_top_level_keys_and_rows_that_are_not_mappings() -> None:
    with pytest.raises(DestinationTableError, match="top-level: unknown field comment"):
        parse_destinations({**_doc(_row()), "comment": "x"})
    with pytest.raises(DestinationTableError, match=r"destinations\[0\]: .*dictionary"):
        parse_destinations(_doc("KE"))  # type: ignore[arg-type]


def test_text_is_trimmed_and_notes_may_be_empty() -> None:
    parsed = parse_destinations(_doc(_row(name_en="  Kenya ", notes="")))
    assert parsed["KE"].name_en == "Kenya"
    assert parsed["KE"].notes == ""
