"""Rate limits written as text ("10/15m": ten per fifteen minutes), and the RATE_LIMITS variable
that overrides some of them ("login=10/15m,search=120/m").

Pure helpers: no Django import, so settings.py can check the variable before Django starts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from supportal.lib.env import ConfigError

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RATE = re.compile(r"^(\d+)\s*/\s*(\d*)\s*([smhd])$")


@dataclass(frozen=True)
class Rate:
    limit: int  # this many ...
    window: int  # ... per this many seconds

    def __str__(self) -> str:
        for unit, seconds in sorted(_UNITS.items(), key=lambda item: -item[1]):
            if self.window % seconds == 0:
                count = self.window // seconds
                return f"{self.limit}/{count if count != 1 else ''}{unit}"
        return f"{self.limit}/{self.window}s"  # pragma: no cover - every window is whole seconds


def parse_rate(text: str) -> Rate:
    """ "10/15m" -> Rate(10, 900). Units: s, m, h, d; the count before the unit is optional."""
    match = _RATE.match(text.strip().lower())
    if not match:
        raise ValueError(f"{text!r} is not a rate such as 10/15m, 5/h or 120/m")
    limit, count, unit = int(match[1]), int(match[2] or 1), match[3]
    if limit < 1 or count < 1:
        raise ValueError(f"{text!r}: the number of actions and the window must be at least 1")
    return Rate(limit=limit, window=count * _UNITS[unit])


def rates_with_overrides(name: str, raw: str, defaults: Mapping[str, str]) -> dict[str, Rate]:
    """The default rates, with those named in `raw` (the value of the variable `name`, such as
    "login=10/15m,search=120/m") replaced. An unknown name or a rate we cannot read stops
    start-up: a typo would otherwise leave a limit silently unchanged."""
    rates = {key: parse_rate(value) for key, value in defaults.items()}
    for item in filter(None, (part.strip() for part in raw.split(","))):
        key, equals, value = item.partition("=")
        key = key.strip()
        if not equals:
            raise ConfigError(f"{name}: {item!r} must be written name=rate, such as login=10/15m")
        if key not in rates:
            known = ", ".join(sorted(rates))
            raise ConfigError(f"{name}: unknown limit {key!r}; the limits are {known}")
        try:
            rates[key] = parse_rate(value)
        except ValueError as error:
            raise ConfigError(f"{name}: {key}: {error}") from None
    return rates
