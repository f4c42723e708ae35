"""Cron schedules as CronJobs read them (robfig/cron v3's ParseStandard): five fields or a
descriptor, the parser's error messages (which the API server returns on a bad schedule),
and the times a schedule fires."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_DESCRIPTORS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    )
}
_DAYS = {d: i for i, d in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])}
# (minimum, maximum, names) of minute, hour, day of month, month, day of week
_BOUNDS: tuple[tuple[int, int, dict[str, int]], ...] = (
    (0, 59, {}),
    (0, 23, {}),
    (1, 31, {}),
    (1, 12, _MONTHS),
    (0, 6, _DAYS),
)
_DURATION = re.compile(r"([0-9]*\.?[0-9]+)(ns|us|µs|ms|s|m|h)")
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}


class CronError(ValueError):
    """A schedule the parser refuses; the text is robfig/cron's."""


@dataclass(frozen=True)
class Schedule:
    """A parsed schedule: allowed values per field, or a constant delay (@every)."""

    fields: tuple[frozenset[int], ...] = ()
    day_star: tuple[bool, bool] = (False, False)  # day-of-month, day-of-week given as * or ?
    every: float = 0.0  # seconds, for "@every <duration>"
    zone: str = ""

    def next_after(self, moment: datetime) -> datetime | None:
        """The first firing strictly after `moment` (None if none within five years)."""
        if self.every:
            step = max(1.0, float(int(self.every)))
            return moment + timedelta(seconds=step - moment.timestamp() % step or step)
        zone = ZoneInfo(self.zone) if self.zone else UTC
        t = moment.astimezone(zone).replace(second=0, microsecond=0) + timedelta(minutes=1)
        limit = t + timedelta(days=366 * 5)
        minutes, hours, _, months, _ = self.fields
        while t < limit:
            if t.month not in months:
                t = (t.replace(day=1, hour=0, minute=0) + timedelta(days=32)).replace(day=1)
            elif not self._day_matches(t):
                t = (t + timedelta(days=1)).replace(hour=0, minute=0)
            elif t.hour not in hours:
                t = (t + timedelta(hours=1)).replace(minute=0)
            elif t.minute not in minutes:
                t = t + timedelta(minutes=1)
            else:
                return t.astimezone(UTC)
        return None

    def _day_matches(self, t: datetime) -> bool:
        dom = t.day in self.fields[2]
        dow = (t.isoweekday() % 7) in self.fields[4]
        if self.day_star[0] or self.day_star[1]:
            return dom and dow
        return dom or dow


def parse(spec: str, time_zone: str | None = None) -> Schedule:
    """ParseStandard (plus the CronJob's spec.timeZone); raises CronError."""
    zone = time_zone or ""
    text = spec.strip()
    if text.startswith(("TZ=", "CRON_TZ=")):
        head, _, text = text.partition(" ")
        zone = head.split("=", 1)[1]
        _check_zone(zone)
        text = text.strip()
    if text.startswith("@"):
        if text.startswith("@every "):
            return Schedule(every=_duration(text[len("@every ") :]), zone=zone)
        if text not in _DESCRIPTORS:
            raise CronError(f"unrecognized descriptor: {text}")
        text = _DESCRIPTORS[text]
    fields = text.split()
    if len(fields) != 5:
        raise CronError(f"expected exactly 5 fields, found {len(fields)}: [{' '.join(fields)}]")
    parsed = tuple(_field(f, *b) for f, b in zip(fields, _BOUNDS, strict=True))
    return Schedule(
        fields=tuple(values for values, _ in parsed),
        day_star=(parsed[2][1], parsed[4][1]),
        zone=zone,
    )


def schedule_error(spec: str, time_zone: str | None = None) -> str | None:
    """The message validation gives for a schedule, or None when it parses."""
    if "TZ" in spec:
        if time_zone:
            return "cannot use both timeZone field and TZ or CRON_TZ in schedule"
        return "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"
    try:
        parse(spec)
    except CronError as e:
        return str(e)
    return None


def _field(text: str, low: int, high: int, names: dict[str, int]) -> tuple[frozenset[int], bool]:
    values: set[int] = set()
    star = False
    for expr in text.split(","):
        found, expr_star = _range(expr, low, high, names)
        values |= found
        star = star or expr_star
    return frozenset(values), star


def _range(expr: str, low: int, high: int, names: dict[str, int]) -> tuple[set[int], bool]:
    range_and_step = expr.split("/")
    low_high = range_and_step[0].split("-")
    star = low_high[0] in ("*", "?")
    if star:
        start, end = low, high
    else:
        start = _int_or_name(low_high[0], names)
        if len(low_high) == 1:
            end = start
        elif len(low_high) == 2:
            end = _int_or_name(low_high[1], names)
        else:
            raise CronError(f"too many hyphens: {expr}")
    if len(range_and_step) == 1:
        step = 1
    elif len(range_and_step) == 2:
        step = _number(range_and_step[1])
        if len(low_high) == 1:
            end = high  # "N/step" means N-max/step
        if step > 1:
            star = False
    else:
        raise CronError(f"too many slashes: {expr}")
    if start < low:
        raise CronError(f"beginning of range ({start}) below minimum ({low}): {expr}")
    if end > high:
        raise CronError(f"end of range ({end}) above maximum ({high}): {expr}")
    if start > end:
        raise CronError(f"beginning of range ({start}) beyond end of range ({end}): {expr}")
    if step == 0:
        raise CronError(f"step of range should be a positive number: {expr}")
    return set(range(start, end + 1, step)), star


def _int_or_name(text: str, names: dict[str, int]) -> int:
    if names and text.lower() in names:
        return names[text.lower()]
    return _number(text)


def _number(text: str) -> int:
    if not re.fullmatch(r"[+-]?[0-9]+", text):
        raise CronError(
            f'failed to parse int from {text}: strconv.Atoi: parsing "{text}": invalid syntax'
        )
    value = int(text)
    if value < 0:
        raise CronError(f"negative number ({value}) not allowed: {text}")
    return value


def _duration(text: str) -> float:
    """Go's time.ParseDuration for the simple forms (1h30m, 90s, 1.5h)."""
    if not text or not _DURATION.sub("", text) == "":
        raise CronError(f'failed to parse duration @every {text}: time: invalid duration "{text}"')
    return sum(float(n) * _UNITS[u] for n, u in _DURATION.findall(text))


def _check_zone(zone: str) -> None:
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise CronError(f"provided bad location {zone}: unknown time zone {zone}") from None
