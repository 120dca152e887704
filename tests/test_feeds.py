"""Feeds and calendars built from the demo content, read back with feedparser
and icalendar as a feed reader or a calendar application would."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import feedparser
import pytest
from icalendar import Calendar

from generators.content import ContentSet, Validator
from generators.declaration import load_declaration
from generators.feeds import MAX_ENTRIES, build_outputs, event_component, event_span
from generators.project import find_project
from generators.values import DateTimeValue

REPO = Path(__file__).resolve().parent.parent
TODAY = date(2026, 11, 24)
SITE_URL = "https://reseau.example.org/"
PARIS = ZoneInfo("Europe/Paris")
FEEDS = {
    "flux/actualites.xml": "actualite",
    "flux/actualites.atom": "actualite",
    "flux/fiches.xml": "fiche",
    "flux/fiches.atom": "fiche",
}


@pytest.fixture(scope="module")
def content() -> ContentSet:
    project = find_project(config=REPO / "mkdocs.yml")
    return Validator(load_declaration(project.declaration_path, project.root)).load()


@pytest.fixture(scope="module")
def outputs(content) -> dict[str, bytes]:
    return {o.path: o.data for o in build_outputs(content, TODAY, SITE_URL)}


def published_slugs(content: ContentSet, type_name: str) -> set[str]:
    return {i.slug for i in content.of_type(type_name)}


def calendar(outputs: dict[str, bytes], path: str = "agenda/agenda.ics") -> Calendar:
    return Calendar.from_ical(outputs[path])


# -- RSS and Atom -------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(FEEDS))
def test_feed_parses_with_one_entry_per_published_item(outputs, content, path):
    parsed = feedparser.parse(outputs[path])
    assert not parsed.bozo, parsed.get("bozo_exception")
    published = published_slugs(content, FEEDS[path])
    assert len(parsed.entries) == min(len(published), MAX_ENTRIES)
    assert parsed.feed.language == "fr"
    assert parsed.feed.link.startswith(SITE_URL)
    slugs = set()
    for entry in parsed.entries:
        assert entry.link.startswith(SITE_URL), entry.link
        assert entry.title and entry.summary
        slugs.add(entry.link.rstrip("/").rsplit("/", 1)[-1])
    assert slugs == published


def test_drafts_stay_out_of_feeds(outputs, content):
    drafts = [i for i in content.items if i.draft]
    assert drafts, "the demo keeps one draft sheet"
    for item in drafts:
        for path in FEEDS:
            assert item.slug.encode() not in outputs[path]


def test_news_feed_is_newest_first_and_dated_by_its_newest_entry(outputs, content):
    parsed = feedparser.parse(outputs["flux/actualites.xml"])
    dates = [parsedate_to_datetime(e.published).date() for e in parsed.entries]
    assert dates == sorted(dates, reverse=True)
    newest = max(i.data["date"].first_day() for i in content.of_type("actualite"))
    assert parsedate_to_datetime(parsed.feed.updated).date() == newest  # lastBuildDate
    atom = feedparser.parse(outputs["flux/actualites.atom"])
    assert atom.feed.updated.startswith(newest.isoformat())


def test_sheet_feed_order_and_dates_never_after_today(outputs, content):
    parsed = feedparser.parse(outputs["flux/fiches.atom"])
    items = {i.slug: i for i in content.of_type("fiche")}

    def key(slug: str) -> date:
        value = items[slug].data.get("mis_a_jour") or items[slug].data.get("date_debut")
        return value.first_day() if value is not None else date.min

    slugs = [e.link.rstrip("/").rsplit("/", 1)[-1] for e in parsed.entries]
    assert slugs == sorted(sorted(slugs), key=key, reverse=True)
    assert key(slugs[0]) > TODAY, "the demo has sheets starting after the build date"
    for entry in parsed.entries:
        assert date.fromisoformat(entry.updated[:10]) <= TODAY
    assert parsed.feed.updated.startswith(TODAY.isoformat())


def test_feed_categories_are_theme_labels(outputs, content):
    parsed = feedparser.parse(outputs["flux/fiches.xml"])
    sheet = content.find("fiche", "eit-thur-doller")
    entry = next(e for e in parsed.entries if e.link.endswith("/eit-thur-doller/"))
    assert [t.term for t in entry.tags] == [t.label for t in sheet.data["thematiques"]]


def test_without_site_url_links_are_relative_to_the_feed(content):
    outputs = {o.path: o.data for o in build_outputs(content, TODAY, "")}
    for path in FEEDS:
        parsed = feedparser.parse(outputs[path])
        assert not parsed.bozo, parsed.get("bozo_exception")
        assert all(e.link.startswith("../") for e in parsed.entries)
    atom = feedparser.parse(outputs["flux/fiches.atom"])
    assert all(e.id.startswith("urn:portail:fiche:") for e in atom.entries)
    event = calendar(outputs).walk("VEVENT")[0]
    assert str(event["UID"]).endswith("@portail.invalid")
    assert "URL" not in event


# -- iCalendar ----------------------------------------------------------------


def test_agenda_has_every_published_event_with_unique_uids(outputs, content):
    events = calendar(outputs).walk("VEVENT")
    assert len(events) == len(content.of_type("evenement"))
    uids = [str(e["UID"]) for e in events]
    assert len(set(uids)) == len(uids)
    assert {u.split("@")[0] for u in uids} == published_slugs(content, "evenement")
    assert all(u.endswith("@reseau.example.org") for u in uids)


def test_known_event_date_place_and_link(outputs):
    event = next(e for e in calendar(outputs).walk("VEVENT") if str(e["UID"]).startswith("couches-lavables-corbeny-2016@"))
    start = event.decoded("DTSTART")
    assert start.date() == date(2016, 11, 15)
    assert start == datetime(2016, 11, 15, 9, 30, tzinfo=PARIS)
    assert event.decoded("DTEND") == datetime(2016, 11, 15, 17, 0, tzinfo=PARIS)
    assert "Corbeny" in str(event["LOCATION"])
    assert "Salle des fêtes" in str(event["LOCATION"])
    url = SITE_URL + "agenda/couches-lavables-corbeny-2016/"
    assert str(event["URL"]) == url
    assert url in str(event["DESCRIPTION"])
    assert "Prévention des déchets" in event["CATEGORIES"].cats


def test_timed_events_use_the_paris_time_zone(outputs):
    cal = calendar(outputs)
    assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == ["Europe/Paris"]
    for event in cal.walk("VEVENT"):
        for name in ("DTSTART", "DTEND"):
            if isinstance(event.decoded(name), datetime):
                assert event[name].params["TZID"] == "Europe/Paris"
        assert event.decoded("DTSTAMP").utcoffset() == timedelta(0)


def test_vtimezone_agrees_with_the_tz_database(outputs):
    zone = calendar(outputs).walk("VTIMEZONE")[0].to_tz()
    moment = datetime(2000, 1, 1)
    while moment < datetime(2037, 12, 31):
        assert zone.utcoffset(moment) == PARIS.utcoffset(moment), moment
        moment += timedelta(hours=11)


def test_one_calendar_per_event_beside_its_page(outputs, content):
    agenda_uids = {str(e["UID"]) for e in calendar(outputs).walk("VEVENT")}
    for item in content.of_type("evenement"):
        path = f"agenda/{item.slug}/evenement.ics"
        events = calendar(outputs, path).walk("VEVENT")
        assert len(events) == 1
        assert str(events[0]["UID"]) in agenda_uids


def test_dtstamp_comes_from_content_not_the_clock(outputs, content):
    event = next(e for e in calendar(outputs).walk("VEVENT") if str(e["UID"]).startswith("couches-lavables-corbeny-2016@"))
    assert event.decoded("DTSTAMP") == datetime(2016, 11, 15, 9, 30, tzinfo=PARIS)


def test_draft_events_are_left_out(content):
    event = content.of_type("evenement")[0]
    drafted = ContentSet(content.declaration, items=[replace(event, draft=True)] + [i for i in content.items if i is not event])
    outputs = {o.path: o.data for o in build_outputs(drafted, TODAY, SITE_URL)}
    assert f"agenda/{event.slug}/evenement.ics" not in outputs
    assert len(calendar(outputs).walk("VEVENT")) == len(content.of_type("evenement")) - 1


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        # no time: whole days, end day exclusive
        (DateTimeValue(date(2027, 3, 2)), None, (date(2027, 3, 2), date(2027, 3, 3))),
        (DateTimeValue(date(2027, 3, 2)), DateTimeValue(date(2027, 3, 4)), (date(2027, 3, 2), date(2027, 3, 5))),
        # a time and no end: two hours
        (DateTimeValue(date(2027, 3, 2), datetime(1, 1, 1, 14, 0).time()), None,
         (datetime(2027, 3, 2, 14, 0, tzinfo=PARIS), datetime(2027, 3, 2, 16, 0, tzinfo=PARIS))),
        # a time and a later day without time: to the end of that day
        (DateTimeValue(date(2027, 3, 2), datetime(1, 1, 1, 14, 0).time()), DateTimeValue(date(2027, 3, 3)),
         (datetime(2027, 3, 2, 14, 0, tzinfo=PARIS), datetime(2027, 3, 4, 0, 0, tzinfo=PARIS))),
        # over several days, with times
        (DateTimeValue(date(2027, 3, 2), datetime(1, 1, 1, 9, 0).time()), DateTimeValue(date(2027, 3, 3), datetime(1, 1, 1, 12, 0).time()),
         (datetime(2027, 3, 2, 9, 0, tzinfo=PARIS), datetime(2027, 3, 3, 12, 0, tzinfo=PARIS))),
    ],
)
def test_event_span(content, start, end, expected):
    event = content.find("evenement", "couches-lavables-corbeny-2016")
    data = {**event.data, "date": start}
    data.pop("date_fin")
    if end is not None:
        data["date_fin"] = end
    assert event_span(replace(event, data=data)) == expected


def test_all_day_event_is_written_as_dates(content):
    event = content.find("evenement", "couches-lavables-corbeny-2016")
    data = {**event.data, "date": DateTimeValue(date(2027, 3, 2)), "date_fin": DateTimeValue(date(2027, 3, 4))}
    text = event_component(content, replace(event, data=data), SITE_URL).to_ical().decode()
    assert "DTSTART;VALUE=DATE:20270302" in text
    assert "DTEND;VALUE=DATE:20270305" in text


def test_same_input_same_bytes(content, outputs):
    again = {o.path: o.data for o in build_outputs(content, TODAY, SITE_URL)}
    assert again == outputs
    for path, data in outputs.items():
        assert b"python-feedgen" not in data, path
