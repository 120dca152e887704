"""Statuses derived from dates and the build date (``today`` is always passed in)."""

from __future__ import annotations

from datetime import date

from .content import Item
from .values import DateTimeValue, PartialDate


def project_status(item: Item, today: date) -> str | None:
    """An initiative is "en projet", "en cours" or "terminé"."""
    start, end = item.data.get("date_debut"), item.data.get("date_fin")
    if not isinstance(start, PartialDate) and not isinstance(end, PartialDate):
        return None
    if isinstance(start, PartialDate) and start.first_day() > today:
        return "en projet"
    if isinstance(end, PartialDate) and end.last_day() < today:
        return "terminé"
    return "en cours"


def aid_status(item: Item, today: date) -> str:
    """An aid scheme is "ouvert", "à venir" or "clos" on the build date."""
    opening, deadline = item.data.get("date_ouverture"), item.data.get("date_limite")
    if isinstance(opening, PartialDate) and opening.first_day() > today:
        return "à venir"
    if isinstance(deadline, PartialDate) and deadline.last_day() < today:
        return "clos"
    return "ouvert"


AID_ORDER = {"ouvert": 0, "à venir": 1, "clos": 2}


def event_end_day(item: Item) -> date | None:
    end = item.data.get("date_fin") or item.data.get("date")
    return end.day if isinstance(end, DateTimeValue) else None


def event_is_past(item: Item, today: date) -> bool:
    """Past once its last day is over: an event on ``today`` is still upcoming."""
    end = event_end_day(item)
    return end is not None and end < today


def chapter_key(item: Item) -> tuple:
    """"2.10" after "2.2": chapters sort by their numbers, not as text."""
    number = str(item.data.get("ordre") or "")
    parts = tuple(int(p) for p in number.split(".") if p.isdigit())
    return (parts or (10**6,), item.title.casefold(), item.slug)
