"""Which time zone a subscriber means by what they typed after /timezone (pure, but it reads
the zone files: not on the event loop).

Rule, first match wins: an IANA name in any case ("europe/berlin" -> "Europe/Berlin"); a city
of an IANA name, spaces for underscores ("new york" -> "America/New_York"; of names that share
a city, the longest: "cordoba" -> "America/Argentina/Cordoba"); a city no IANA name carries, or
written in a language the bot speaks, from zone_aliases.yaml ("beijing", "москва", "北京").
Only the continents' and oceans' areas count for cities: "US/Eastern" names no city "eastern".
"""

from __future__ import annotations

import functools
import zoneinfo
from importlib import resources

import yaml

from jobs.digest_slots import zone

_AREAS = frozenset(
    {"Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia", "Europe"}
    | {"Indian", "Pacific"}
)


def find_zone(name: str) -> str | None:
    """The IANA name of the time zone `name` names; None when there is none."""
    name = name.strip()
    if not name:
        return None
    if zone(name) is not None:
        return name
    key = _key(name)
    return _by_casefold().get(key) or _by_city().get(key) or _aliases().get(key)


def _key(name: str) -> str:
    return "_".join(name.casefold().replace("_", " ").split())


@functools.cache
def _by_casefold() -> dict[str, str]:
    return {key.casefold(): key for key in zoneinfo.available_timezones()}


@functools.cache
def _by_city() -> dict[str, str]:
    found: dict[str, str] = {}
    for name in sorted(zoneinfo.available_timezones()):
        area, _, rest = name.partition("/")
        if area not in _AREAS or not rest:
            continue
        city = _key(rest.rsplit("/", 1)[-1])
        if city not in found or len(name) > len(found[city]):
            found[city] = name
    return found


@functools.cache
def _aliases() -> dict[str, str]:
    text = resources.files("jobs").joinpath("zone_aliases.yaml").read_text(encoding="utf-8")
    table: dict[str, list[str]] = yaml.safe_load(text)
    return {_key(city): zone_name for zone_name, cities in table.items() for city in cities}
