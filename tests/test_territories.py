"""Tests of generators.territories: resolving the territories editors write."""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import pytest

from generators import territories
from generators.territories import Territory, TerritoryAmbiguous, TerritoryIndex, TerritoryNotFound

DATA_DIR = Path(territories.__file__).resolve().parent / "data" / "cog"


@pytest.fixture(scope="module")
def index() -> TerritoryIndex:
    return TerritoryIndex.load()


def not_found(index: TerritoryIndex, text: str) -> TerritoryNotFound:
    with pytest.raises(TerritoryNotFound) as caught:
        index.resolve(text)
    return caught.value


# --- Data shipped in the repository ----------------------------------------


def test_data_files_are_complete() -> None:
    regions = json.loads((DATA_DIR / "regions.json").read_text(encoding="utf-8"))
    departements = json.loads((DATA_DIR / "departements.json").read_text(encoding="utf-8"))
    with (DATA_DIR / "communes.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert len(regions) == 18
    assert len(departements) == 101
    assert rows[0][:4] == ["code", "nom", "departement", "region"]
    assert len(rows) - 1 > 34_000
    assert (DATA_DIR / "communes.csv").stat().st_size < 2 * 1024 * 1024
    assert (DATA_DIR / "SOURCE.md").is_file()
    former = json.loads((DATA_DIR / "anciennes_regions.json").read_text(encoding="utf-8"))
    assert len(former) == 17
    assert set(former.values()) <= {r["code"] for r in regions}


def test_load_is_memoised() -> None:
    # Load time is printed by benchmarks/validate.py, not asserted: machines are noisy.
    fresh = TerritoryIndex._read(DATA_DIR)  # what load() does on its first call
    assert fresh.resolve("Amiens").code == "80021"
    index = TerritoryIndex.load()
    assert TerritoryIndex.load() is index
    assert TerritoryIndex.load(DATA_DIR) is index
    assert TerritoryIndex.load(DATA_DIR / ".." / "cog") is index


def test_listings(index: TerritoryIndex) -> None:
    assert len(index.regions()) == 18
    assert [r.code for r in index.regions()][:6] == ["01", "02", "03", "04", "06", "11"]
    departements = index.departements()
    assert len(departements) == 101
    assert [d.code for d in departements][26:31] == ["28", "29", "2A", "2B", "30"]
    assert [d.code for d in departements][-5:] == ["971", "972", "973", "974", "976"]


def test_departements_of(index: TerritoryIndex) -> None:
    somme = index.departement("80")
    assert somme in index.departements_of("32")
    assert [d.name for d in index.departements_of("32")] == ["Aisne", "Nord", "Oise", "Pas-de-Calais", "Somme"]
    assert [d.code for d in index.departements_of("94")] == ["2A", "2B"]
    with pytest.raises(TerritoryNotFound):
        index.departements_of("99")


def test_lookups_by_code(index: TerritoryIndex) -> None:
    assert index.region("32") == Territory("region", "32", "Hauts-de-France", None, "32")
    assert index.departement("80") == Territory("departement", "80", "Somme", "80", "32")
    assert index.departement("1").code == "01"
    assert index.commune("80021") == Territory("commune", "80021", "Amiens", "80", "32")
    assert index.commune("2A004").name == "Ajaccio"
    for lookup, code in ((index.region, "12"), (index.departement, "975"), (index.commune, "80000")):
        with pytest.raises(TerritoryNotFound):
            lookup(code)


def test_labels(index: TerritoryIndex) -> None:
    assert index.region("32").label == "Hauts-de-France"
    assert index.departement("80").label == "Somme (80)"
    assert index.commune("80021").label == "Amiens (80)"
    assert index.commune("97411").label == "Saint-Denis (974)"


# --- Regions ---------------------------------------------------------------


def test_region_by_name(index: TerritoryIndex) -> None:
    hdf = Territory("region", "32", "Hauts-de-France", None, "32")
    assert index.resolve("Hauts-de-France") == hdf
    assert index.resolve("  hauts de france ") == hdf
    assert index.resolve("Région Hauts-de-France") == hdf
    assert index.resolve("REGION hauts-de-france") == hdf
    assert index.resolve("Région : Hauts-de-France") == hdf


def test_region_name_accents(index: TerritoryIndex) -> None:
    assert index.resolve("Île-de-France").code == "11"
    assert index.resolve("Ile de France").code == "11"
    assert index.resolve("ILE-DE-FRANCE").code == "11"
    assert index.resolve("Provence Alpes Cote d Azur").code == "93"
    assert index.resolve("Provence-Alpes-Côte d’Azur").code == "93"
    assert index.resolve("auvergne rhone alpes").code == "84"


def test_region_code_after_region_word(index: TerritoryIndex) -> None:
    assert index.resolve("Région 32").name == "Hauts-de-France"


def test_overseas_region_wins_over_department(index: TerritoryIndex) -> None:
    assert index.resolve("Guadeloupe").level == "region"
    assert index.resolve("Guadeloupe").code == "01"
    assert index.resolve("Département Guadeloupe").code == "971"


def test_former_region_suggests_current_region(index: TerritoryIndex) -> None:
    error = not_found(index, "Picardie")
    assert error.query == "Picardie"
    assert error.suggestions == ["Hauts-de-France"]
    assert not_found(index, "Basse-Normandie").suggestions == ["Normandie"]
    assert not_found(index, "Région Rhône-Alpes").suggestions == ["Auvergne-Rhône-Alpes"]
    assert not_found(index, "Centre").suggestions == ["Centre-Val de Loire"]
    assert not_found(index, "PACA").suggestions == ["Provence-Alpes-Côte d'Azur"]


# --- Departments -----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code", "name"),
    [
        ("80", "80", "Somme"),
        ("01", "01", "Ain"),
        ("1", "01", "Ain"),
        ("2A", "2A", "Corse-du-Sud"),
        ("2b", "2B", "Haute-Corse"),
        ("971", "971", "Guadeloupe"),
        ("976", "976", "Mayotte"),
        ("Département 80", "80", "Somme"),
    ],
)
def test_departement_by_code(index: TerritoryIndex, text: str, code: str, name: str) -> None:
    found = index.resolve(text)
    assert (found.level, found.code, found.name) == ("departement", code, name)


def test_departement_code_as_yaml_integer(index: TerritoryIndex) -> None:
    assert index.resolve(80).code == "80"  # type: ignore[arg-type]
    assert index.resolve(1).code == "01"  # type: ignore[arg-type]


def test_departement_by_name(index: TerritoryIndex) -> None:
    somme = Territory("departement", "80", "Somme", "80", "32")
    assert index.resolve("Somme") == somme
    assert index.resolve("somme") == somme
    assert index.resolve("Département Somme") == somme
    assert index.resolve("Département de la Somme") == somme
    assert index.resolve("Somme (80)") == somme
    assert index.resolve("Seine Saint Denis").code == "93"
    assert index.resolve("Cotes d'Armor").code == "22"
    assert index.resolve("corse du sud").code == "2A"


def test_departement_wins_over_commune(index: TerritoryIndex) -> None:
    assert index.resolve("Paris") == Territory("departement", "75", "Paris", "75", "11")
    assert index.resolve("Commune Paris") == Territory("commune", "75056", "Paris", "75", "11")
    assert index.resolve("Vienne").code == "86"
    assert index.resolve("Vienne (38)").code == "38544"


def test_unknown_departement_code(index: TerritoryIndex) -> None:
    assert not_found(index, "975").suggestions == []
    assert not_found(index, "20").suggestions == ["Corse-du-Sud (2A)", "Haute-Corse (2B)"]


# --- Communes --------------------------------------------------------------


def test_commune_by_name(index: TerritoryIndex) -> None:
    amiens = Territory("commune", "80021", "Amiens", "80", "32")
    assert index.resolve("Amiens") == amiens
    assert index.resolve("AMIENS") == amiens
    assert index.resolve("Commune Amiens") == amiens
    assert index.resolve("Commune d'Amiens") == amiens
    assert index.resolve("Amiens (80)") == amiens


def test_commune_name_variants(index: TerritoryIndex) -> None:
    assert index.resolve("saint etienne").code == "42218"
    assert index.resolve("Saint-Étienne").code == "42218"
    assert index.resolve("St-Étienne").code == "42218"
    assert index.resolve("L'Haÿ-les-Roses").code == "94038"
    assert index.resolve("l hay les roses").code == "94038"
    assert index.resolve("Château-Chinon (Ville)").code == "58062"


def test_commune_by_insee_code(index: TerritoryIndex) -> None:
    assert index.resolve("80021") == Territory("commune", "80021", "Amiens", "80", "32")
    assert index.resolve("2A004").name == "Ajaccio"
    assert index.resolve("2a004").name == "Ajaccio"
    assert index.resolve("97411").name == "Saint-Denis"
    assert index.resolve("Commune 80021").name == "Amiens"
    assert index.resolve("1001").code == "01001"  # 01001 read by YAML as the number 1001
    assert not_found(index, "80000").suggestions == []
    with pytest.raises(TerritoryNotFound):
        index.resolve("Département 80021")


def test_commune_with_departement(index: TerritoryIndex) -> None:
    assert index.resolve("Saint-Denis (93)") == Territory("commune", "93066", "Saint-Denis", "93", "11")
    assert index.resolve("Saint-Denis (974)").code == "97411"
    assert index.resolve("saint denis(93)").code == "93066"
    assert index.resolve("Paris (75)").code == "75056"
    assert index.resolve("Département Paris (75)").code == "75"


def test_ambiguous_commune(index: TerritoryIndex) -> None:
    with pytest.raises(TerritoryAmbiguous) as caught:
        index.resolve("Saint-Denis")
    error = caught.value
    assert error.query == "Saint-Denis"
    assert [t.code for t in error.candidates] == ["11339", "30247", "93066", "97411"]
    assert [t.label for t in error.candidates] == [
        "Saint-Denis (11)",
        "Saint-Denis (30)",
        "Saint-Denis (93)",
        "Saint-Denis (974)",
    ]
    assert "93066" in {t.code for t in error.candidates}
    assert "97411" in {t.code for t in error.candidates}


def test_commune_not_in_given_departement(index: TerritoryIndex) -> None:
    assert not_found(index, "Amiens (81)").suggestions[0] == "Amiens (80)"
    assert not_found(index, "Saint-Denis (97)").suggestions == [
        "Saint-Denis (11)",
        "Saint-Denis (30)",
        "Saint-Denis (93)",
    ]


# --- Not found -------------------------------------------------------------


def test_unknown_name_suggests_closest(index: TerritoryIndex) -> None:
    error = not_found(index, "Amiiens")
    assert error.query == "Amiiens"
    assert error.suggestions[0] == "Amiens (80)"
    assert len(error.suggestions) <= 3
    assert not_found(index, "Lmiens").suggestions[0] == "Amiens (80)"
    assert not_found(index, "Montpelier").suggestions[0] == "Montpellier (34)"
    assert not_found(index, "Ocitanie").suggestions == ["Occitanie"]
    assert not_found(index, "Hauts de Fance").suggestions[0] == "Hauts-de-France"


def test_wrong_level_suggests_right_one(index: TerritoryIndex) -> None:
    assert not_found(index, "Département Amiens").suggestions[0] == "Amiens (80)"
    assert not_found(index, "Région Somme").suggestions[0] == "Somme (80)"


def test_nothing_close(index: TerritoryIndex) -> None:
    assert not_found(index, "xyzzy").suggestions == []
    assert not_found(index, "").suggestions == []


def test_errors_are_lookup_errors(index: TerritoryIndex) -> None:
    with pytest.raises(LookupError, match="Amiiens"):
        index.resolve("Amiiens")
    with pytest.raises(LookupError, match="Saint-Denis"):
        index.resolve("Saint-Denis")


# --- Whole data set ----------------------------------------------------------


def test_every_label_resolves_back(index: TerritoryIndex) -> None:
    """Labels round-trip, except departments named like one of their communes."""
    exceptions = {"19", "25", "53", "75"}  # Corrèze, Doubs, Mayenne, Paris
    for region in index.regions():
        assert index.resolve(region.label) == region
    for departement in index.departements():
        found = index.resolve(departement.label)
        if departement.code in exceptions:
            assert (found.level, found.name) == ("commune", departement.name)
        else:
            assert found == departement
    for code in index._commune_rows:
        commune = index.commune(code)
        assert index.resolve(commune.label) == commune
        assert index.resolve(code) == commune


def test_batch_normalisation_matches_single(index: TerritoryIndex) -> None:
    names = [row[1] for row in index._commune_rows.values()]
    names += ["St-Malo", "  Ste Marie ", "st st", "Œuvre", "a_b", "-x-", "ÆB"]
    assert territories._normalize_many(names) == [territories._normalize(name) for name in names]


def test_compressed_communes_with_coordinates(tmp_path: Path) -> None:
    """communes.csv.gz and the optional lat/lon columns are read too."""
    for name in ("regions.json", "departements.json", "anciennes_regions.json"):
        (tmp_path / name).write_bytes((DATA_DIR / name).read_bytes())
    text = "code,nom,departement,region,lat,lon\n80021,Amiens,80,32,49.9009,2.2905\n93066,Saint-Denis,93,11,,\n"
    (tmp_path / "communes.csv.gz").write_bytes(gzip.compress(text.encode("utf-8")))
    index = TerritoryIndex.load(tmp_path)
    assert index is TerritoryIndex.load(tmp_path)
    assert index is not TerritoryIndex.load()
    assert index.resolve("Amiens") == Territory("commune", "80021", "Amiens", "80", "32", 49.9009, 2.2905)
    assert index.resolve("Saint-Denis").lat is None
    assert index.resolve("Somme").code == "80"


def test_missing_data(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="refresh_cog"):
        TerritoryIndex.load(tmp_path)
