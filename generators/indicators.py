"""The network in figures: counts over published content, ready to be drawn.

Pure functions over validated content. Each indicator becomes a :class:`Chart`:
its rows (label, value) in a fixed order and the geometry of a horizontal bar
chart, as numbers only. The templates ``portail/chiffres.html`` and
``portail/components/bar_chart.html`` draw the SVG and the data table from
them. :func:`key_figures` gives the headline numbers, shared with the home page.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from .content import ContentSet, Item, iter_values_of_kind
from .pages import PageSpec
from .status import event_is_past
from .territories import Territory, TerritoryIndex, TerritoryNotFound
from .values import DateTimeValue, PartialDate

# Chart layout, in SVG user units: each row is a label line, then its bar, then
# the value just after the bar's end. Labels sit above their bar rather than
# beside it, so long theme names never squeeze the bars.
CHART_WIDTH = 360  # drawn 1:1 on wide screens; scaled down on phones, where text must stay legible
FONT_SIZE = 14
LABEL_GAP = 4  # from a label's baseline to the top of its bar
BAR_HEIGHT = 14
ROW_GAP = 12
VALUE_GAP = 6  # from a bar's end to its value
VALUE_ROOM = 56  # room kept right of the longest bar for its value ("12 345")
MAX_BAR_WIDTH = CHART_WIDTH - VALUE_GAP - VALUE_ROOM
ROW_PITCH = FONT_SIZE + LABEL_GAP + BAR_HEIGHT + ROW_GAP


@dataclass(frozen=True, slots=True)
class Bar:
    """Where one row is drawn: label baseline, bar top and width, value position."""

    label_y: int
    bar_y: int
    width: float
    value_x: float
    value_y: int


@dataclass(frozen=True, slots=True)
class ChartGeometry:
    width: int
    height: int
    max_bar_width: int
    bar_height: int
    font_size: int
    bars: tuple[Bar, ...]


@dataclass(frozen=True, slots=True)
class Chart:
    """One indicator: what the bar chart and its data table show."""

    id: str  # HTML id of the chart's heading; the SVG's ids derive from it
    title: str
    caption: str  # one French sentence or two: what is counted, and how
    unit: str  # what the values count, in the plural ("fiches")
    category: str  # header of the label column ("Thématique")
    value_header: str  # header of the value column ("Nombre de fiches")
    rows: tuple[tuple[str, int], ...]
    geometry: ChartGeometry

    @property
    def entries(self) -> list[tuple[str, int, Bar]]:
        """Rows with their bars, for templates (Jinja has no ``zip``)."""
        return [(label, value, bar) for (label, value), bar in zip(self.rows, self.geometry.bars)]

    @property
    def total(self) -> int:
        return sum(value for _, value in self.rows)


def bar_geometry(values: Sequence[int | float]) -> ChartGeometry:
    """Horizontal bars, one per value, the largest one ``MAX_BAR_WIDTH`` long."""
    peak = max(values, default=0)
    bars = []
    for index, value in enumerate(values):
        label_y = index * ROW_PITCH + FONT_SIZE
        bar_y = label_y + LABEL_GAP
        width = round(value / peak * MAX_BAR_WIDTH, 2) if peak > 0 else 0.0
        # The value's baseline sits low in the bar's band so the digits look centred on it.
        bars.append(Bar(label_y=label_y, bar_y=bar_y, width=width, value_x=round(width + VALUE_GAP, 2), value_y=bar_y + BAR_HEIGHT - 2))
    height = len(bars) * ROW_PITCH - ROW_GAP if bars else 0
    return ChartGeometry(
        width=CHART_WIDTH, height=height, max_bar_width=MAX_BAR_WIDTH, bar_height=BAR_HEIGHT, font_size=FONT_SIZE, bars=tuple(bars)
    )


def make_chart(id: str, title: str, caption: str, unit: str, category: str, value_header: str, rows: Iterable[tuple[str, int]]) -> Chart:
    rows = tuple(rows)
    return Chart(
        id=id, title=title, caption=caption, unit=unit, category=category, value_header=value_header,
        rows=rows, geometry=bar_geometry([value for _, value in rows]),
    )


# -- counting -------------------------------------------------------------------


def _ranked(counts: Counter, order: Sequence[Hashable], labels: dict) -> list[tuple[str, int]]:
    """Largest count first; ties keep ``order`` (the vocabulary's, the regions' codes)."""
    rank = {key: position for position, key in enumerate(order)}
    keys = sorted(counts, key=lambda key: (-counts[key], rank.get(key, len(rank)), str(key)))
    return [(labels[key], counts[key]) for key in keys]


def _chronological(counts: Counter) -> list[tuple[str, int]]:
    return [(str(year), counts[year]) for year in sorted(counts)]


def _term_counts(items: Iterable[Item], field: str) -> Counter:
    """How many items carry each term of ``field`` (a term or a list of terms)."""
    counts: Counter = Counter()
    for item in items:
        value = item.data.get(field)
        terms = value if isinstance(value, list) else [value]
        counts.update({term.key for term in terms if term is not None})
    return counts


def region_code(place: Territory, territories: TerritoryIndex) -> str | None:
    """The region a region, department or commune belongs to."""
    if place.level == "region":
        return place.code
    departement = place.code if place.level == "departement" else place.departement
    if departement:
        try:
            return territories.departement(departement).region or place.region
        except TerritoryNotFound:
            pass
    return place.region


def regions_of(item: Item, content: ContentSet, territories: TerritoryIndex) -> set[str]:
    """Codes of every region the item's territory fields touch."""
    fields = content.declaration.types[item.type].fields
    codes = {region_code(place, territories) for _, place in iter_values_of_kind(fields, item.data, "territoire")}
    codes.discard(None)
    return codes  # type: ignore[return-value]


def _year(value: object) -> int | None:
    if isinstance(value, PartialDate):
        return value.year
    if isinstance(value, DateTimeValue):
        return value.day.year
    return None


def _plural(count: int, singular: str, plural: str) -> str:
    """French: 0 and 1 take the singular."""
    return f"{count} {singular if count < 2 else plural}"


def sheets_by_theme(content: ContentSet) -> Chart:
    vocabulary = content.declaration.vocabularies["thematiques"]
    counts = _term_counts(content.of_type("fiche"), "thematiques")
    labels = {key: term.label for key, term in vocabulary.terms.items()}
    return make_chart(
        "fiches-par-thematique", "Fiches initiatives par thématique",
        "Nombre de fiches initiatives publiées pour chaque thématique. "
        "Une fiche rattachée à plusieurs thématiques compte pour chacune d'elles.",
        "fiches", "Thématique", "Nombre de fiches",
        _ranked(counts, list(vocabulary.terms), labels),
    )


def sheets_by_region(content: ContentSet, territories: TerritoryIndex) -> Chart:
    counts: Counter = Counter()
    for sheet in content.of_type("fiche"):
        counts.update(regions_of(sheet, content, territories))
    regions = territories.regions()
    labels = {region.code: region.name for region in regions}
    return make_chart(
        "fiches-par-region", "Fiches initiatives par région",
        "Nombre de fiches initiatives publiées dans chaque région. Une fiche placée dans un département "
        "ou une commune compte pour sa région ; une fiche qui concerne plusieurs régions compte pour chacune.",
        "fiches", "Région", "Nombre de fiches",
        _ranked(counts, [region.code for region in regions], labels),
    )


def sheets_by_start_year(content: ContentSet) -> Chart:
    sheets = content.of_type("fiche")
    years = [_year(sheet.data.get("date_debut")) for sheet in sheets]
    undated = sum(year is None for year in years)
    caption = "Nombre de fiches initiatives publiées selon l'année où l'initiative a commencé."
    if undated:
        left_out = _plural(undated, "fiche sans date de début n'est pas comptée", "fiches sans date de début ne sont pas comptées")
        caption += f" {left_out}."
    return make_chart(
        "fiches-par-annee", "Fiches initiatives par année de début", caption,
        "fiches", "Année de début", "Nombre de fiches",
        _chronological(Counter(year for year in years if year is not None)),
    )


def events_by_year(content: ContentSet, today: date) -> Chart:
    events = content.of_type("evenement")
    upcoming = sum(not event_is_past(event, today) for event in events)
    years = Counter(_year(event.data.get("date")) for event in events)
    years.pop(None, None)
    caption = "Nombre d'événements publiés dans l'agenda, selon leur année."
    if upcoming:
        announced = _plural(upcoming, "événement annoncé qui n'a", "événements annoncés qui n'ont")
        caption += f" Le total comprend {announced} pas encore eu lieu."
    return make_chart(
        "evenements-par-annee", "Événements par année", caption,
        "événements", "Année", "Nombre d'événements",
        _chronological(years),
    )


def participants_by_year(content: ContentSet, today: date) -> Chart:
    totals: Counter = Counter()
    missing = 0
    for event in content.of_type("evenement"):
        participants, year = event.data.get("participants"), _year(event.data.get("date"))
        if participants is None:
            missing += event_is_past(event, today)
        elif year is not None:
            totals[year] += participants
    caption = "Somme des participants déclarés après les événements de chaque année."
    if missing:
        unknown = _plural(missing, "événement passé n'a", "événements passés n'ont")
        caption += f" {unknown} pas de nombre de participants renseigné."
    return make_chart(
        "participants-par-annee", "Participants aux événements par année", caption,
        "participants", "Année", "Nombre de participants",
        _chronological(totals),
    )


def actors_by_type(content: ContentSet) -> Chart:
    vocabulary = content.declaration.vocabularies["types_acteurs"]
    counts = _term_counts(content.of_type("acteur"), "type")
    labels = {key: term.label for key, term in vocabulary.terms.items()}
    return make_chart(
        "acteurs-par-type", "Acteurs par type de structure",
        "Nombre de structures de l'annuaire des acteurs, selon leur type.",
        "acteurs", "Type de structure", "Nombre d'acteurs",
        _ranked(counts, list(vocabulary.terms), labels),
    )


def indicator_charts(content: ContentSet, today: date, territories: TerritoryIndex | None = None) -> list[Chart]:
    """Every chart of the indicators page, in page order."""
    territories = territories or TerritoryIndex.load()
    return [
        sheets_by_theme(content),
        sheets_by_region(content, territories),
        sheets_by_start_year(content),
        events_by_year(content, today),
        participants_by_year(content, today),
        actors_by_type(content),
    ]


def key_figures(content: ContentSet, territories: TerritoryIndex | None = None) -> list[dict]:
    """Headline numbers (``valeur`` an int, ``libelle`` in French), for the home page too."""
    territories = territories or TerritoryIndex.load()
    sheets = content.of_type("fiche")
    actors = content.of_type("acteur")
    events = content.of_type("evenement")
    participants = sum(event.data.get("participants") or 0 for event in events)
    regions = set().union(*(regions_of(sheet, content, territories) for sheet in sheets))
    figures = [
        (len(sheets), "fiche initiative publiée", "fiches initiatives publiées"),
        (len(actors), "acteur dans l'annuaire", "acteurs dans l'annuaire"),
        (len(events), "événement à l'agenda", "événements à l'agenda"),
        (participants, "participant aux événements", "participants aux événements"),
        (len(regions), "région couverte par les initiatives", "régions couvertes par les initiatives"),
    ]
    return [{"valeur": count, "libelle": singular if count < 2 else plural} for count, singular, plural in figures]


def indicators_page(content: ContentSet, today: date, territories: TerritoryIndex | None = None) -> PageSpec:
    """/chiffres/: key figures and one bar chart per indicator."""
    territories = territories or TerritoryIndex.load()
    return PageSpec(
        src_uri="chiffres.md",
        url="chiffres/",
        title="Le réseau en chiffres",
        template="portail/chiffres.html",
        context={
            "today": today,
            "figures": key_figures(content, territories),
            "charts": indicator_charts(content, today, territories),
        },
        in_nav=True,
        description="Les initiatives par thématique, par région et par année, les événements, leurs participants et les acteurs du réseau.",
    )
