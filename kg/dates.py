"""Dates at their real precision: a day, a month or a year, as the interval of days it may mean."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from kg.errors import ParameterError

_DAY = re.compile(r"^(-?\d{4})-(\d{2})-(\d{2})")
_MONTH = re.compile(r"^(-?\d{4})-(\d{2})(?:Z|[+-]\d{2}:\d{2})?$")
_YEAR = re.compile(r"^(-?\d{4})(?:Z|[+-]\d{2}:\d{2})?$")


@dataclass(frozen=True, order=True)
class Period:
    """The first and last day a date may mean: 2018-10 is 1–31 October 2018."""

    first: dt.date
    last: dt.date
    text: str

    @property
    def precision(self) -> str:
        if self.first == self.last:
            return "day"
        return "month" if self.first.month == self.last.month and self.first.year == self.last.year else "year"


def period(text: str) -> Period | None:
    """The period of an xsd:date, xsd:gYearMonth or xsd:gYear lexical form (None if not a date)."""
    try:
        if match := _DAY.match(text):
            day = dt.date(int(match[1]), int(match[2]), int(match[3]))
            return Period(day, day, text)
        if match := _MONTH.match(text):
            year, month = int(match[1]), int(match[2])
            last = calendar.monthrange(year, month)[1]
            return Period(dt.date(year, month, 1), dt.date(year, month, last), text)
        if match := _YEAR.match(text):
            year = int(match[1])
            return Period(dt.date(year, 1, 1), dt.date(year, 12, 31), text)
    except ValueError:
        return None
    return None


def parse_user_date(text: str, option: str = "date") -> Period:
    """A date typed by a user (2023, 2023-03 or 2023-03-16), or ParameterError naming the option."""
    found = period(text.strip())
    if found is None:
        raise ParameterError(f"{option}: {text!r} is not a date (use YYYY, YYYY-MM or YYYY-MM-DD)")
    return found


def span(start: Period, end: Period) -> Period:
    """The period from the first day of `start` to the last day of `end` (ParameterError if reversed)."""
    if start.first > end.last:
        raise ParameterError(f"{start.text} is after {end.text}")
    return Period(start.first, end.last, f"{start.text}..{end.text}")


def window(between: Period | tuple[Period, Period] | None) -> Period | None:
    """A period given as one Period or as a (start, end) pair of Periods."""
    if between is None or isinstance(between, Period):
        return between
    return span(*between)
