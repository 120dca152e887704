"""``portail etat``: what needs an editor's attention.

Five lists, each a pure function of the validated content, the last-change
date of every file and ``today``:

* items not changed for more than N months (the date of their last commit,
  else their ``mis_a_jour`` field, else the file's modification time);
* past events without a number of participants, or without a write-up (an
  empty body, or a file not changed since the event);
* aid schemes whose deadline has passed;
* drafts;
* references to content that does not exist.

The last-change dates come from a single ``git log`` over the whole history
(one call, not one per file).
"""

from __future__ import annotations

import calendar
import os
import subprocess
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

from .content import ContentSet, Item
from .status import event_end_day
from .values import PartialDate

DEFAULT_MONTHS = 12
BROKEN_REFERENCE_CODES = frozenset({"unknown_reference"})


@dataclass(frozen=True, slots=True)
class Changed:
    """When a file last changed, and how we know."""

    day: date
    source: str  # "git", "mis_a_jour" or "fichier"


@dataclass(frozen=True, slots=True)
class Section:
    """One list of the report: a French title, column headings and rows."""

    key: str
    title: str
    headings: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


SOURCE_WORDS = {"git": "historique Git", "mis_a_jour": "champ mis_a_jour", "fichier": "date du fichier"}


def git_last_changes(root: Path) -> dict[str, date]:
    """Last commit day of every file under ``root`` (paths relative to it).

    One ``git log`` walks the history newest first; the first time a path
    shows up is its last change. Outside a repository, or without git: {}.
    """
    try:
        result = subprocess.run(
            ["git", "-c", "core.quotepath=off", "log", "--relative", "--format=%x00%cI", "--name-only", "--no-renames", "--", "."],
            cwd=root,
            capture_output=True,
            text=True,
            encoding="utf-8",
            check=False,
        )
    except OSError:
        return {}
    if result.returncode != 0:
        return {}
    changes: dict[str, date] = {}
    current: date | None = None
    for line in result.stdout.splitlines():
        if line.startswith("\x00"):
            current = datetime.fromisoformat(line[1:].strip()).astimezone(timezone.utc).date()
        elif line and current is not None:
            changes.setdefault(line, current)
    return changes


def last_changes(content: ContentSet, root: Path) -> dict[str, Changed]:
    """The last-change date of every item's file, by the best source at hand."""
    from_git = git_last_changes(root)
    changes: dict[str, Changed] = {}
    for item in content.items:
        if item.source in from_git:
            changes[item.source] = Changed(from_git[item.source], "git")
            continue
        written = item.data.get("mis_a_jour")
        if isinstance(written, PartialDate):
            changes[item.source] = Changed(written.last_day(), "mis_a_jour")
            continue
        try:
            stamp = os.stat(root / item.source).st_mtime
        except OSError:
            continue
        changes[item.source] = Changed(datetime.fromtimestamp(stamp, timezone.utc).date(), "fichier")
    return changes


def months_before(day: date, months: int) -> date:
    """The same day ``months`` months earlier (the 31st becomes the month's last day)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def build_report(content: ContentSet, changes: dict[str, Changed], today: date, months: int = DEFAULT_MONTHS) -> list[Section]:
    """Every section, in a fixed order, rows sorted by file: same input, same report."""
    items = sorted(content.items, key=lambda i: i.source)
    return [
        _stale(items, changes, today, months),
        _events_to_complete(content, changes, today),
        _closed_aids(content, today),
        _drafts(items),
        _broken_references(content),
    ]


def _stale(items: list[Item], changes: dict[str, Changed], today: date, months: int) -> Section:
    cutoff = months_before(today, months)
    rows = []
    for item in items:
        changed = changes.get(item.source)
        if changed is not None and changed.day < cutoff:
            rows.append((item.source, item.title, changed.day.isoformat(), SOURCE_WORDS[changed.source]))
    return Section(
        "a_mettre_a_jour",
        f"Contenus non mis à jour depuis plus de {months} mois",
        ("Fichier", "Titre", "Dernière modification", "Selon"),
        tuple(rows),
    )


def _events_to_complete(content: ContentSet, changes: dict[str, Changed], today: date) -> Section:
    rows = []
    for item in sorted(content.of_type("evenement", drafts=True), key=lambda i: i.source):
        end = event_end_day(item)
        if end is None or end >= today:
            continue
        missing = []
        if item.data.get("participants") is None:
            missing.append("nombre de participants")
        changed = changes.get(item.source)
        if not item.body.strip() or (changed is not None and changed.day <= end):
            missing.append("compte rendu")
        if missing:
            rows.append((item.source, item.title, end.isoformat(), ", ".join(missing)))
    return Section("evenements_a_completer", "Événements passés à compléter", ("Fichier", "Titre", "Date", "Manque"), tuple(rows))


def _closed_aids(content: ContentSet, today: date) -> Section:
    rows = []
    for item in sorted(content.of_type("dispositif", drafts=True), key=lambda i: i.source):
        deadline = item.data.get("date_limite")
        if isinstance(deadline, PartialDate) and deadline.last_day() < today:
            rows.append((item.source, item.title, deadline.iso()))
    return Section("aides_closes", "Aides dont la date limite est passée", ("Fichier", "Titre", "Date limite"), tuple(rows))


def _drafts(items: list[Item]) -> Section:
    rows = tuple((item.source, item.title) for item in items if item.draft)
    return Section("brouillons", "Brouillons", ("Fichier", "Titre"), rows)


def _broken_references(content: ContentSet) -> Section:
    rows = tuple(
        (f"{p.file}:{p.line}", p.path, p.message)
        for p in content.problems
        if p.code in BROKEN_REFERENCE_CODES
    )
    return Section("references_cassees", "Références vers un contenu inexistant", ("Fichier", "Champ", "Problème"), rows)


def format_text(sections: list[Section], today: date) -> str:
    """Plain aligned tables for a terminal."""
    out = [f"État des contenus au {today.isoformat()}", ""]
    for section in sections:
        out.append(f"{section.title} : {len(section.rows) or 'aucun'}")
        if section.rows:
            widths = [max(len(row[i]) for row in (section.headings, *section.rows)) for i in range(len(section.headings))]
            for index, row in enumerate((section.headings, *section.rows)):
                out.append("  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
                if index == 0:
                    out.append("  " + "  ".join("-" * width for width in widths))
        out.append("")
    return "\n".join(out)


def format_markdown(sections: list[Section], today: date) -> str:
    """GitHub-flavoured Markdown, for a CI job summary or an issue."""
    out = [f"## État des contenus au {today.isoformat()}", ""]
    out.append("| Point à vérifier | Nombre |")
    out.append("| --- | ---: |")
    for section in sections:
        out.append(f"| {section.title} | {len(section.rows)} |")
    for section in sections:
        if not section.rows:
            continue
        out += ["", f"### {section.title}", ""]
        out.append("| " + " | ".join(section.headings) + " |")
        out.append("|" + " --- |" * len(section.headings))
        for row in section.rows:
            cells = [f"`{row[0]}`", *(_cell(c) for c in row[1:])]
            out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
