"""Unit tests of the field validators (``generators.fields``) and values (``generators.values``)."""

from __future__ import annotations

from datetime import date, time
from pathlib import Path

import pytest

from conftest import REPO
from generators.content import _before
from generators.declaration import FieldSpec, load_declaration
from generators.fields import (
    FieldContext,
    FieldError,
    closest_key,
    parse_partial_date,
    siret_problem,
    slugify,
    validate_booleen,
    validate_coordonnees,
    validate_date,
    validate_date_heure,
    validate_email_field,
    validate_entier,
    validate_fichier,
    validate_montant,
    validate_nombre,
    validate_pourcentage,
    validate_reference,
    validate_reference_ou_texte,
    validate_siret,
    validate_slug,
    validate_telephone,
    validate_terme,
    validate_territoire,
    validate_texte,
    validate_url,
)
from generators.problems import CATALOGUE, make_problem
from generators.values import Coordinates, DateTimeValue, Name, PartialDate, Phone, Reference, Term, to_plain


@pytest.fixture(scope="module")
def declaration():
    return load_declaration(REPO / "config" / "types.yml", REPO)


@pytest.fixture
def ctx(declaration, territories, tmp_path: Path) -> FieldContext:
    (tmp_path / "fiches" / "images").mkdir(parents=True)
    (tmp_path / "fiches" / "images" / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0 pas vraiment une image")
    (tmp_path / "fiches" / "docs").mkdir()
    (tmp_path / "fiches" / "docs" / "Rapport.pdf").write_bytes(b"%PDF-1.4\n")
    return FieldContext(root=tmp_path, file_dir=tmp_path / "fiches", declaration=declaration, territories=territories)


def spec(kind: str, **options) -> FieldSpec:
    return FieldSpec(name=options.pop("name", "champ"), kind=kind, **options)


def error_of(function, value, field_spec, ctx) -> FieldError:
    with pytest.raises(FieldError) as info:
        function(value, field_spec, ctx)
    error = info.value
    assert error.code in CATALOGUE
    # every error must be renderable from the catalogue with its own parameters
    make_problem(error.code, file="f.md", **error.params)
    return error


# --- Telephone --------------------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    ["0389353570", "03 89 35 35 70", "03.89.35.35.70", "03-89-35-35-70", "+33 3 89 35 35 70", "+33389353570", "0033 3 89 35 35 70"],
)
def test_phone_french_forms_normalise_alike(written, ctx):
    phone = validate_telephone(written, spec("telephone"), ctx)
    assert phone == Phone(national="03 89 35 35 70", e164="+33389353570")
    assert str(phone) == "03 89 35 35 70"
    assert to_plain(phone) == "03 89 35 35 70"


def test_phone_mobile(ctx):
    assert validate_telephone("06 12 34 56 78", spec("telephone"), ctx).e164 == "+33612345678"


@pytest.mark.parametrize("written", ["0262 12 34 56", "0262123456", "+262 262 12 34 56"])
def test_phone_reunion(written, ctx):
    phone = validate_telephone(written, spec("telephone"), ctx)
    assert phone.e164 == "+262262123456"
    assert phone.national.replace(" ", "") == "0262123456"


def test_phone_overseas_departments(ctx):
    assert validate_telephone("0590 12 34 56", spec("telephone"), ctx).e164 == "+590590123456"  # Guadeloupe
    assert validate_telephone("0696 12 34 56", spec("telephone"), ctx).e164 == "+596696123456"  # Martinique, mobile


def test_phone_foreign_number_kept_international(ctx):
    phone = validate_telephone("+32 2 550 18 11", spec("telephone"), ctx)
    assert phone.e164 == "+3225501811"
    assert phone.national.startswith("+32")


@pytest.mark.parametrize("written", ["12 34", "03 89 35", "0089", "+33 12", "00 00 00 00 00", "téléphone", "3615"])
def test_phone_invalid(written, ctx):
    error = error_of(validate_telephone, written, spec("telephone"), ctx)
    assert error.code == "invalid_phone"


def test_phone_list_is_wrong_type(ctx):
    assert error_of(validate_telephone, ["0389353570"], spec("telephone"), ctx).code == "wrong_type"


# --- SIRET ----------------------------------------------------------------------


@pytest.mark.parametrize("digits", ["46978809500021", "41588139000041", "73282932000074"])
def test_siret_luhn_valid(digits, ctx):
    assert siret_problem(digits) is None
    assert validate_siret(digits, spec("siret"), ctx) == digits


def test_siret_spaces_removed(ctx):
    assert validate_siret("469 788 095 00021", spec("siret"), ctx) == "46978809500021"
    assert validate_siret("469\u00a0788\u00a0095\u00a000021", spec("siret"), ctx) == "46978809500021"


@pytest.mark.parametrize("digits", ["46978809500022", "46978809500012", "41588139000042"])
def test_siret_bad_luhn(digits, ctx):
    error = error_of(validate_siret, digits, spec("siret"), ctx)
    assert error.code == "invalid_siret" and "clé" in error.params["detail"]


@pytest.mark.parametrize("digits, length", [("4697880950002", "13"), ("469788095000211", "15"), ("469788095", "9")])
def test_siret_wrong_length(digits, length, ctx):
    error = error_of(validate_siret, digits, spec("siret"), ctx)
    assert error.params["detail"].startswith(length)


def test_siret_not_digits(ctx):
    error = error_of(validate_siret, "4697880950002A", spec("siret"), ctx)
    assert "chiffres" in error.params["detail"]


@pytest.mark.parametrize("digits", ["35600000009075", "35600000009093"])
def test_siret_la_poste_establishments_use_digit_sum(digits):
    # La Poste's establishments do not follow Luhn: the sum of the digits is a multiple of 5.
    assert sum(map(int, digits)) % 5 == 0
    assert siret_problem(digits) is None


def test_siret_la_poste_bad_digit_sum():
    assert siret_problem("35600000009090") is not None


def test_siret_la_poste_head_office_is_valid():
    assert siret_problem("35600000000048") is None


# --- Dates -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2015", PartialDate(2015)),
        ("2015-03", PartialDate(2015, 3)),
        ("2015-3", PartialDate(2015, 3)),
        ("2015-03-21", PartialDate(2015, 3, 21)),
        ("2016-02-29", PartialDate(2016, 2, 29)),
    ],
)
def test_partial_dates(text, expected, ctx):
    assert parse_partial_date(text) == expected
    assert validate_date(text, spec("date"), ctx) == expected


@pytest.mark.parametrize("text", ["2015-13", "2015-02-29", "2015-04-31", "15", "21/03/2015", "mars 2015", "2015-03-21 09:30", "20155"])
def test_invalid_dates(text, ctx):
    assert parse_partial_date(text) is None
    assert error_of(validate_date, text, spec("date"), ctx).code == "invalid_date"


@pytest.mark.parametrize("text", ["2015-00", "2015-03-00"])
def test_zero_month_or_day_is_invalid(text):
    assert parse_partial_date(text) is None


def test_year_zero_is_invalid():
    assert parse_partial_date("0000") is None


def test_partial_date_properties():
    assert PartialDate(2015).precision == "year"
    assert PartialDate(2015, 3).precision == "month"
    assert PartialDate(2015, 3, 21).precision == "day"
    assert PartialDate(2015, 3).iso() == "2015-03"
    assert PartialDate(2016, 2).last_day() == date(2016, 2, 29)
    assert PartialDate(2015).first_day() == date(2015, 1, 1)
    assert PartialDate(2015).last_day() == date(2015, 12, 31)
    assert to_plain(PartialDate(2015, 3, 1)) == "2015-03-01"


@pytest.mark.parametrize(
    "end, start, before",
    [
        ("2014", "2015", True),
        ("2017", "2015", False),
        ("2015", "2015", False),
        ("2015-03", "2015", False),  # March 2015 lies within 2015
        ("2015", "2015-03", False),  # 2015 ends after March 2015 starts
        ("2015-02", "2015-03", True),
        ("2015-03-01", "2015-03", False),
        ("2015-02-28", "2015-03", True),
        ("2014-12-31", "2015", True),
        ("2015-12", "2016-01-01", True),
    ],
)
def test_partial_date_order(end, start, before):
    assert _before(parse_partial_date(end), parse_partial_date(start)) is before


def test_partial_date_sorting():
    dates = [PartialDate(2015, 3), PartialDate(2014), PartialDate(2015), PartialDate(2015, 1, 10)]
    assert [d.iso() for d in sorted(dates)] == ["2014", "2015", "2015-01-10", "2015-03"]


def test_datetimes(ctx):
    value = validate_date_heure("2016-03-21 09:30", spec("date_heure"), ctx)
    assert value == DateTimeValue(date(2016, 3, 21), time(9, 30))
    assert value.iso() == "2016-03-21T09:30"
    assert validate_date_heure("2016-03-21T09h30", spec("date_heure"), ctx).at == time(9, 30)
    assert validate_date_heure("2016-03-21", spec("date_heure"), ctx) == DateTimeValue(date(2016, 3, 21))
    assert value.start().utcoffset().total_seconds() == 3600  # Europe/Paris in March (winter time)


@pytest.mark.parametrize("text", ["2016-03-21 25:00", "2016-03-21 09:60", "2016-02-30", "2016-03", "21/03/2016", "demain"])
def test_invalid_datetimes(text, ctx):
    assert error_of(validate_date_heure, text, spec("date_heure"), ctx).code == "invalid_datetime"


def test_datetime_order():
    day = date(2016, 3, 21)
    assert _before(DateTimeValue(day, time(8)), DateTimeValue(day, time(9, 30))) is True
    assert _before(DateTimeValue(day, time(17)), DateTimeValue(day, time(9, 30))) is False
    assert _before(DateTimeValue(day), DateTimeValue(day, time(9, 30))) is False  # same day, no time: not before
    assert _before(DateTimeValue(date(2016, 3, 20)), DateTimeValue(day)) is True


# --- Email and URL -----------------------------------------------------------------


def test_email_valid_and_normalised(ctx):
    assert validate_email_field("contact@auxilia-conseil.com", spec("email"), ctx) == "contact@auxilia-conseil.com"
    assert validate_email_field(" Jean.Dupont@Exemple.FR ", spec("email"), ctx) == "Jean.Dupont@exemple.fr"
    assert validate_email_field("élodie@exemple.fr", spec("email"), ctx) == "élodie@exemple.fr"


@pytest.mark.parametrize(
    "text, detail",
    [
        ("jean.dupont.exemple.fr", "@"),
        ("a@b@exemple.fr", "seul"),
        ("@exemple.fr", "avant"),
        ("jean@exemple", "domaine"),
        ("jean dupont@exemple.fr", "caractère"),
        ("contact@ab--cd.fr", "« -- » en 3e et 4e position"),
    ],
)
def test_email_invalid_with_french_reason(text, detail, ctx):
    error = error_of(validate_email_field, text, spec("email"), ctx)
    assert error.code == "invalid_email"
    assert detail in error.params["detail"]


@pytest.mark.parametrize(
    "text", ["https://www.exemple.fr", "http://exemple.fr/chemin?x=1#ancre", "https://www.ademe.fr/", "http://localhost:8000"]
)
def test_url_valid(text, ctx):
    assert validate_url(text, spec("url"), ctx).startswith(text.split("#")[0][:12])


@pytest.mark.parametrize(
    "text", ["www.exemple.fr", "exemple.fr", "https://exemple", "ftp://exemple.fr", "https://www.exemple.fr/a b", "https://", "mailto:a@b.fr"]
)
def test_url_invalid(text, ctx):
    assert error_of(validate_url, text, spec("url"), ctx).code == "invalid_url"


# --- Numbers ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, amount",
    [("50000", 50000), ("50 000", 50000), ("50 000 €", 50000), ("50\u202f000\u00a0€", 50000), ("1 234,56 €", 1234.56), ("12.5", 12.5), ("0", 0)],
)
def test_montant(text, amount, ctx):
    value = validate_montant(text, spec("montant"), ctx)
    assert value == amount
    assert type(value) is type(amount)


def test_montant_invalid(ctx):
    assert error_of(validate_montant, "cinquante mille", spec("montant"), ctx).code == "invalid_number"
    assert error_of(validate_montant, "-3", spec("montant"), ctx).code == "out_of_range"
    assert error_of(validate_montant, "€", spec("montant"), ctx).code == "invalid_number"


def test_pourcentage(ctx):
    assert validate_pourcentage("50 %", spec("pourcentage"), ctx) == 50
    assert validate_pourcentage("99,5", spec("pourcentage"), ctx) == 99.5
    error = error_of(validate_pourcentage, "120", spec("pourcentage"), ctx)
    assert error.code == "out_of_range" and error.params["bounds"] == "entre 0 et 100"
    assert error_of(validate_pourcentage, "-1", spec("pourcentage"), ctx).code == "out_of_range"


def test_entier(ctx):
    participants = spec("entier", minimum=0)
    assert validate_entier("120", participants, ctx) == 120
    assert validate_entier("1 200", participants, ctx) == 1200
    assert validate_entier("+3", participants, ctx) == 3
    assert error_of(validate_entier, "12,5", participants, ctx).code == "invalid_integer"
    assert error_of(validate_entier, "une trentaine", participants, ctx).code == "invalid_integer"
    assert error_of(validate_entier, "-5", participants, ctx).code == "out_of_range"


def test_out_of_range_message_with_only_a_minimum(ctx):
    error = error_of(validate_entier, "-5", spec("entier", minimum=0), ctx)
    message = make_problem(error.code, file="f.md", **error.params).message
    assert not message.rstrip(")").rstrip().endswith("à")


def test_nombre(ctx):
    assert validate_nombre("12,5", spec("nombre"), ctx) == 12.5
    assert validate_nombre("-3", spec("nombre"), ctx) == -3
    assert validate_nombre(".5", spec("nombre"), ctx) == 0.5
    assert error_of(validate_nombre, "1e3", spec("nombre"), ctx).code == "invalid_number"
    assert error_of(validate_nombre, "12", spec("nombre", maximum=10), ctx).code == "out_of_range"


# --- Booleans -------------------------------------------------------------------


@pytest.mark.parametrize("word", ["oui", "Oui", "OUI", "vrai", "true", "yes", "on", "1", " oui "])
def test_booleen_true(word, ctx):
    assert validate_booleen(word, spec("booleen"), ctx) is True


@pytest.mark.parametrize("word", ["non", "Non", "NON", "faux", "false", "no", "off", "0"])
def test_booleen_false(word, ctx):
    assert validate_booleen(word, spec("booleen"), ctx) is False


@pytest.mark.parametrize("word", ["peut-être", "o", "n", "2", "si"])
def test_booleen_invalid(word, ctx):
    assert error_of(validate_booleen, word, spec("booleen"), ctx).code == "invalid_boolean"


# --- Coordinates ----------------------------------------------------------------


def test_coordinates_mapping(ctx):
    assert validate_coordonnees({"lat": "49.894", "lon": "2.295"}, spec("coordonnees"), ctx) == Coordinates(49.894, 2.295)
    assert validate_coordonnees({"lat": "49,894", "lon": "-0,5"}, spec("coordonnees"), ctx) == Coordinates(49.894, -0.5)


@pytest.mark.parametrize("text", ["49,89; 2,29", "49,89, 2,29"])
def test_coordinates_string_with_decimal_commas(text, ctx):
    assert validate_coordonnees(text, spec("coordonnees"), ctx) == Coordinates(49.89, 2.29)


@pytest.mark.parametrize("text", ["49.89, 2.29", "49.89,2.29"])
def test_coordinates_string_with_decimal_points(text, ctx):
    assert validate_coordonnees(text, spec("coordonnees"), ctx) == Coordinates(49.89, 2.29)


@pytest.mark.parametrize(
    "value",
    [{"lat": "149.8", "lon": "2.29"}, {"lat": "49.8", "lon": "200"}, {"lat": "nord", "lon": "2"}, {"lat": "49.8"},
     {"lat": "1", "lon": "2", "alt": "3"}, ["49.8", "2.29"], "quelque part"],
)
def test_coordinates_invalid(value, ctx):
    assert error_of(validate_coordonnees, value, spec("coordonnees"), ctx).code == "invalid_coordinates"


# --- Text, slugs, terms, references ---------------------------------------------------


def test_texte(ctx):
    assert validate_texte("  Un titre  ", spec("texte"), ctx) == "Un titre"
    assert error_of(validate_texte, "x" * 201, spec("texte", max_chars=200), ctx).params == {"length": 201, "max": 200}
    assert validate_texte("x" * 200, spec("texte", max_chars=200), ctx) == "x" * 200
    assert error_of(validate_texte, ["a"], spec("texte"), ctx).code == "wrong_type"
    assert error_of(validate_texte, {"a": "b"}, spec("texte"), ctx).params["got"] == "un groupe de champs"
    ordre = spec("texte", pattern=r"^\d+(\.\d+)*$", example="2.2")
    assert validate_texte("2.2", ordre, ctx) == "2.2"
    assert error_of(validate_texte, "deux", ordre, ctx).params == {"value": "deux", "example": "2.2"}


def test_slugs(ctx):
    assert validate_slug("mon-contenu-2", spec("slug"), ctx) == "mon-contenu-2"
    for bad, suggestion in (("Ma Fiche", "ma-fiche"), ("a--b", "a-b"), ("Écoconception & réemploi", "ecoconception-reemploi"), ("-a", "a")):
        assert error_of(validate_slug, bad, spec("slug"), ctx).params["suggestion"] == suggestion
    assert slugify("Économie circulaire : mode d'emploi") == "economie-circulaire-mode-d-emploi"
    assert slugify("  Réemploi -- 2024 !  ") == "reemploi-2024"


def test_slugify_spells_out_ligatures():
    assert slugify("Le cœur du réemploi") == "le-coeur-du-reemploi"
    assert slugify("Œuvres et ex æquo") == "oeuvres-et-ex-aequo"


def test_terms(ctx):
    themes = spec("terme", vocabulary="thematiques")
    expected = Term("thematiques", "recyclage", "Recyclage et valorisation")
    for written in ("recyclage", "RECYCLAGE", "Recyclage et valorisation", "recyclage-et-valorisation", "  recyclage "):
        assert validate_terme(written, themes, ctx) == expected, written
    assert validate_terme("Écologie industrielle et territoriale", themes, ctx).key == "ecologie-industrielle-territoriale"
    error = error_of(validate_terme, "recyclge", themes, ctx)
    assert error.code == "unknown_term" and "« recyclage »" in error.params["hint"]
    error = error_of(validate_terme, "zzz", themes, ctx)
    assert error.params["hint"].startswith("termes possibles")


def test_references(ctx):
    porteur = spec("reference_ou_texte", target="acteur")
    assert validate_reference_ou_texte("auxilia-conseil", porteur, ctx) == Reference("acteur", "auxilia-conseil")
    assert validate_reference_ou_texte("Mairie de Saint-Quentin", porteur, ctx) == Name("Mairie de Saint-Quentin")
    fiche = spec("reference", target="fiche")
    assert validate_reference("fiche-existante", fiche, ctx) == Reference("fiche", "fiche-existante")
    assert error_of(validate_reference, "Fiche Existante", fiche, ctx).params["suggestion"] == "fiche-existante"


def test_territories(ctx):
    territory = spec("territoire")
    assert validate_territoire("80", territory, ctx).code == "80"
    assert validate_territoire("Somme", territory, ctx).level == "departement"
    assert validate_territoire("Hauts-de-France", territory, ctx).level == "region"
    assert validate_territoire("80021", territory, ctx).name == "Amiens"
    assert validate_territoire("Saint-Denis (93)", territory, ctx).code == "93066"
    error = error_of(validate_territoire, "Saint-Denis", territory, ctx)
    assert error.code == "ambiguous_territory"
    assert "Saint-Denis (93)" in error.params["candidates"] and "Saint-Denis (974)" in error.params["candidates"]
    error = error_of(validate_territoire, "Picardie", territory, ctx)
    assert error.code == "unknown_territory" and "Hauts-de-France" in error.params["hint"]


# --- Files and images ------------------------------------------------------------------


def test_files(ctx):
    document = spec("fichier")
    ref = validate_fichier("docs/Rapport.pdf", document, ctx)
    assert ref.path == "fiches/docs/Rapport.pdf" and ref.extension == "pdf" and ref.size == 9
    assert error_of(validate_fichier, "/etc/passwd", document, ctx).code == "absolute_path"
    assert error_of(validate_fichier, "C:\\Documents\\rapport.pdf", document, ctx).code == "absolute_path"
    assert error_of(validate_fichier, "https://exemple.fr/a.pdf", document, ctx).code == "absolute_path"
    assert error_of(validate_fichier, "../../secret.pdf", document, ctx).code == "path_outside_repo"
    assert error_of(validate_fichier, "docs/absent.pdf", document, ctx).code == "missing_file"
    error = error_of(validate_fichier, "docs/rapport.pdf", document, ctx)
    assert error.code == "missing_file" and "Rapport.pdf" in error.params["hint"]
    assert error_of(validate_fichier, "docs", document, ctx).code == "missing_file"  # a folder is not a file


def test_images(ctx, declaration):
    """Images are declared sub-objects (src, alt, decoratif, legende), validated by the compiled model."""
    from generators.schema import compile_declaration
    from generators.values import Image

    fiche = compile_declaration(declaration)["fiche"]
    value = fiche.validate_field("image", {"src": "images/photo.jpg", "alt": " Des étagères "}, ctx)
    assert isinstance(value, Image)
    assert value.src.path == "fiches/images/photo.jpg" and value.alt == "Des étagères" and not value.decorative
    decorative = fiche.validate_field("image", {"src": "images/photo.jpg", "decoratif": "oui"}, ctx)
    assert decorative.decorative is True and decorative.alt == ""
    assert fiche.validate_field("image", "images/photo.jpg", ctx).src.path == "fiches/images/photo.jpg"
    for bad in ({"alt": "x"}, {"src": "images/absente.jpg", "alt": "x"}, {"src": "images/photo.jpg", "titre": "x"}, ["images/photo.jpg"]):
        assert fiche.validate_field("image", bad, ctx) is None, bad
    assert fiche.known_keys(("image",)) == ["src", "alt", "decoratif", "legende"]


def test_closest_key():
    assert closest_key("thematique", ["titre", "thematiques", "territoires"]) == "thematiques"
    assert closest_key("telefone", ["nom", "email", "telephone"]) == "telephone"
    assert closest_key("zzzz", ["nom", "email"]) is None
