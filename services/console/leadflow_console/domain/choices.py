"""The lists a person picks from instead of typing codes: countries (ISO 3166-1 alpha-2),
languages (ISO 639-1) and time zones (IANA), each built once."""

import functools
from zoneinfo import available_timezones

import pycountry


@functools.cache
def countries() -> list[tuple[str, str]]:
    """(code, name), by name."""
    return sorted(((c.alpha_2, c.name) for c in pycountry.countries), key=lambda item: item[1])


@functools.cache
def languages() -> list[tuple[str, str]]:
    """(code, name) of the languages with a two-letter code, by name."""
    found = ((lang.alpha_2, lang.name) for lang in pycountry.languages if hasattr(lang, "alpha_2"))
    return sorted(found, key=lambda item: item[1])


@functools.cache
def timezones() -> list[str]:
    return sorted(zone for zone in available_timezones() if "/" in zone and not zone.startswith("Etc/"))


@functools.cache
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


def known_zone(name: str) -> bool:
    """An IANA name (read from the system's zone database once)."""
    return name in _zone_names()
