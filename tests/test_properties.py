"""Property tests: whatever an editor saves, validation reports problems and never crashes."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from conftest import REPO, fixture_files
from generators.content import ContentSet, Validator
from generators.declaration import load_declaration
from generators.problems import CATALOGUE

FOLDERS = ["fiches", "content", "content/evenements", "content/acteurs", "content/ressources", "content/actualites", "content/dispositifs"]

_DECLARATION = load_declaration(REPO / "config" / "types.yml", REPO)
FIELD_KEYS = sorted(
    {name for ctype in _DECLARATION.types.values() for name in ctype.fields}
    | {"src", "alt", "decoratif", "legende", "lat", "lon", "nom", "valeur", "libelle", "fichier", "objet", "montant",
       "commune", "code_postal", "thematique", "telefone"}
)

# Values chosen to hit the validators' edge cases: YAML 1.1 traps, partial dates, territories,
# references, paths, numbers with spaces, and characters that matter to YAML.
# Year 0000 is left out on purpose: it crashes the validator (see test_year_zero_dates_do_not_crash).
FRAGMENTS = [
    "0389353570", "+33 3 89 35 35 70", "0262 12 34 56", "non", "oui", "on", "off", "yes", "~", "null", "", "2016-03-21",
    "2016-03-21 09:30", "2016-03-21 25:00", "2015", "2015-03", "2015-13", "2015-00", "1e3", "-5", "120", "50 000 €",
    "12,5", "49.89, 2.29", "{lat: 49.8, lon: 2.2}", "Somme", "Saint-Denis", "Picardie", "80", "2A", "974", "80021",
    "recyclage", "Recyclage et valorisation", "recyclge", "ressourcerie-des-biscottes", "auxilia-conseil", "fiche-existante",
    "guide-collectivites", "guide", "presentiel", "images/photo.jpg", "images/absente.jpg", "docs/rapport.pdf",
    "../../secret.pdf", "/etc/passwd", "C:\\dossier", "https://www.exemple.fr", "www.exemple.fr", "a@b.fr", "a@b",
    "46978809500021", "46978809500022", "35600000009075", "Mon Slug", "mon-slug", "---", "...", "'", '"', ":", ": ",
    " #", "[", "]", "{", "}", "[]", "{}", ",", "&a", "*a", "!x", "!!int", "@", "`", "%", "|", ">", "- ", "? ", "\\",
    "\t", "é", "Œ", "\ufeff", "\u00a0", "\u202f", "\u2028", "«", "x" * 450,
]

scalar = st.one_of(
    st.sampled_from(FRAGMENTS),
    st.text(max_size=12),
    st.lists(st.sampled_from(FRAGMENTS), min_size=2, max_size=4).map("".join),
    st.lists(st.sampled_from(FRAGMENTS), min_size=2, max_size=3).map(" ".join),
)
key = st.one_of(st.sampled_from(FIELD_KEYS), st.text(min_size=1, max_size=8), st.sampled_from(["- ", "? ", "'a'", '"b"', "[k]", "{k: v}", "1", "~", "<<"]))
indent = st.sampled_from(["", "", "", "  ", "  ", "    ", " ", "\t", "  - ", "- ", "      "])


@st.composite
def yamlish_line(draw) -> str:
    kind = draw(st.integers(0, 6))
    if kind <= 2:
        return f"{draw(indent)}{draw(key)}: {draw(scalar)}"
    if kind == 3:
        return f"{draw(indent)}{draw(key)}:"
    if kind == 4:
        return f"{draw(indent)}- {draw(scalar)}"
    if kind == 5:
        items = draw(st.lists(scalar, max_size=4))
        return f"{draw(indent)}{draw(key)}: [{', '.join(items)}]"
    return draw(st.one_of(scalar, st.text(max_size=20)))


OPENINGS = ["---\n", "---\n", "---\n", "\ufeff---\n", "--- \n", "---\r\n", "", "--\n", "\n---\n", "# titre\n"]
CLOSINGS = ["---\n", "---\n", "---\n", "...\n", "---", "", "--- \n", "---\r\n"]


@st.composite
def yamlish_file(draw) -> bytes:
    lines = draw(st.lists(yamlish_line(), max_size=14))
    newline = draw(st.sampled_from(["\n", "\n", "\r\n", "\r"]))
    text = draw(st.sampled_from(OPENINGS)) + newline.join(lines) + ("\n" if lines else "")
    text += draw(st.sampled_from(CLOSINGS)) + draw(st.text(max_size=20))
    raw = text.encode("utf-8", errors="surrogatepass")
    if draw(st.integers(0, 9)) == 0:  # a stray byte, as from a Latin-1 paste
        position = draw(st.integers(0, len(raw)))
        raw = raw[:position] + draw(st.binary(min_size=1, max_size=3)) + raw[position:]
    return raw


# Well-formed YAML built from nested structures with the declared keys: reaches every validator.
leaf = st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=10), st.none(), st.booleans(), st.integers(-10, 10**6))
tree = st.recursive(
    leaf,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.sampled_from(FIELD_KEYS), children, max_size=5),
    ),
    max_leaves=25,
)
front_matter = st.dictionaries(st.sampled_from(FIELD_KEYS), tree, max_size=12)


def structured_file(data: dict, flow: bool) -> bytes:
    body = yaml.safe_dump(data, allow_unicode=True, default_flow_style=flow, sort_keys=False)
    return ("---\n" + body + "---\n\nTexte.\n").encode("utf-8", errors="surrogatepass")


class Harness:
    """One project and one validator, reused across examples; each example rewrites case.md."""

    def __init__(self, root: Path, territories) -> None:
        self.root = root
        declaration = load_declaration(root / "config" / "types.yml", root)
        self.validator = Validator(declaration, territories)
        self.current: Path | None = None

    def check(self, folder: str, raw: bytes) -> ContentSet:
        if self.current is not None:
            self.current.unlink(missing_ok=True)
        path = self.root / folder / "case.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(raw)
        self.current = path
        content = self.validator.load([path])
        rel = f"{folder}/case.md"
        max_line = raw.count(b"\n") + raw.count(b"\r") + 1
        for problem in content.problems:
            assert problem.file == rel
            assert problem.code in CATALOGUE, problem
            assert problem.line >= 1 and problem.column >= 1, problem
            assert problem.line <= max_line, problem
            assert problem.message.strip(), problem
            assert "{" not in problem.message or "{" in raw.decode("utf-8", "replace"), problem  # no unfilled template
        return content


@pytest.fixture
def harness(make_project, territories) -> Harness:
    return Harness(make_project(fixture_files()), territories)


COMMON = settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@COMMON
@given(folder=st.sampled_from(FOLDERS), raw=yamlish_file())
@example(folder="fiches", raw=b"---\ntitre: Une fiche\n\tresume: x\n---\n")
@example(folder="fiches", raw=b"---\n- a\n---\n")
@example(folder="content/evenements", raw=b"---\ndate: 2016-03-21 09:30\ndate_fin: 2016-03-20\n---\n")
def test_yamlish_text_never_crashes(harness, folder, raw):
    harness.check(folder, raw)


@COMMON
@given(folder=st.sampled_from(FOLDERS), data=front_matter, flow=st.booleans())
@example(folder="fiches", data={"image": {"src": None, "alt": None}, "referent": [], "documents": {"fichier": "x"}}, flow=False)
@example(folder="content/dispositifs", data={"plafonds": [{"montant": "50 000 €"}], "taux_max": "120", "contacts": "x"}, flow=True)
def test_structured_front_matter_never_crashes(harness, folder, data, flow):
    content = harness.check(folder, structured_file(data, flow))
    rel = f"{folder}/case.md"
    items = [item for item in content.items if item.source == rel]
    assert len(items) == 1  # well-formed YAML always gives an item (possibly with problems)


@COMMON
@given(folder=st.sampled_from(FOLDERS), prefix=st.sampled_from([b"", b"---\n", b"\xef\xbb\xbf---\n", b"---\r\n"]), raw=st.binary(max_size=200))
def test_random_bytes_never_crash(harness, folder, prefix, raw):
    harness.check(folder, prefix + raw + b"\n---\n")


@pytest.mark.parametrize(
    "folder, lines",
    [
        ("fiches", ["date_debut: 0000", "date_fin: 2015"]),
        ("content/dispositifs", ["date_ouverture: 2015", "date_limite: 0000"]),
    ],
)
def test_year_zero_dates_do_not_crash(harness, folder, lines):
    raw = ("---\ntitre: x\nresume: y\n" + "\n".join(lines) + "\n---\n").encode()
    content = harness.check(folder, raw)
    assert "invalid_date" in [p.code for p in content.problems]


def test_items_survive_the_trip_from_a_validation_worker():
    """Items and their values are pickled as constructor calls
    (values.pickled_by_fields): every item of the demo comes back equal."""
    import pickle

    from generators.content import Validator
    from generators.declaration import load_declaration

    content = Validator(load_declaration(REPO / "config" / "types.yml", REPO)).load()
    assert content.items and content.summaries
    assert pickle.loads(pickle.dumps(content.items, protocol=5)) == content.items
    summaries = list(content.summaries.values())
    assert pickle.loads(pickle.dumps(summaries, protocol=5)) == summaries
