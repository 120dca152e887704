"""Build tests: the demo site built by MkDocs with the portail plugin, read back
as HTML. One build per module (about two seconds), shared by the tests."""

from __future__ import annotations

import filecmp
import logging
import re
import shutil
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest

from generators.build import BuildFailed, build_site
from generators.content import Validator
from generators.declaration import load_declaration
from generators.project import find_project
from sitebuild import site_pages

REPO = Path(__file__).resolve().parent.parent
TODAY = date(2026, 11, 24)


class _Text(HTMLParser):
    """Visible text and links of a page, to assert on what a reader sees."""

    def __init__(self) -> None:
        super().__init__()
        self.chunks: list[str] = []
        self.links: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        if tag == "a":
            self.links.extend(v for k, v in attrs if k == "href" and v)

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.chunks.append(data)

    @property
    def text(self) -> str:
        return re.sub(r"\s+", " ", " ".join(self.chunks))


def read_page(site: Path, url: str) -> _Text:
    parser = _Text()
    parser.feed((site / url / "index.html").read_text(encoding="utf-8"))
    return parser


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A copy of the repository's site sources, so tests may break it."""
    root = tmp_path_factory.mktemp("repo")
    for name in ("mkdocs.yml", "config", "content", "fiches", "theme_overrides"):
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, root / name)
        else:
            shutil.copy(source, root / name)
    return find_project(config=root / "mkdocs.yml")


@pytest.fixture(scope="module")
def content(project):
    return Validator(load_declaration(project.declaration_path, project.root)).load()


@pytest.fixture(scope="module")
def site(project):
    return build_site(project, today=TODAY)


def test_demo_content_is_valid_and_complete(content):
    assert content.problems == []
    counts = {name: len(content.of_type(name)) for name in content.declaration.types}
    assert counts["fiche"] >= 40
    assert counts["evenement"] >= 12
    assert counts["ressource"] >= 8
    assert counts["actualite"] >= 6
    assert counts["acteur"] >= 20
    assert counts["dispositif"] >= 4
    themes = {t.key for item in content.of_type("fiche") for t in item.data.get("thematiques", [])}
    assert themes == set(content.declaration.vocabularies["thematiques"].terms)


def test_every_published_item_has_its_page(site, content):
    for item in content.items:
        ctype = content.declaration.types[item.type]
        if "{chemin}" in ctype.url:
            continue
        url = ctype.url.replace("{slug}", item.slug)
        assert (site / url / "index.html").is_file() != item.draft, item.source


def test_drafts_are_not_published(site, content):
    drafts = [i for i in content.items if i.draft]
    assert drafts, "the demo keeps one draft to prove it stays out"
    for item in drafts:
        assert not (site / "fiches" / item.slug).exists()
        assert item.title not in (site / "fiches" / "index.html").read_text(encoding="utf-8")


def test_sheet_page_shows_its_panel(site, content):
    page = read_page(site, "fiches/eit-thur-doller")
    item = content.find("fiche", "eit-thur-doller")
    assert item.title in page.text
    assert "Porteur Maison de l'emploi et de la formation Thur Doller" in page.text
    assert "../../annuaire/mef-thur-doller/" in page.links
    # The leading zero survives YAML and the number is shown the French way.
    assert "03 89 35 35 70" in page.text
    assert "tel:+33389353570" in page.links
    assert "Début 2015" in page.text
    assert "Projet multi-sites Non" in page.text
    assert re.search(r"Flux de matières Textiles\W+Bois\W+Cartons", page.text)
    assert "27 pistes de synergies" in page.text


def test_event_dates_are_french(site, content):
    page = read_page(site, "agenda/couches-lavables-corbeny-2016")
    assert "mardi 15 novembre 2016" in page.text
    assert "Corbeny" in page.text


def test_listings_count_what_is_published(site, content):
    for type_name, url in (("fiche", "fiches"), ("acteur", "annuaire"), ("evenement", "agenda"), ("dispositif", "aides"), ("actualite", "actualites")):
        pages = [site / url / "index.html", *sorted((site / url / "page").glob("*/index.html"))]
        html = "".join(p.read_text(encoding="utf-8") for p in pages)
        published = content.of_type(type_name)
        cards = re.findall(r'class="portail-card portail-card--(\w+)"', html)
        assert cards == [type_name] * len(published), type_name
        assert f"{len(published)} " in read_page(site, url).text


def test_long_listings_are_paginated(site, content):
    sheets = content.of_type("fiche")
    assert len(sheets) > 30
    first, second = read_page(site, "fiches"), read_page(site, "fiches/page/2")
    assert "éléments 1 à 30" in first.text and f"éléments 31 à {len(sheets)}" in second.text
    assert "page/2/" in first.links


def test_term_and_territory_pages_count_across_types(site, content):
    tagged = [i for i in content.items if not i.draft and any(t.key == "recyclage" for t in i.data.get("thematiques", []))]
    page = read_page(site, "thematiques/recyclage")
    assert f"{len(tagged)} contenus" in page.text
    for item in tagged:
        assert item.title in page.text
    somme = read_page(site, "territoires/80-somme")
    assert "Somme" in somme.text and "Amiens Métropole" in somme.text
    assert "../80-somme/" in read_page(site, "territoires/hauts-de-france").links


def test_agenda_splits_upcoming_and_past(site, content):
    page = read_page(site, "agenda")
    upcoming_at = page.text.index("À venir")
    past_at = page.text.index("Événements passés")
    assert upcoming_at < page.text.index("Réunion plénière du réseau économie circulaire Hauts-de-France") < past_at
    assert page.text.index("Promotion des couches lavables") > past_at


def test_aid_scheme_shows_status_and_amounts(site):
    page = read_page(site, "aides/politique-territoriale-economie-circulaire-occitanie")
    assert "Clos depuis le 29 mai 2020" in page.text
    # The reader's text is whitespace-normalised: narrow and plain no-break spaces become spaces.
    assert "50 000 €" in page.text and "100 000 €" in page.text and "70 %" in page.text
    html = (site / "aides/politique-territoriale-economie-circulaire-occitanie/index.html").read_text(encoding="utf-8")
    assert "50\u202f000\u00a0€" in html
    assert "Ouvert" in read_page(site, "aides/aap-reemploi-reparation-hauts-de-france").text


def test_guide_chapters_are_ordered_and_linked(site):
    page = read_page(site, "ressources/guide-ess-ec-collectivites-2-1-acteurs")
    assert re.search(r"1\.1 – .*2\.1 – .*2\.2 – ", page.text)
    assert "../guide-ess-ec-collectivites-2-2-leviers/" in page.links
    assert "../guide-ess-ec-collectivites-1-1-definitions/" in page.links


def test_contributors_guide_documents_every_field_and_term(site, content):
    page = read_page(site, "contribuer")
    for ctype in content.declaration.types.values():
        assert ctype.label in page.text
        for name in ctype.fields:
            assert name in page.text, (ctype.name, name)
    for vocabulary in content.declaration.vocabularies.values():
        for term in vocabulary.terms.values():
            assert term.key in page.text and term.label in page.text


def test_documents_are_published_with_type_and_size(site):
    page = read_page(site, "agenda/couches-lavables-corbeny-2016")
    assert re.search(r"\(PDF, \d+ ko\)", page.text)
    for href in page.links:
        if href.endswith(".pdf"):
            assert (site / "agenda" / "couches-lavables-corbeny-2016" / href).resolve().is_file()


def test_the_site_has_no_empty_folder(site):
    """The pages' folders are made ahead of their files (emit.FolderMaker):
    only folders that receive a file."""
    empty = [p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_dir() and not any(p.iterdir())]
    assert empty == []


def test_no_email_address_in_plain_text(site):
    html = (site / "fiches" / "eit-thur-doller" / "index.html").read_text(encoding="utf-8")
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert not re.search(r"mailto:|[\w.+-]+@[\w-]+\.(fr|org|com)\b", text), page
    assert html


def test_same_input_gives_identical_output(project, site, tmp_path):
    import gc

    thresholds = gc.get_threshold()
    again = build_site(project, today=TODAY, site_dir=tmp_path / "again")
    # The build froze its objects once planned (plugin._freeze) and thawed them at the end.
    assert gc.get_freeze_count() == 0 and gc.get_threshold() == thresholds
    # Nor does it leave its log filter (plugin._Linked) on MkDocs' logger.
    assert not [f for f in logging.getLogger("mkdocs.commands.build").filters if type(f).__name__ == "_Linked"]
    comparison = filecmp.dircmp(site, again)

    def differences(cmp) -> list[str]:
        found = cmp.diff_files + cmp.left_only + cmp.right_only
        for sub in cmp.subdirs.values():
            found += differences(sub)
        return found

    assert differences(comparison) == []


def test_bad_content_stops_the_build_and_keeps_the_site(project, site, tmp_path):
    target = tmp_path / "published"
    build_site(project, today=TODAY, site_dir=target)
    before = sorted(p.relative_to(target) for p in target.rglob("*"))
    bad = project.root / "fiches" / "zz-mauvaise.md"
    bad.write_text("---\ntitre: Sans thème\nresume: x\nterritoires: [Somme]\nthematique: [recyclage]\n---\n", encoding="utf-8")
    try:
        with pytest.raises(BuildFailed):
            build_site(project, today=TODAY, site_dir=target)
    finally:
        bad.unlink()
    assert sorted(p.relative_to(target) for p in target.rglob("*")) == before
    assert not list(target.parent.glob(".site-*"))


def _head(site: Path, url: str) -> str:
    return (site / url / "index.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("url", "schema_type"),
    [
        ("agenda/couches-lavables-corbeny-2016", "Event"),
        ("annuaire/mef-thur-doller", "Organization"),
        ("actualites/retour-journee-regionale-acteurs-ess-economie-circulaire-2018", "NewsArticle"),
        ("aides/politique-territoriale-economie-circulaire-occitanie", "MonetaryGrant"),
        ("ressources/guide-ess-ec-collectivites-2-2-leviers", "CreativeWork"),
        ("fiches/eit-thur-doller", "CreativeWork"),
    ],
)
def test_json_ld_describes_each_type(site, url, schema_type):
    import json

    html = _head(site, url)
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert len(blocks) == 1
    data = json.loads(blocks[0])
    assert data["@context"] == "https://schema.org" and data["@type"] == schema_type
    assert data["mainEntityOfPage"] == f"https://reseau-economie-circulaire.example.org/{url}/"
    if schema_type == "Event":
        assert data["startDate"] == "2016-11-15T09:30:00+01:00"
        assert data["location"]["address"]["addressLocality"] == "Corbeny"
    if schema_type == "MonetaryGrant":
        assert data["amount"]["maxValue"] == 100000


def test_every_page_has_canonical_and_social_meta(site):
    for page in site_pages(site):
        html = page.read_text(encoding="utf-8")
        assert '<link rel="canonical" href="https://reseau-economie-circulaire.example.org/' in html, page
        for name in ('property="og:title"', 'property="og:description"', 'name="twitter:card"', 'property="og:locale" content="fr_FR"'):
            assert name in html, (page, name)
    assert '<html lang="fr"' in _head(site, "fiches/eit-thur-doller")


def test_sitemap_lists_item_pages(site):
    sitemap = (site / "sitemap.xml").read_text(encoding="utf-8")
    assert "https://reseau-economie-circulaire.example.org/fiches/eit-thur-doller/" in sitemap


def test_theme_markup_fixes_still_apply():
    """Each fix in THEME_MARKUP_FIXES targets markup the theme still writes."""
    from generators.plugin import THEME_MARKUP_FIXES

    base = (Path(__import__("material").__file__).parent / "templates" / "base.html").read_text(encoding="utf-8")
    for wrong, _ in THEME_MARKUP_FIXES:
        assert wrong in base, f"mkdocs-material no longer writes {wrong!r}: drop the fix"


@pytest.mark.parametrize(
    "body",
    [
        "Contact: Marie Durand\nHoraires: le mardi\n\nLa suite du texte.\n",  # MultiMarkdown metadata, if read as such
        "---\ntitle: pas un titre\n---\n\nUn filet, une ligne, un filet.\n",  # a YAML block, if first
        "\n\nDeux lignes vides d'abord.\n",
    ],
)
def test_mkdocs_reads_a_generated_page_as_its_body_without_metadata(body):
    """The plugin hands MkDocs the body only (titles and templates are set by
    on_page_markdown): whatever the body starts with, none of it is taken
    for metadata, and MkDocs gives back the body as it is."""
    from mkdocs.utils.meta import get_data

    from generators.pages import PageSpec
    from generators.plugin import _page_meta, _page_source

    spec = PageSpec(src_uri="fiches/x.md", url="fiches/x/", title="Titre : « x »", template="portail/item.html", markdown=body)
    assert get_data(_page_source(spec)) == (body.lstrip("\n"), {})
    assert _page_meta(spec) == {"title": "Titre : « x »", "template": "portail/item.html"}
