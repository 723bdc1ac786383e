"""Which time zone a subscriber means (jobs.zone_names): IANA names in any case, their cities,
and the cities zone_aliases.yaml adds, in the bot's languages."""

from __future__ import annotations

import pytest

from jobs.zone_names import find_zone

# each zone with the ways a subscriber may name it
SPELLINGS = {
    "Europe/Berlin": ["Europe/Berlin", "europe/berlin"],
    "UTC": ["UTC"],
    "Europe/Moscow": ["Moscow", "москва", "Санкт-Петербург"],
    "Europe/Kyiv": ["  kyiv "],
    "America/New_York": ["new york", "New_York"],
    "America/Argentina/Buenos_Aires": ["buenos aires"],  # the longest of one city's names
    "Asia/Shanghai": ["Beijing", "北京"],
    "America/Los_Angeles": ["san  francisco"],
}


@pytest.mark.parametrize(
    ("typed", "zone"), [(typed, zone) for zone, names in SPELLINGS.items() for typed in names]
)
def test_a_zone_or_city_names_its_zone(typed: str, zone: str) -> None:
    assert find_zone(typed) == zone


@pytest.mark.parametrize("typed", ["", "Mars/Base", "eastern", "Atlantis", "UTC+3"])
def test_what_names_no_zone_finds_none(typed: str) -> None:
    assert find_zone(typed) is None


def test_every_alias_is_a_zone() -> None:
    from jobs.zone_names import _aliases  # the table is data: a typo in it must fail here

    assert all(find_zone(zone) == zone for zone in set(_aliases().values()))
