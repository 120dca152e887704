"""``portail importer`` on tests/fixtures/ancien_portail, a folder of pages
saved from an old portal: a sheet in a table layout, a sheet with broken
markup and values that do not map, an event in Windows-1252 declared by a
meta tag, a news item in Windows-1252 declared nowhere, inline styles,
images with relative paths, and a site map that is no content type.

The import runs on a copy of the project (real files, real validator).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import frontmatter
import pytest
import yaml

from generators.cli import main
from generators.content import Validator
from generators.declaration import load_declaration
from generators.importer import _french_date, _french_datetimes
from generators.legacy_html import decode_html

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures" / "ancien_portail"
BASE_URL = "http://www.ec-picardie.example/"
SOURCES = ("mkdocs.yml", "config", "content", "fiches", "theme_overrides")

SHEET = "fiches/synergies-inter-entreprises-sur-la-zone-d-activites-de-vendeuil.md"
BROKEN_SHEET = "fiches/un-atelier-velo-dans-un-quartier.md"
EVENT = "content/evenements/journee-technique-l-ecologie-industrielle-en-milieu-rural.md"
NEWS = "content/actualites/biodechets-les-restaurateurs-trient-a-la-source.md"


def copy_project(target: Path) -> Path:
    for name in SOURCES:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, target / name)
        else:
            shutil.copy2(source, target / name)
    return target


def run_import(root: Path, *extra: str, folder: Path = FIXTURES) -> int:
    return main(["--config", str(root / "mkdocs.yml"), "importer", str(folder), "--base-url", BASE_URL, *extra])


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    """A project copy after one import, with the importer's printed report."""
    import contextlib
    import io

    root = copy_project(tmp_path_factory.mktemp("projet"))
    before = (root / "config" / "redirections.yml").read_text(encoding="utf-8")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = run_import(root)
    return {"root": root, "status": status, "report": out.getvalue(), "table_before": before}


def meta(imported, rel: str) -> dict:
    return frontmatter.load(imported["root"] / rel).metadata


def body(imported, rel: str) -> str:
    return frontmatter.load(imported["root"] / rel).content


# -- what was written ------------------------------------------------------------


def test_each_page_becomes_a_file_of_its_type(imported):
    for rel in (SHEET, BROKEN_SHEET, EVENT, NEWS):
        assert (imported["root"] / rel).is_file(), rel
    assert "importé : initiatives/fiche_12.html (/initiatives/fiche.php?id=12) -> " + SHEET in imported["report"]


def test_the_unclassifiable_page_is_reported_and_not_written(imported):
    assert "non classé : plan-du-site.html" in imported["report"]
    assert "relancez avec --type" in imported["report"]
    assert not list(imported["root"].rglob("plan-du-site.md"))
    assert imported["status"] == 1  # a page was not imported


def test_label_blocks_of_a_table_layout_become_fields(imported):
    data = meta(imported, SHEET)
    assert data["titre"] == "Synergies inter-entreprises sur la zone d'activités de Vendeuil"
    assert data["resume"].startswith("Vingt entreprises d'une zone d'activités de l'Aisne")  # meta description
    assert data["territoires"] == ["Aisne"]
    assert data["thematiques"] == ["ecologie-industrielle-territoriale", "emploi-competences"]
    assert data["partenaires"] == ["auxilia-conseil", "Chambre de commerce de l'Aisne"]  # actor found by name, else the name
    assert data["financeurs"] == ["region-hauts-de-france", "ademe-hauts-de-france"]
    assert data["referent"] == {
        "nom": "Claire Delmotte",
        "fonction": "chargée de mission EIT",
        "email": "c.delmotte@zone-vendeuil.example",
        "telephone": "03 23 45 67 89",
    }
    assert str(data["date_debut"]) == "2015-03" and str(data["date_fin"]) == "2017"
    assert data["site_web"] == "http://www.zone-vendeuil.example/"
    assert data["brouillon"] is True
    assert "a_verifier" not in data  # everything mapped


def test_navigation_share_buttons_and_blocks_are_not_in_the_body(imported):
    text = body(imported, SHEET)
    assert text.startswith("![Réunion des entreprises de la zone autour d'une carte des flux](")
    assert "## Ce qui a été fait" in text and "- un inventaire des flux entrants" in text
    for gone in ("Facebook", "Imprimer", "Accueil", "Mentions légales", "Territoire", "Claire Delmotte", "|"):
        assert gone not in text, gone


def test_links_between_imported_pages_lead_to_the_new_pages(imported):
    assert "[journée technique de Beauvais](../../agenda/journee-technique-l-ecologie-industrielle-en-milieu-rural/)" in body(imported, SHEET)


def test_event_date_place_and_type(imported):
    data = meta(imported, EVENT)
    assert data["titre"] == "Journée technique : l’écologie industrielle en milieu rural"
    assert str(data["date"]) == "2016-03-15 09:30" and str(data["date_fin"]) == "2016-03-15 17:00"
    assert data["lieu"] == {"nom": "CCI de l’Oise", "adresse": "18 rue d’Allonne, 60000 Beauvais", "commune": "Beauvais (60)"}
    assert data["type"] == "journee-technique"
    assert data["organisateurs"] == ["espace-environnement-picardie"]
    assert str(data["mis_a_jour"]) == "2016-03-02"
    assert data["format"] == "presentiel"  # default of config/import.yml, flagged
    assert "« Format » : « presentiel » donné par défaut, la page n'en disait rien" in data["a_verifier"]


def test_windows_1252_pages_are_decoded(imported):
    event, news = body(imported, EVENT), body(imported, NEWS)
    assert "L’après-midi" in event and "« Il faut d’abord" in event  # declared windows-1252
    assert "épluchures" in news and "Depuis l’automne" in news  # declared nowhere
    for text in (event, news, str(meta(imported, NEWS))):
        assert "\ufffd" not in text and "Ã" not in text and "\x92" not in text


def test_broken_markup_and_publication_date(imported):
    data = meta(imported, NEWS)
    assert str(data["date"]) == "2019-02-12"  # "Publié le 12 février 2019"
    assert data["categories"] == ["vie-du-reseau"]
    assert data["thematiques"] == ["biodechets", "allongement-duree-usage"]  # "réemploi" is a synonym
    assert "- 12 restaurants engagés\n- 4 tonnes détournées en trois mois" in body(imported, NEWS)
    sheet = body(imported, BROKEN_SHEET)
    assert "| Année | Vélos réparés |" in sheet  # a data table stays a table
    assert "Couleur du logo" not in sheet


def test_images_are_copied_and_paths_rewritten(imported):
    root = imported["root"]
    media = root / "content" / "medias" / "ancien-portail"
    assert (media / "images" / "initiatives" / "synergies.jpg").read_bytes() == (FIXTURES / "images" / "initiatives" / "synergies.jpg").read_bytes()
    assert (media / "agenda" / "img" / "salle.png").read_bytes() == (FIXTURES / "agenda" / "img" / "salle.png").read_bytes()
    assert "![La salle de la CCI pendant la table ronde](../medias/ancien-portail/agenda/img/salle.png)" in body(imported, EVENT)
    sheet_src = body(imported, SHEET).split("](", 1)[1].split(")", 1)[0]
    assert ((root / SHEET).parent / sheet_src).resolve() == (media / "images" / "initiatives" / "synergies.jpg").resolve()


def test_what_could_not_be_mapped_is_marked_for_an_editor(imported):
    notes = meta(imported, BROKEN_SHEET)["a_verifier"]
    assert "« Territoire » : « Picardie » — territoire inconnu « Picardie » ; vouliez-vous dire « Hauts-de-France » ?" in notes
    assert any(n.startswith("« Thématique » : « Économie circulaire » — « Économie circulaire » n'est pas un terme") for n in notes)
    assert "« Couleur du logo » : « vert » — aucun champ ne correspond" in notes
    assert "« Territoires » (territoires) est obligatoire et la page ne le donne pas : à compléter" in notes
    assert "    à vérifier : « Couleur du logo » : « vert » — aucun champ ne correspond" in imported["report"]


def test_complete_files_validate_and_incomplete_ones_fail_usefully(imported):
    root = imported["root"]
    validator = Validator(load_declaration(root / "config" / "types.yml", root))
    for rel in (SHEET, EVENT, NEWS):
        item, problems = validator.validate_file(root / rel)
        assert problems == [], (rel, [p.format_text() for p in problems])
        assert item is not None and item.draft
    _, problems = validator.validate_file(root / BROKEN_SHEET)
    assert sorted((p.code, p.path) for p in problems) == [("missing_field", "territoires"), ("missing_field", "thematiques")]
    assert f"à corriger : {BROKEN_SHEET}:1:1: territoires: champ obligatoire manquant « territoires »" in imported["report"]


def test_redirect_table_is_merged_without_losing_entries(imported):
    table = imported["root"] / "config" / "redirections.yml"
    text = table.read_text(encoding="utf-8")
    assert text.startswith(imported["table_before"])  # appended only: comments and entries kept
    data = yaml.safe_load(text)
    before = yaml.safe_load(imported["table_before"])
    assert {k: data[k] for k in before} == before
    # The demo table already sends /initiatives/fiche.php?id=12 elsewhere: kept, and said.
    assert data["/initiatives/fiche.php?id=12"] == before["/initiatives/fiche.php?id=12"] != SHEET
    assert f"redirection inchangée : /initiatives/fiche.php?id=12 mène déjà à {before['/initiatives/fiche.php?id=12']}" in imported["report"]
    assert data["/initiatives/fiche.php?id=27"] == BROKEN_SHEET  # from the canonical link
    assert data["/agenda/journee_eit_beauvais.html"] == EVENT  # from --base-url and the file's place
    assert data["/actualites/breve_45.html"] == NEWS
    assert len(data) == len(before) + 3


def test_a_second_run_overwrites_nothing(imported, capsys):
    root = imported["root"]
    files = {rel: (root / rel).read_bytes() for rel in (SHEET, BROKEN_SHEET, EVENT, NEWS, "config/redirections.yml")}
    (root / SHEET).write_text((root / SHEET).read_text(encoding="utf-8") + "\nRelu par une rédactrice.\n", encoding="utf-8")
    files[SHEET] = (root / SHEET).read_bytes()
    status = run_import(root)
    report = capsys.readouterr().out
    assert status == 1
    assert f"ignoré : initiatives/fiche_12.html -> {SHEET} existe déjà, il n'a pas été modifié" in report
    assert "0 page(s) importée(s)" in report and "0 redirection(s) ajoutée(s)" in report
    for rel, data in files.items():
        assert (root / rel).read_bytes() == data, rel


def test_an_existing_file_is_never_overwritten(tmp_path, capsys):
    root = copy_project(tmp_path)
    (root / EVENT).parent.mkdir(parents=True, exist_ok=True)
    (root / EVENT).write_text("déjà là\n", encoding="utf-8")
    status = run_import(root)
    assert status == 1
    assert (root / EVENT).read_text(encoding="utf-8") == "déjà là\n"
    assert (root / SHEET).is_file()  # the others are imported
    data = yaml.safe_load((root / "config" / "redirections.yml").read_text(encoding="utf-8"))
    assert "/agenda/journee_eit_beauvais.html" not in data  # no redirect to a file it did not write


def test_type_can_be_forced(tmp_path, capsys):
    (tmp_path / "projet").mkdir()
    root = copy_project(tmp_path / "projet")
    folder = tmp_path / "pages"
    folder.mkdir()
    shutil.copy2(FIXTURES / "plan-du-site.html", folder / "plan-du-site.html")
    assert run_import(root, "--type", "page", folder=folder) == 0
    data = frontmatter.load(root / "content" / "plan-du-site.md")
    assert data["titre"] == "Plan du site" and data["brouillon"] is True
    # Links to pages that were not imported point to the old site, flagged.
    assert "[Agenda](http://www.ec-picardie.example/agenda/index.php)" in data.content
    assert "lien vers l'ancien site « http://www.ec-picardie.example/agenda/index.php » : à remplacer ou retirer" in data["a_verifier"]


def test_dry_run_writes_nothing(tmp_path, capsys):
    root = copy_project(tmp_path)
    table = (root / "config" / "redirections.yml").read_bytes()
    run_import(root, "--essai")
    assert "importé : initiatives/fiche_12.html" in capsys.readouterr().out
    assert not (root / SHEET).exists() and not (root / "content" / "medias" / "ancien-portail").exists()
    assert (root / "config" / "redirections.yml").read_bytes() == table


def test_usage_errors(tmp_path, capsys):
    root = copy_project(tmp_path)
    assert main(["--config", str(root / "mkdocs.yml"), "importer", str(tmp_path / "absent")]) == 2
    assert main(["--config", str(root / "mkdocs.yml"), "importer", str(FIXTURES), "--type", "inconnu"]) == 2
    assert "type inconnu « inconnu »" in capsys.readouterr().err


# -- pieces ------------------------------------------------------------------------


def test_decoding_rules():
    text = "Réemploi : l’atelier coûte 5 €"
    assert decode_html(text.encode("cp1252")).text == text  # no declaration: guessed
    assert decode_html(b'<meta charset="iso-8859-1">' + text.encode("cp1252")).text.endswith(text)  # read as browsers do
    wrong = decode_html(b'<meta charset="utf-8">' + text.encode("cp1252"))  # a false declaration
    assert wrong.text.endswith(text) and wrong.how == "détecté"
    assert decode_html(b"\xef\xbb\xbf" + text.encode("utf-8")).how == "bom"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("15 mars 2016", "2016-03-15"),
        ("1er février 2019", "2019-02-01"),
        ("12/02/2019", "2019-02-12"),
        ("mars 2015", "2015-03"),
        ("depuis 2017", "2017"),
        ("bientôt", None),
    ],
)
def test_french_dates(text, expected):
    assert _french_date(text) == expected


def test_french_date_with_times():
    assert _french_datetimes("jeudi 3 décembre 2015 de 9 h à 12 h 30") == ("2015-12-03 09:00", "2015-12-03 12:30")
