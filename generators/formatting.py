"""French display of normalised values (Babel, fr_FR). Used by templates only."""

from __future__ import annotations

from datetime import date, datetime

from babel.dates import format_date, format_time
from babel.numbers import format_currency, format_decimal

from .values import DateTimeValue, PartialDate

LOCALE = "fr_FR"


def _day(day: date, with_weekday: bool) -> str:
    """French writes the first of the month "1er"."""
    pattern = "EEEE d MMMM y" if with_weekday else "d MMMM y"
    text = format_date(day, pattern, locale=LOCALE)
    if day.day == 1:
        text = text.replace(" 1 ", " 1er ", 1) if with_weekday else "1er" + text[1:]
    return text


def date_fr(value: object, with_weekday: bool = False) -> str:
    """"2015", "mars 2015", "21 mars 2016", "1er mars 2016" or "lundi 21 mars 2016"."""
    if value is None:
        return ""
    if isinstance(value, PartialDate):
        if value.precision == "year":
            return str(value.year)
        if value.precision == "month":
            return format_date(value.first_day(), "MMMM y", locale=LOCALE)
        return _day(value.first_day(), with_weekday)
    if isinstance(value, DateTimeValue):
        text = _day(value.day, with_weekday)
        if value.at is not None:
            text += " à " + format_time(value.at, "H'h'mm", locale=LOCALE)
        return text
    if isinstance(value, (date, datetime)):
        return _day(value if isinstance(value, date) else value.date(), with_weekday)
    return str(value)


def time_fr(value: object) -> str:
    if isinstance(value, DateTimeValue) and value.at is not None:
        return format_time(value.at, "H'h'mm", locale=LOCALE)
    return ""


def number_fr(value: object) -> str:
    """12 500 with a narrow no-break space, 12,5 with a comma."""
    if value is None:
        return ""
    return format_decimal(value, locale=LOCALE)


def euros(value: object) -> str:
    """50 000 € the French way."""
    if value is None:
        return ""
    if float(value).is_integer():
        return format_currency(value, "EUR", locale=LOCALE, format="#,##0\u00a0¤", currency_digits=False)
    return format_currency(value, "EUR", locale=LOCALE)


def file_size_fr(size: int) -> str:
    """"1,2 Mo", "350 ko"."""
    if size >= 1_000_000:
        return f"{format_decimal(round(size / 1_000_000, 1), locale=LOCALE)} Mo"
    if size >= 1_000:
        return f"{format_decimal(round(size / 1_000), locale=LOCALE)} ko"
    return f"{size} octets"


def iso(value: object) -> str:
    if isinstance(value, (PartialDate, DateTimeValue)):
        return value.iso()
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return ""


FILTERS = {
    "date_fr": date_fr,
    "time_fr": time_fr,
    "number_fr": number_fr,
    "euros": euros,
    "file_size_fr": file_size_fr,
    "iso": iso,
}
