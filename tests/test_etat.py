"""``portail etat``: the editors' report, on a real Git repository whose
commits carry controlled dates (``GIT_AUTHOR_DATE`` / ``GIT_COMMITTER_DATE``)."""

from __future__ import annotations

import os
import subprocess
from datetime import date
from pathlib import Path

import pytest
import yaml

from generators.cli import main
from generators.content import Validator
from generators.declaration import load_declaration
from generators.report import build_report, format_markdown, format_text, git_last_changes, last_changes, months_before

TODAY = date(2026, 11, 24)


def fiche(title: str, extra: str = "") -> str:
    return f"---\ntitre: {title}\nresume: Un résumé.\nterritoires: [Somme]\nthematiques: [recyclage]\n{extra}---\n\nLe texte.\n"


def event(title: str, when: str, extra: str = "", body: str = "Le compte rendu.\n") -> str:
    return (
        f"---\ntitre: {title}\nresume: Un résumé.\ndate: {when}\nformat: presentiel\ntype: formation-action\n"
        f"thematiques: [recyclage]\n{extra}---\n\n{body}"
    )


def aid(title: str, deadline: str) -> str:
    return (
        f"---\ntitre: {title}\nresume: Un résumé.\nfinanceurs: [Un financeur]\nterritoires: [Somme]\n"
        f"beneficiaires: [associations]\ntype_aide: [subvention]\ndate_limite: {deadline}\n---\n"
    )


def git(root: Path, *args: str, when: str | None = None) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "t@example.org"}
    if when:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = f"{when}T12:00:00+00:00"
    subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)


def commit(root: Path, files: dict[str, str], when: str) -> None:
    for rel, text in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    git(root, "add", *files)
    git(root, "commit", "-q", "-m", f"contenus du {when}", when=when)


@pytest.fixture
def repo(make_project) -> Path:
    root = make_project()
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "commit.gpgsign", "false")
    commit(root, {
        "fiches/ancienne.md": fiche("Une fiche ancienne"),
        "fiches/revue.md": fiche("Une fiche revue depuis"),
        "content/evenements/atelier-sans-bilan.md": event("Un atelier sans bilan", "2026-03-10 09:30"),
    }, "2024-01-10")
    commit(root, {
        "fiches/revue.md": fiche("Une fiche revue depuis", "labels: [Revu]\n"),
        "content/evenements/journee-racontee.md": event("Une journée racontée", "2026-03-12", "participants: 40\n"),
        "content/evenements/atelier-a-venir.md": event("Un atelier à venir", "2027-02-01"),
        "content/evenements/visite-sans-texte.md": event("Une visite sans texte", "2026-05-01", "participants: 12\n", body=""),
        "content/dispositifs/aide-close.md": aid("Une aide close", "2026-01-31"),
        "content/dispositifs/aide-ouverte.md": aid("Une aide ouverte", "2027-06-30"),
        "fiches/brouillon.md": fiche("Un brouillon", "brouillon: oui\n"),
        "content/evenements/reference-cassee.md": event("Une référence cassée", "2027-03-01", "fiches_liees: [fiche-inexistante]\n"),
    }, "2026-06-01")
    # Never committed: dated by its mis_a_jour field, then by the file itself.
    (root / "fiches" / "hors-git.md").write_text(fiche("Une fiche hors Git", "mis_a_jour: 2020-03\n"), encoding="utf-8")
    return root


def report(root: Path, months: int = 12):
    declaration = load_declaration(root / "config" / "types.yml", root)
    content = Validator(declaration).load()
    return {s.key: s for s in build_report(content, last_changes(content, root), TODAY, months)}


def test_git_dates_come_from_one_log_of_the_history(repo):
    changes = git_last_changes(repo)
    assert changes["fiches/ancienne.md"] == date(2024, 1, 10)
    assert changes["fiches/revue.md"] == date(2026, 6, 1)  # the latest commit wins
    assert "fiches/hors-git.md" not in changes


def test_not_a_repository_gives_no_git_dates(tmp_path):
    assert git_last_changes(tmp_path) == {}


def test_stale_items_from_git_then_mis_a_jour(repo):
    stale = report(repo)["a_mettre_a_jour"]
    assert stale.title == "Contenus non mis à jour depuis plus de 12 mois"
    rows = {row[0]: row[2:] for row in stale.rows}
    assert rows == {
        "content/evenements/atelier-sans-bilan.md": ("2024-01-10", "historique Git"),
        "fiches/ancienne.md": ("2024-01-10", "historique Git"),
        "fiches/hors-git.md": ("2020-03-31", "champ mis_a_jour"),
    }


def test_months_threshold(repo):
    stale = report(repo, months=36)["a_mettre_a_jour"]
    assert [row[0] for row in stale.rows] == ["fiches/hors-git.md"]
    assert months_before(date(2026, 3, 31), 1) == date(2026, 2, 28)
    assert months_before(date(2026, 1, 15), 13) == date(2024, 12, 15)


def test_past_events_missing_participants_or_write_up(repo):
    rows = {row[0]: row[3] for row in report(repo)["evenements_a_completer"].rows}
    assert rows == {
        # committed before it took place and never touched again: no write-up yet
        "content/evenements/atelier-sans-bilan.md": "nombre de participants, compte rendu",
        "content/evenements/visite-sans-texte.md": "compte rendu",
    }


def test_closed_aids_drafts_and_broken_references(repo):
    sections = report(repo)
    assert sections["aides_closes"].rows == (("content/dispositifs/aide-close.md", "Une aide close", "2026-01-31"),)
    assert sections["brouillons"].rows == (("fiches/brouillon.md", "Un brouillon"),)
    (where, field, message), = sections["references_cassees"].rows
    assert where == "content/evenements/reference-cassee.md:8"
    assert field == "fiches_liees[0]"
    assert "fiche-inexistante" in message


def test_markdown_and_text_output(repo, capsys):
    assert main(["--config", str(repo / "mkdocs.yml"), "etat", "--date", TODAY.isoformat(), "--format", "markdown"]) == 0
    markdown = capsys.readouterr().out
    assert markdown.startswith("## État des contenus au 2026-11-24\n")
    assert "| Aides dont la date limite est passée | 1 |" in markdown
    assert "| `content/dispositifs/aide-close.md` | Une aide close | 2026-01-31 |" in markdown
    assert main(["--config", str(repo / "mkdocs.yml"), "etat", "--date", TODAY.isoformat()]) == 0
    text = capsys.readouterr().out
    assert "Brouillons : 1\n" in text
    line = next(l for l in text.splitlines() if "fiches/brouillon.md" in l)
    heading = text.splitlines()[text.splitlines().index(line) - 2]
    assert line.index("Un brouillon") == heading.index("Titre")  # aligned columns


def test_months_default_from_the_plugin_option(repo, capsys):
    mkdocs = repo / "mkdocs.yml"
    config = yaml.safe_load(mkdocs.read_text(encoding="utf-8"))
    config["plugins"][0]["portail"]["etat_mois"] = 36
    mkdocs.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    assert main(["--config", str(mkdocs), "etat", "--date", TODAY.isoformat()]) == 0
    assert "Contenus non mis à jour depuis plus de 36 mois : 1\n" in capsys.readouterr().out
    assert main(["--config", str(mkdocs), "etat", "--mois", "0"]) == 2
