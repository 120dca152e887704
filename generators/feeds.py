"""News and initiative feeds (RSS 2.0, Atom) and the agenda (iCalendar).

Pure functions: ``build_outputs(content, today, site_url)`` returns the files
as ``OutputFile``s; ``emit.py`` writes them. Only published items are used.

    flux/actualites.xml, flux/actualites.atom   news, newest first
    flux/fiches.xml, flux/fiches.atom           initiative sheets, by update or start date
    agenda/agenda.ics                           every event
    agenda/<slug>/evenement.ics                 one calendar per event (beside its page)

Determinism: no clock is read. A feed's date is its newest entry's date, never
later than ``today``; entry dates are capped at ``today`` too (a sheet about a
project starting next year was written before it). An iCalendar DTSTAMP comes
from ``mis_a_jour``, else from the event's start.

Links: absolute, built from ``site_url``. When ``site_url`` is empty (a
``mkdocs.yml`` without ``site_url``), links in feeds are relative to the feed
file ("../actualites/x/" from "flux/actualites.xml"), which is how feed
readers resolve relative references; identifiers that must be absolute use
``urn:portail:...`` (Atom ids) and ``<slug>@portail.invalid`` (iCalendar
UIDs); calendars then carry no URL, since calendar applications do not resolve
relative links.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from urllib.parse import urljoin, urlsplit

from feedgen.feed import FeedGenerator
from icalendar import Calendar, Event, Timezone, TimezoneDaylight, TimezoneStandard, vRecur

from .content import ContentSet, Item
from .emit import OutputFile
from .pages import item_url, listing_url
from .taxonomy import vocabulary_url
from .values import PARIS, DateTimeValue, PartialDate

MAX_ENTRIES = 50
LANGUAGE = "fr"
EVENT_DEFAULT_LENGTH = timedelta(hours=2)
FALLBACK_HOST = "portail.invalid"  # RFC 2606: a name that can never be a real host
PRODID = "-//portail//Agenda du réseau//FR"
AGENDA_FILE = "agenda.ics"
EVENT_FILE = "evenement.ics"


@dataclass(frozen=True, slots=True)
class FeedSpec:
    """One feed: which type it lists and what a reader is told about it."""

    name: str  # file stem under flux/
    type: str
    date_fields: tuple[str, ...]  # the first present one dates and orders an entry
    description: str


FEEDS = (
    FeedSpec(
        name="actualites",
        type="actualite",
        date_fields=("date",),
        description="Les nouvelles du réseau, les comptes rendus et les parutions, des plus récentes aux plus anciennes.",
    ),
    FeedSpec(
        name="fiches",
        type="fiche",
        date_fields=("mis_a_jour", "date_debut"),
        description="Les fiches initiatives du réseau, des plus récemment mises à jour ou lancées aux plus anciennes.",
    ),
)


def feed_paths(spec: FeedSpec) -> dict[str, str]:
    """The files of a feed by format; the open-data page links them too."""
    return {"rss": f"flux/{spec.name}.xml", "atom": f"flux/{spec.name}.atom"}


def agenda_path(content: ContentSet) -> str:
    return listing_url(content.declaration.types["evenement"]) + AGENDA_FILE


def event_ics_path(content: ContentSet, item: Item) -> str:
    """Beside the event's page, where the page's "add to my calendar" link points."""
    return item_url(content.declaration.types["evenement"], item) + EVENT_FILE


def build_outputs(content: ContentSet, today: date, site_url: str, *, site_name: str = "") -> list[OutputFile]:
    """Every feed and calendar file. ``site_name`` only prefixes feed titles."""
    outputs: list[OutputFile] = []
    for spec in FEEDS:
        if spec.type in content.declaration.types:
            outputs.extend(feed_files(content, spec, today, site_url, site_name))
    if "evenement" in content.declaration.types:
        outputs.extend(calendar_files(content, site_url))
    return outputs


# -- links --------------------------------------------------------------------


def public_link(site_url: str, path: str, document: str) -> str:
    """The link to site path ``path`` written in the file at site path ``document``.

    Absolute when ``site_url`` is known; otherwise relative to ``document``'s
    folder, which resolves correctly wherever the site is served from.
    """
    if site_url:
        return urljoin(site_url.rstrip("/") + "/", path)
    folder = posixpath.dirname(document) or "."
    relative = posixpath.relpath(path or ".", folder)
    return relative + "/" if path.endswith("/") and not relative.endswith("/") else relative


def site_host(site_url: str) -> str:
    return urlsplit(site_url).hostname or FALLBACK_HOST


# -- RSS and Atom -------------------------------------------------------------


def entry_day(item: Item, spec: FeedSpec) -> date | None:
    """The date that orders an entry: the first of ``spec.date_fields`` present."""
    for name in spec.date_fields:
        value = item.data.get(name)
        if isinstance(value, (PartialDate, DateTimeValue)):
            return value.first_day()
    return None


def feed_items(content: ContentSet, spec: FeedSpec) -> list[Item]:
    """Published items, newest first, undated last, ties by slug; at most ``MAX_ENTRIES``."""
    by_slug = sorted(content.of_type(spec.type), key=lambda i: i.slug)
    ordered = sorted(by_slug, key=lambda i: entry_day(i, spec) or date.min, reverse=True)
    return ordered[:MAX_ENTRIES]


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=PARIS)


def feed_files(content: ContentSet, spec: FeedSpec, today: date, site_url: str, site_name: str = "") -> list[OutputFile]:
    items = feed_items(content, spec)
    outputs = []
    for kind, path in feed_paths(spec).items():
        generator = _feed(content, spec, items, today, site_url, site_name, path)
        data = generator.rss_str(pretty=True) if kind == "rss" else generator.atom_str(pretty=True)
        outputs.append(OutputFile(path, data))
    return outputs


def _feed(
    content: ContentSet, spec: FeedSpec, items: list[Item], today: date, site_url: str, site_name: str, path: str
) -> FeedGenerator:
    """One feed as a feedgen object; RSS and Atom differ only by self link."""
    ctype = content.declaration.types[spec.type]
    days = [min(day, today) for i in items if (day := entry_day(i, spec)) is not None]
    feed_day = max(days, default=today)
    title = f"{site_name} — {ctype.label_plural}" if site_name else ctype.label_plural

    feed = FeedGenerator()
    feed.id(public_link(site_url, path, path) if site_url else f"urn:portail:flux:{spec.name}")
    feed.title(title)
    feed.subtitle(spec.description)  # also the RSS channel description
    feed.language(LANGUAGE)
    feed.author({"name": site_name or site_host(site_url)})
    feed.generator("portail")
    # feedgen writes the last link added as RSS <link>: the listing page, not the feed.
    feed.link(href=public_link(site_url, path, path), rel="self")
    feed.link(href=public_link(site_url, listing_url(ctype), path), rel="alternate", type="text/html")
    feed.updated(_midnight(feed_day))
    for item in items:
        _add_entry(feed, content, spec, item, today, site_url, path, feed_day)
    return feed


def _add_entry(
    feed: FeedGenerator, content: ContentSet, spec: FeedSpec, item: Item, today: date, site_url: str, path: str, feed_day: date
) -> None:
    ctype = content.declaration.types[spec.type]
    link = public_link(site_url, item_url(ctype, item), path)
    entry = feed.add_entry(order="append")
    entry.id(link if site_url else f"urn:portail:{item.type}:{item.slug}")
    entry.guid(link if site_url else f"urn:portail:{item.type}:{item.slug}", permalink=bool(site_url))
    entry.title(item.title)
    entry.link(href=link, rel="alternate", type="text/html")
    resume = item.data.get("resume")
    if resume:
        entry.summary(str(resume))  # also the RSS item description
    day = entry_day(item, spec)
    if day is not None:
        entry.published(_midnight(min(day, today)))  # RSS pubDate
    # Atom requires an update date: an undated entry takes the feed's.
    entry.updated(_midnight(min(day, today) if day is not None else feed_day))
    author = item.data.get("auteur")
    if author:
        entry.author({"name": str(author)})
    for term in item.data.get("thematiques") or []:
        scheme = public_link(site_url, vocabulary_url(content.declaration.vocabularies[term.vocabulary]), path)
        entry.category(term=term.key, label=term.label, scheme=scheme)


# -- iCalendar ----------------------------------------------------------------


def paris_timezone() -> Timezone:
    """VTIMEZONE for Europe/Paris with the EU summer-time rules (in force since 1996).

    Written with yearly rules, as Google Calendar, Outlook and Thunderbird
    export it, rather than derived from the tz database (one RDATE per year).
    """
    zone = Timezone()
    zone.add("tzid", "Europe/Paris")
    zone.add("x-lic-location", "Europe/Paris")
    summer = TimezoneDaylight()
    summer.add("tzname", "CEST")
    summer.add("tzoffsetfrom", timedelta(hours=1))
    summer.add("tzoffsetto", timedelta(hours=2))
    summer.add("dtstart", datetime(1970, 3, 29, 2, 0))
    summer.add("rrule", vRecur(freq="YEARLY", bymonth=3, byday="-1SU"))
    winter = TimezoneStandard()
    winter.add("tzname", "CET")
    winter.add("tzoffsetfrom", timedelta(hours=2))
    winter.add("tzoffsetto", timedelta(hours=1))
    winter.add("dtstart", datetime(1970, 10, 25, 3, 0))
    winter.add("rrule", vRecur(freq="YEARLY", bymonth=10, byday="-1SU"))
    zone.add_component(summer)
    zone.add_component(winter)
    return zone


def event_span(item: Item) -> tuple[date | datetime, date | datetime]:
    """DTSTART and DTEND of an event.

    Without a time: whole days, the end day exclusive as iCalendar wants. With
    a start time: the end time if given, the end of the end day if only a later
    day is given, else two hours after the start.
    """
    start: DateTimeValue = item.data["date"]
    end: DateTimeValue | None = item.data.get("date_fin")
    if start.at is None:
        last = end.day if end is not None and end.day > start.day else start.day
        return start.day, last + timedelta(days=1)
    begin = start.start()
    if end is not None and end.at is not None and end.start() > begin:
        return begin, end.start()
    if end is not None and end.at is None and end.day > start.day:
        return begin, _midnight(end.day + timedelta(days=1))
    return begin, begin + EVENT_DEFAULT_LENGTH


def event_location(item: Item) -> str:
    place = item.data.get("lieu") or {}
    commune = place.get("commune")
    parts = [place.get("nom"), place.get("adresse"), commune.name if commune is not None else None]
    return ", ".join(str(p) for p in parts if p)


def event_stamp(item: Item) -> datetime:
    """DTSTAMP in UTC: the revision date, else the event's start."""
    revised = item.data.get("mis_a_jour")
    moment = _midnight(revised.first_day()) if isinstance(revised, PartialDate) else item.data["date"].start()
    return moment.astimezone(timezone.utc)


def event_component(content: ContentSet, item: Item, site_url: str) -> Event:
    ctype = content.declaration.types["evenement"]
    link = public_link(site_url, item_url(ctype, item), "") if site_url else ""
    start, end = event_span(item)
    event = Event()
    event.add("uid", f"{item.slug}@{site_host(site_url)}")
    event.add("dtstamp", event_stamp(item))
    revised = item.data.get("mis_a_jour")
    if isinstance(revised, PartialDate):
        event.add("last-modified", _midnight(revised.first_day()).astimezone(timezone.utc))
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("summary", item.title)
    resume = str(item.data.get("resume") or "")
    description = "\n\n".join(p for p in (resume, f"En savoir plus : {link}" if link else "") if p)
    if description:
        event.add("description", description)
    location = event_location(item)
    if location:
        event.add("location", location)
    coordinates = item.data.get("coordonnees")
    if coordinates is not None:
        event.add("geo", (coordinates.lat, coordinates.lon))
    if link:
        event.add("url", link)
    labels = [term.label for term in item.data.get("thematiques") or []]
    if labels:
        event.add("categories", labels)
    return event


def _calendar(name: str, description: str, events: list[Event], *, subscription: bool) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("name", name)
    calendar.add("x-wr-calname", name)
    if description:
        calendar.add("description", description)
        calendar.add("x-wr-caldesc", description)
    calendar.add("x-wr-timezone", "Europe/Paris")
    if subscription:
        calendar.add("refresh-interval", timedelta(days=1), parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", "P1D")
    if any(isinstance(e.decoded("dtstart"), datetime) for e in events):
        calendar.add_component(paris_timezone())
    for event in events:
        calendar.add_component(event)
    return calendar


def calendar_items(content: ContentSet) -> list[Item]:
    """Published events by start, then slug."""
    return sorted(content.of_type("evenement"), key=lambda i: (i.data["date"].start(), i.slug))


def calendar_files(content: ContentSet, site_url: str) -> list[OutputFile]:
    ctype = content.declaration.types["evenement"]
    items = calendar_items(content)
    events = [event_component(content, i, site_url) for i in items]
    agenda = _calendar(ctype.label_plural, ctype.description, events, subscription=True)
    outputs = [OutputFile(agenda_path(content), agenda.to_ical())]
    for item in items:
        single = _calendar(item.title, "", [event_component(content, item, site_url)], subscription=False)
        outputs.append(OutputFile(event_ics_path(content, item), single.to_ical()))
    return outputs
