"""Generate a synthetic content corpus of realistic shape for benchmarks.

``make_corpus(root, sheets=N)`` writes N initiative sheets and a proportional
number of actors into a new project at ``root`` (configuration copied from
the repository), with territories and themes drawn from the real data and
vocabularies, French text of realistic length, and cross-references.
Deterministic for a given N and seed.
"""

from __future__ import annotations

import argparse
import random
import shutil
from pathlib import Path

from generators.declaration import load_declaration
from generators.territories import TerritoryIndex

REPO = Path(__file__).resolve().parent.parent

WORDS = (
    "collectivité réemploi atelier déchets prévention compostage ressourcerie habitants entreprises filière "
    "matières synergie territoire accompagnement diagnostic réparation collecte valorisation partenaires "
    "insertion emplois formation sensibilisation quartier mutualisation économie circulaire tri biodéchets "
    "écoconception achats responsables gaspillage alimentaire cantine chantier matériaux bois textile"
).split()


def sentence(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + "."


def paragraph(rng: random.Random, sentences: int) -> str:
    return " ".join(sentence(rng, rng.randint(8, 18)) for _ in range(sentences))


def make_corpus(root: Path, sheets: int, seed: int = 42) -> Path:
    rng = random.Random(seed)
    if root.exists():
        shutil.rmtree(root)
    (root / "config").mkdir(parents=True)
    for name in ("types.yml", "vocabulaires.yml"):
        shutil.copy(REPO / "config" / name, root / "config" / name)
    shutil.copy(REPO / "mkdocs.yml", root / "mkdocs.yml")
    if (REPO / "theme_overrides").is_dir():
        shutil.copytree(REPO / "theme_overrides", root / "theme_overrides")
    declaration = load_declaration(root / "config" / "types.yml", root)
    vocab = {name: list(v.terms) for name, v in declaration.vocabularies.items()}
    index = TerritoryIndex.load()
    departments = [d.name for d in index.departements()]
    regions = [r.name for r in index.regions()]

    (root / "content").mkdir()
    (root / "content" / "index.md").write_text("---\ntitre: Accueil\n---\n\nBienvenue.\n", encoding="utf-8")
    actors_dir = root / "content" / "acteurs"
    actors_dir.mkdir()
    actor_count = max(5, sheets // 5)
    actor_slugs = []
    for n in range(actor_count):
        slug = f"acteur-{n:05d}"
        actor_slugs.append(slug)
        actors_dir.joinpath(f"{slug}.md").write_text(
            "---\n"
            f"nom: Structure {n}\n"
            f"resume: {sentence(rng, 14)}\n"
            f"type: {rng.choice(vocab['types_acteurs'])}\n"
            "adresse:\n"
            f"  commune: {rng.choice(departments)}\n"
            f"telephone: \"03 22 {n % 100:02d} {rng.randint(10, 99)} {rng.randint(10, 99)}\"\n"
            f"site_web: https://structure-{n}.exemple.fr\n"
            "---\n\n" + paragraph(rng, 4) + "\n",
            encoding="utf-8",
        )
    sheets_dir = root / "fiches"
    sheets_dir.mkdir()
    for n in range(sheets):
        start = rng.randint(2012, 2026)
        themes = rng.sample(vocab["thematiques"], rng.randint(1, 3))
        territories = [rng.choice(departments)] + ([rng.choice(regions)] if rng.random() < 0.5 else [])
        lines = [
            "---",
            f"titre: Initiative {n} — {sentence(rng, 6)[:-1]}",
            f"resume: {sentence(rng, 30)}",
            f"porteur: {rng.choice(actor_slugs)}",
            "referent:",
            f"  nom: Personne {n}",
            "  fonction: chargée de mission",
            f"  email: contact{n}@exemple.fr",
            f"  telephone: \"03 {rng.randint(20, 27)} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}\"",
            f"territoires: [{', '.join(territories)}]",
            f"thematiques: [{', '.join(themes)}]",
            f"domaines_action: [{rng.choice(vocab['domaines_action'])}]",
            f"partenaires: [{rng.choice(actor_slugs)}, Partenaire local {n}]",
            f"multi_sites: {rng.choice(['oui', 'non'])}",
            f"date_debut: {start}",
            f"date_fin: {start + rng.randint(0, 4)}-{rng.randint(1, 12):02d}",
            f"flux: [{', '.join(rng.sample(vocab['flux'], 2))}]",
            "chiffres_cles:",
            f"  - {{valeur: \"{rng.randint(2, 500)}\", libelle: tonnes évitées}}",
            f"coordonnees: {{lat: {rng.uniform(43, 50):.4f}, lon: {rng.uniform(-1, 7):.4f}}}",
            "---",
            "",
            "## Objectifs",
            "",
            paragraph(rng, 5),
            "",
            "## Déroulement",
            "",
            paragraph(rng, 8),
            "",
        ]
        sheets_dir.joinpath(f"initiative-{n:05d}.md").write_text("\n".join(lines), encoding="utf-8")
    _other_types(root, rng, sheets, vocab, departments, actor_slugs)
    return root


def _write(folder: Path, slug: str, front: list[str], body: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    folder.joinpath(f"{slug}.md").write_text("\n".join(["---", *front, "---", "", body, ""]), encoding="utf-8")


def _other_types(root: Path, rng: random.Random, sheets: int, vocab: dict, departments: list, actors: list) -> None:
    """Events, news, resources and aid schemes in proportion to the sheets."""
    content = root / "content"
    for n in range(max(2, sheets // 10)):
        year = rng.randint(2015, 2027)
        front = [
            f"titre: Journée technique {n}",
            f"resume: {sentence(rng, 20)}",
            f"date: {year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d} 09:30",
            "lieu:",
            f"  commune: {rng.choice(departments)}",
            f"format: {rng.choice(vocab['formats_evenements'])}",
            f"type: {rng.choice(vocab['types_evenements'])}",
            f"organisateurs: [{rng.choice(actors)}]",
            f"thematiques: [{rng.choice(vocab['thematiques'])}]",
            f"fiches_liees: [initiative-{rng.randrange(sheets):05d}]",
        ]
        front.append(f"participants: {rng.randint(5, 200)}" if year < 2026 else "inscription: https://inscription.exemple.fr/")
        _write(content / "evenements", f"evenement-{n:05d}", front, paragraph(rng, 6))
    for n in range(max(2, sheets // 20)):
        front = [
            f"titre: Actualité {n}",
            f"resume: {sentence(rng, 20)}",
            f"date: {rng.randint(2015, 2026)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            f"categories: [{rng.choice(vocab['categories_actualites'])}]",
            f"thematiques: [{rng.choice(vocab['thematiques'])}]",
        ]
        _write(content / "actualites", f"actualite-{n:05d}", front, paragraph(rng, 8))
    for n in range(max(2, sheets // 20)):
        front = [
            f"titre: Ressource {n}",
            f"resume: {sentence(rng, 20)}",
            f"type: {rng.choice([k for k in vocab['types_ressources'] if k != 'guide'])}",
            f"thematiques: [{rng.choice(vocab['thematiques'])}]",
            f"auteurs: [{rng.choice(actors)}]",
            "lien: https://ressources.exemple.fr/document",
        ]
        _write(content / "ressources", f"ressource-{n:05d}", front, paragraph(rng, 10))
    for n in range(max(1, sheets // 100)):
        front = [
            f"titre: Dispositif {n}",
            f"resume: {sentence(rng, 20)}",
            f"financeurs: [{rng.choice(actors)}]",
            f"territoires: [{rng.choice(departments)}]",
            "beneficiaires: [collectivites]",
            f"type_aide: [{rng.choice(vocab['types_aides'])}]",
            "taux_max: 50",
            "plafonds:",
            "  - {objet: étude, montant: 30000}",
            f"date_limite: {rng.randint(2024, 2028)}-06-30",
        ]
        _write(content / "dispositifs", f"dispositif-{n:05d}", front, paragraph(rng, 6))


def main() -> None:
    parser = argparse.ArgumentParser(description="Génère un corpus synthétique pour les mesures.")
    parser.add_argument("root", type=Path)
    parser.add_argument("--fiches", type=int, default=1000)
    args = parser.parse_args()
    make_corpus(args.root, args.fiches)
    print(f"corpus de {args.fiches} fiches écrit dans {args.root}")


if __name__ == "__main__":
    main()
