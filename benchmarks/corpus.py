"""Generate a synthetic content corpus of realistic shape for benchmarks.

``make_corpus(root, sheets=N)`` writes N initiative sheets and, in
proportion, actors (N/5), events (N/10), news and resources (N/20 each) and
aid schemes (N/100) into a new project at ``root`` (configuration copied from
the repository). Territories (regions, departments and some ninety communes)
come from the real geographic code and themes from the real vocabularies; the
French text has the length of the demo's sheets (about 400 words a sheet);
a share of the items carry an image (small photographs and logos drawn with
Pillow: 15 % of sheets, 20 % of events, 30 % of news, 10 % of actors), and
items reference each other. Deterministic for a given N and seed.

``cached_corpus(N)`` keeps the generated content in ``.cache/bench/`` between
runs (keyed by this file and the declaration) and refreshes the copied
configuration and templates from the repository on each call.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import shutil
from pathlib import Path

from PIL import Image, ImageDraw

from generators.declaration import load_declaration
from generators.geo import Geography
from generators.territories import TerritoryIndex

REPO = Path(__file__).resolve().parent.parent
CACHE = REPO / ".cache" / "bench"
PROJECT_FILES = ("config/types.yml", "config/vocabulaires.yml", "mkdocs.yml")
PROJECT_DIRS = ("theme_overrides", "content/assets")

# Shares of items with an image, per type.
IMAGE_SHARE = {"fiche": 0.15, "evenement": 0.20, "actualite": 0.30, "acteur": 0.10}
PHOTO_SIZE = (640, 420)  # small: one 480 px variant and a thumbnail each
LOGO_SIZE = (240, 240)

# Large communes written as editors write them; the generator keeps those the
# geographic code resolves to a single commune.
COMMUNES = (
    "Amiens", "Beauvais", "Lille", "Arras", "Rouen", "Caen", "Rennes", "Brest", "Nantes", "Angers", "Le Mans",
    "Tours", "Orléans", "Bourges", "Dijon", "Besançon", "Strasbourg", "Metz", "Nancy", "Reims", "Troyes",
    "Limoges", "Poitiers", "Bordeaux", "Pau", "Bayonne", "Toulouse", "Albi", "Montpellier", "Nîmes", "Perpignan",
    "Marseille", "Nice", "Toulon", "Avignon", "Grenoble", "Lyon", "Clermont-Ferrand", "Saint-Étienne", "Annecy",
    "Chambéry", "Ajaccio", "Bastia", "Quimper", "Lorient", "Vannes", "Saint-Brieuc", "Laval", "Cholet", "Niort",
    "Angoulême", "Périgueux", "Agen", "Tarbes", "Rodez", "Cahors", "Montauban", "Carcassonne", "Béziers",
    "Mulhouse", "Colmar", "Épinal", "Charleville-Mézières", "Compiègne", "Saint-Quentin", "Abbeville",
    "Dunkerque", "Calais", "Boulogne-sur-Mer", "Valenciennes", "Douai", "Cherbourg-en-Cotentin", "Évreux",
    "Alençon", "Chartres", "Blois", "Châteauroux", "Nevers", "Auxerre", "Mâcon", "Chalon-sur-Saône", "Belfort",
    "Vesoul", "Lons-le-Saunier", "Bourg-en-Bresse", "Roanne", "Vichy", "Aurillac", "Gap", "Digne-les-Bains",
)

SUBJECTS = (
    "La collectivité", "L'association", "Le syndicat de collecte", "Le conseil citoyen du quartier", "La ressourcerie",
    "L'équipe du projet", "Le club d'entreprises de la zone d'activités", "Le réseau", "La communauté de communes",
    "Le collectif de bénévoles", "Le chantier d'insertion", "La chambre de commerce", "Le bailleur social", "La régie de quartier",
    "Le service déchets", "Le collège", "La recyclerie", "Le groupement d'achat",
)
VERBS = (
    "a mis en place", "accompagne", "développe", "expérimente", "mutualise", "organise", "a lancé", "anime",
    "finance", "évalue", "a structuré", "fait connaître", "pérennise", "étend progressivement", "coordonne",
)
OBJECTS = (
    "un atelier de réparation de vélos", "la collecte séparée des biodéchets", "une matériauthèque",
    "le réemploi des matériaux de chantier", "des ateliers de sensibilisation au tri", "un service de location de vaisselle",
    "le compostage partagé en pied d'immeuble", "une filière locale de valorisation du bois", "un repair café mensuel",
    "la lutte contre le gaspillage alimentaire dans les cantines", "une boutique solidaire de vêtements de seconde main",
    "des achats publics responsables", "une démarche d'écologie industrielle et territoriale",
    "la tarification incitative", "le prêt d'outils entre voisins", "une plateforme d'échange de matériaux",
    "le diagnostic des flux de déchets des entreprises", "des couches lavables dans les crèches",
    "une donnerie dans la déchèterie", "l'écoconception des emballages",
)
COMPLEMENTS = (
    "depuis trois ans", "avec l'appui de l'ADEME et de la Région", "dans trois quartiers prioritaires",
    "en lien avec les bailleurs sociaux", "pour réduire les ordures ménagères résiduelles", "sur l'ensemble du territoire",
    "avec une dizaine de partenaires locaux", "grâce à un financement du plan de relance", "auprès des commerçants du centre-ville",
    "en s'appuyant sur les associations du territoire", "à l'échelle du bassin de vie", "dans le cadre du programme local de prévention",
)
RESULTS = (
    "ce qui a permis d'éviter plusieurs dizaines de tonnes de déchets chaque année",
    "et les premiers résultats dépassent les objectifs fixés au départ",
    "ce qui a créé quatre emplois en insertion",
    "et la fréquentation progresse de mois en mois",
    "mais le modèle économique reste fragile sans subvention",
    "ce qui a renforcé les liens entre les habitants",
    "et l'expérience intéresse désormais les communes voisines",
)
ACTOR_KINDS = (
    "Ressourcerie", "Association", "Recyclerie", "Syndicat mixte", "Communauté de communes", "Entreprise d'insertion",
    "Repair café", "Chambre de métiers", "Coopérative", "Bureau d'études", "Régie de quartier",
)
OPENERS = ("", "", "", "Dès le départ, ", "Par ailleurs, ", "En parallèle, ", "Au fil des mois, ", "Concrètement, ", "Enfin, ")
TITLE_OBJECTS = tuple(o.split(" ", 1)[1] for o in OBJECTS)


def sentence(rng: random.Random, _words: int = 0) -> str:
    """One French sentence of about twenty words (the argument is kept for old callers)."""
    opener = rng.choice(OPENERS)
    subject = rng.choice(SUBJECTS)
    if opener:
        subject = subject[0].lower() + subject[1:]
    text = f"{opener}{subject} {rng.choice(VERBS)} {rng.choice(OBJECTS)} {rng.choice(COMPLEMENTS)}"
    if rng.random() < 0.5:
        text += f", {rng.choice(RESULTS)}"
    return text[0].upper() + text[1:] + "."


def paragraph(rng: random.Random, sentences: int) -> str:
    return " ".join(sentence(rng) for _ in range(sentences))


def short_summary(rng: random.Random) -> str:
    return sentence(rng).replace(":", ",")


def title_of(rng: random.Random) -> str:
    return rng.choice(TITLE_OBJECTS).capitalize()


class _Images:
    """Small images drawn with Pillow: distinct bytes for each item that has one."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.count = 0

    def photo(self, path: Path) -> None:
        rng = self.rng
        path.parent.mkdir(parents=True, exist_ok=True)
        sky = tuple(rng.randint(120, 220) for _ in range(3))
        ground = tuple(rng.randint(40, 140) for _ in range(3))
        image = Image.new("RGB", PHOTO_SIZE, sky)
        draw = ImageDraw.Draw(image)
        horizon = rng.randint(PHOTO_SIZE[1] // 3, 2 * PHOTO_SIZE[1] // 3)
        draw.rectangle((0, horizon, PHOTO_SIZE[0], PHOTO_SIZE[1]), fill=ground)
        for _ in range(rng.randint(4, 9)):
            x, y = rng.randrange(PHOTO_SIZE[0]), rng.randrange(PHOTO_SIZE[1])
            w, h = rng.randint(30, 200), rng.randint(30, 160)
            colour = tuple(rng.randint(0, 255) for _ in range(3))
            (draw.ellipse if rng.random() < 0.5 else draw.rectangle)((x, y, x + w, y + h), fill=colour)
        image.save(path, "JPEG", quality=82)
        self.count += 1

    def logo(self, path: Path) -> None:
        rng = self.rng
        path.parent.mkdir(parents=True, exist_ok=True)
        image = Image.new("RGBA", LOGO_SIZE, (255, 255, 255, 0))
        draw = ImageDraw.Draw(image)
        colour = tuple(rng.randint(0, 200) for _ in range(3))
        draw.ellipse((20, 20, 220, 220), fill=colour)
        draw.rectangle((80, 80, 160, 160), fill=(255, 255, 255, 255))
        image.save(path, "PNG")
        self.count += 1


def _image_lines(field: str, src: str, alt: str) -> list[str]:
    return [f"{field}:", f"  src: {src}", f"  alt: {alt}"]


def make_corpus(root: Path, sheets: int, seed: int = 42) -> Path:
    """A whole project at ``root``: configuration copied from the repository, generated content."""
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    copy_project_files(root)
    write_content(root, sheets, seed)
    return root


def copy_project_files(root: Path) -> None:
    """The declaration, mkdocs.yml and templates, as the repository has them now."""
    for name in PROJECT_FILES:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / name, root / name)
    for name in PROJECT_DIRS:
        if (REPO / name).is_dir():
            shutil.rmtree(root / name, ignore_errors=True)
            shutil.copytree(REPO / name, root / name)


def corpus_fingerprint(sheets: int, seed: int = 42) -> str:
    digest = hashlib.sha256(f"{sheets}/{seed}".encode())
    for path in (Path(__file__), REPO / "config" / "types.yml", REPO / "config" / "vocabulaires.yml"):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def cached_corpus(sheets: int, seed: int = 42, cache: Path = CACHE) -> Path:
    """A corpus of ``sheets`` sheets, generated once and kept in ``cache``; the
    project files are refreshed and any previous build output removed."""
    root = cache / f"corpus-{sheets}"
    stamp = root / ".corpus"
    fingerprint = corpus_fingerprint(sheets, seed)
    if not (stamp.is_file() and stamp.read_text() == fingerprint):
        make_corpus(root, sheets, seed)
        stamp.write_text(fingerprint)
    else:
        copy_project_files(root)
    for leftover in (".cache", "site"):
        shutil.rmtree(root / leftover, ignore_errors=True)
    return root


def write_content(root: Path, sheets: int, seed: int = 42) -> None:
    rng = random.Random(seed)
    images = _Images(random.Random(seed + 1))
    declaration = load_declaration(root / "config" / "types.yml", root)
    vocab = {name: list(v.terms) for name, v in declaration.vocabularies.items()}
    index = TerritoryIndex.load()
    geography = Geography.load()
    departments = [d.name for d in index.departements()]
    regions = [r.name for r in index.regions()]
    communes = []
    for name in COMMUNES:
        try:
            if index.resolve(name).level == "commune":
                communes.append(name)
        except LookupError:
            continue
    places = {"departments": departments, "regions": regions, "communes": communes}

    (root / "content").mkdir(exist_ok=True)
    (root / "content" / "index.md").write_text("---\ntitre: Accueil\n---\n\nBienvenue.\n", encoding="utf-8")
    actors_dir = root / "content" / "acteurs"
    actors_dir.mkdir()
    actor_count = max(5, sheets // 5)
    actor_slugs = []
    for n in range(actor_count):
        slug = f"acteur-{n:05d}"
        actor_slugs.append(slug)
        lines = [
            "---",
            f"nom: {rng.choice(ACTOR_KINDS)} {n}",
            f"resume: {short_summary(rng)}",
            f"type: {rng.choice(vocab['types_acteurs'])}",
            "adresse:",
            f"  commune: {rng.choice(communes + departments)}",
            f"telephone: \"03 22 {n % 100:02d} {rng.randint(10, 99)} {rng.randint(10, 99)}\"",
            f"site_web: https://structure-{n}.exemple.fr",
        ]
        if rng.random() < IMAGE_SHARE["acteur"]:
            images.logo(root / "content" / "acteurs" / "logos" / f"{slug}.png")
            lines += _image_lines("logo", f"logos/{slug}.png", f"Logo de la structure {n}")
        lines += ["---", "", paragraph(rng, 6), ""]
        actors_dir.joinpath(f"{slug}.md").write_text("\n".join(lines), encoding="utf-8")
    sheets_dir = root / "fiches"
    sheets_dir.mkdir()
    for n in range(sheets):
        start = rng.randint(2012, 2026)
        themes = rng.sample(vocab["thematiques"], rng.randint(1, 3))
        territories = _territories(rng, places)
        lines = [
            "---",
            f"titre: {title_of(rng)} — {territories[0]}",
            f"resume: {short_summary(rng)}",
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
            f"  - {{valeur: \"{rng.randint(2, 60)}\", libelle: partenaires mobilisés}}",
        ]
        # Coordinates as editors give them: a sheet placed in a commune is
        # pinned near its centre (a point drawn anywhere in France would lie
        # outside the sheet's region, which real sheets do not).
        if (centre := _centre(index, geography, territories[0])) is not None:
            lat, lon = centre.lat + rng.uniform(-0.03, 0.03), centre.lon + rng.uniform(-0.03, 0.03)
            lines.append(f"coordonnees: {{lat: {lat:.4f}, lon: {lon:.4f}}}")
        if rng.random() < IMAGE_SHARE["fiche"]:
            images.photo(sheets_dir / "images" / f"initiative-{n:05d}.jpg")
            lines += _image_lines("image", f"images/initiative-{n:05d}.jpg", f"Photographie de l'initiative {n} sur le terrain")
        lines += [
            "---",
            "",
            "## Le contexte",
            "",
            paragraph(rng, 4),
            "",
            "## Les objectifs",
            "",
            paragraph(rng, 4),
            "",
            "## Le déroulement",
            "",
            paragraph(rng, 6),
            "",
            "## Les résultats",
            "",
            paragraph(rng, 4),
            "",
        ]
        sheets_dir.joinpath(f"initiative-{n:05d}.md").write_text("\n".join(lines), encoding="utf-8")
    _other_types(root, rng, images, sheets, vocab, places, actor_slugs)


def _centre(index: TerritoryIndex, geography: Geography, name: str):
    """The centre of a commune named ``name``, None for a department or a region."""
    try:
        place = index.resolve(name)
    except LookupError:
        return None
    return geography.centre(place.code) if place.level == "commune" else None


def _territories(rng: random.Random, places: dict) -> list[str]:
    """A commune, a department or a region, sometimes two levels."""
    roll = rng.random()
    if roll < 0.4:
        first = [rng.choice(places["communes"])]
    elif roll < 0.85:
        first = [rng.choice(places["departments"])]
    else:
        first = [rng.choice(places["regions"])]
    if roll < 0.85 and rng.random() < 0.4:
        first.append(rng.choice(places["regions"]))
    return first


def _write(folder: Path, slug: str, front: list[str], body: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    folder.joinpath(f"{slug}.md").write_text("\n".join(["---", *front, "---", "", body, ""]), encoding="utf-8")


def _other_types(root: Path, rng: random.Random, images: _Images, sheets: int, vocab: dict, places: dict, actors: list) -> None:
    """Events, news, resources and aid schemes in proportion to the sheets."""
    content = root / "content"
    media = content / "medias" / "images"
    towns = places["communes"] + places["departments"]
    for n in range(max(2, sheets // 10)):
        year = rng.randint(2015, 2027)
        slug = f"evenement-{n:05d}"
        front = [
            f"titre: Journée technique {n} — {title_of(rng)}",
            f"resume: {short_summary(rng)}",
            f"date: {year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d} 09:30",
            "lieu:",
            f"  commune: {rng.choice(towns)}",
            f"format: {rng.choice(vocab['formats_evenements'])}",
            f"type: {rng.choice(vocab['types_evenements'])}",
            f"organisateurs: [{rng.choice(actors)}]",
            f"thematiques: [{rng.choice(vocab['thematiques'])}]",
            f"fiches_liees: [initiative-{rng.randrange(sheets):05d}]",
        ]
        front.append(f"participants: {rng.randint(5, 200)}" if year < 2026 else "inscription: https://inscription.exemple.fr/")
        if rng.random() < IMAGE_SHARE["evenement"]:
            images.photo(media / f"{slug}.jpg")
            front += _image_lines("image", f"../medias/images/{slug}.jpg", f"Participants de la journée technique {n}")
        _write(content / "evenements", slug, front, "## Programme\n\n" + paragraph(rng, 4) + "\n\n## Informations pratiques\n\n" + paragraph(rng, 2))
    for n in range(max(2, sheets // 20)):
        slug = f"actualite-{n:05d}"
        front = [
            f"titre: Actualité {n} — {title_of(rng)}",
            f"resume: {short_summary(rng)}",
            f"date: {rng.randint(2015, 2026)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            f"categories: [{rng.choice(vocab['categories_actualites'])}]",
            f"thematiques: [{rng.choice(vocab['thematiques'])}]",
        ]
        if rng.random() < IMAGE_SHARE["actualite"]:
            images.photo(media / f"{slug}.jpg")
            front += _image_lines("image", f"../medias/images/{slug}.jpg", f"Illustration de l'actualité {n}")
        _write(content / "actualites", slug, front, paragraph(rng, 6) + "\n\n" + paragraph(rng, 6))
    for n in range(max(2, sheets // 20)):
        front = [
            f"titre: Ressource {n} — {title_of(rng)}",
            f"resume: {short_summary(rng)}",
            f"type: {rng.choice([k for k in vocab['types_ressources'] if k != 'guide'])}",
            f"thematiques: [{rng.choice(vocab['thematiques'])}]",
            f"auteurs: [{rng.choice(actors)}]",
            "lien: https://ressources.exemple.fr/document",
        ]
        _write(content / "ressources", f"ressource-{n:05d}", front, paragraph(rng, 10))
    for n in range(max(1, sheets // 100)):
        front = [
            f"titre: Dispositif {n} — {title_of(rng)}",
            f"resume: {short_summary(rng)}",
            f"financeurs: [{rng.choice(actors)}]",
            f"territoires: [{rng.choice(places['departments'])}]",
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
