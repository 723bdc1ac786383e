"""Which time zone a subscriber means (jobs.zone_names): IANA names in any case, their cities,
and the cities zone_aliases.yaml adds, in the bot's languages."""

from __future__ import annotations

import pytest

from jobs.zone_names import find_zone


@pytest.mark.parametrize(
    ("typed", "zone"),
    [
        ("Europe/Berlin", "Europe/Berlin"),
        ("europe/berlin", "Europe/Berlin"),
        ("UTC", "UTC"),
        ("Moscow", "Europe/Moscow"),
        ("  kyiv ", "Europe/Kyiv"),
        ("new york", "America/New_York"),
        ("New_York", "America/New_York"),
        ("buenos aires", "America/Argentina/Buenos_Aires"),  # the longest of one city's names
        ("Beijing", "Asia/Shanghai"),
        ("москва", "Europe/Moscow"),
        ("Санкт-Петербург", "Europe/Moscow"),
        ("北京", "Asia/Shanghai"),
        ("san  francisco", "America/Los_Angeles"),
    ],
)
def test_a_zone_or_city_names_its_zone(typed: str, zone: str) -> None:
    assert find_zone(typed) == zone


@pytest.mark.parametrize("typed", ["", "Mars/Base", "eastern", "Atlantis", "UTC+3"])
def test_what_names_no_zone_finds_none(typed: str) -> None:
    assert find_zone(typed) is None


def test_every_alias_is_a_zone() -> None:
    from jobs.zone_names import _aliases  # the table is data: a typo in it must fail here

    assert all(find_zone(zone) == zone for zone in set(_aliases().values()))
