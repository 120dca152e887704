"""The ``portail`` command: validate content, create files, export schemas, build."""

from __future__ import annotations

import argparse
import json
import sys
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from .declaration import DeclarationError, load_declaration
from .problems import to_json
from .project import find_project

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="portail",
        description="Outils du portail : vérifier les contenus, créer un fichier, exporter les schémas, construire le site.",
    )
    parser.add_argument("--config", type=Path, help="chemin du fichier mkdocs.yml (par défaut : celui du dossier courant)")
    commands = parser.add_subparsers(dest="command", metavar="COMMANDE", required=True)

    check = commands.add_parser("validate", help="vérifier les contenus et signaler tous les problèmes", description="Vérifie tous les contenus et signale chaque problème avec son fichier, sa ligne et son champ. Code de sortie 1 s'il y a un problème.")
    check.add_argument("paths", nargs="*", type=Path, metavar="CHEMIN", help="fichiers ou dossiers à vérifier (par défaut : tout)")
    check.add_argument("--format", choices=("texte", "github", "json"), default="texte", help="texte (défaut), github (annotations de GitHub Actions) ou json")
    check.add_argument("--sans-cache", action="store_true", help="tout vérifier à nouveau, sans reprendre les résultats gardés dans .cache/validation")

    new = commands.add_parser("new", help="créer un nouveau contenu avec tous ses champs commentés", description="Crée un fichier de contenu prêt à remplir, dans le bon dossier. N'écrase jamais un fichier existant.")
    new.add_argument("type", metavar="TYPE", help="type de contenu (fiche, evenement, ressource, actualite, acteur, dispositif, page)")
    new.add_argument("title", metavar="TITRE", help="titre du contenu, entre guillemets")
    new.add_argument("--slug", help="identifiant (nom du fichier) ; par défaut, tiré du titre")

    schema = commands.add_parser("schema", help="exporter le schéma JSON de chaque type de contenu", description="Écrit le schéma JSON (draft 2020-12) de chaque type, pour les outils des contributeurs.")
    schema.add_argument("--type", dest="type_name", metavar="TYPE", help="un seul type (par défaut : tous)")
    schema.add_argument("--sortie", type=Path, metavar="DOSSIER", help="dossier où écrire un fichier par type (par défaut : affichage)")

    build = commands.add_parser("build", help="construire le site dans site/", description="Vérifie les contenus puis construit le site en mode strict. En cas d'erreur, le site déjà publié dans site/ reste intact.")
    build.add_argument("--date", dest="today", metavar="AAAA-MM-JJ", help="date du jour à utiliser (par défaut : aujourd'hui)")
    build.add_argument("--site-dir", type=Path, metavar="DOSSIER", help="dossier de sortie (par défaut : site)")

    report = commands.add_parser("etat", help="lister ce qui demande l'attention des rédacteurs", description="Liste les contenus à mettre à jour, les événements passés à compléter, les aides closes, les brouillons et les références cassées.")
    report.add_argument("--mois", type=int, metavar="N", help="ancienneté (en mois) au-delà de laquelle un contenu est à revoir (par défaut : option etat_mois du plugin, sinon 12)")
    report.add_argument("--format", choices=("texte", "markdown"), default="texte", help="texte (tableau pour le terminal, défaut) ou markdown (résumé de CI, ticket)")
    report.add_argument("--date", dest="today", metavar="AAAA-MM-JJ", help="date du jour à utiliser (par défaut : aujourd'hui)")

    links = commands.add_parser("liens", help="vérifier les liens externes des contenus", description="Vérifie chaque adresse externe des contenus (champs et textes) et signale les liens morts avec leur fichier et leur ligne. Code de sortie 1 s'il y a un lien mort.")
    links.add_argument("--sortie", type=Path, metavar="FICHIER", help="écrire aussi le rapport en Markdown dans ce fichier")
    links.add_argument("--delai", type=float, default=15.0, metavar="SECONDES", help="délai d'attente par adresse (défaut : 15)")
    links.add_argument("--simultanes", type=int, default=8, metavar="N", help="nombre de vérifications simultanées (défaut : 8)")
    imp = commands.add_parser("importer", help="importer les pages enregistrées de l'ancien portail", description="Lit un dossier de pages HTML enregistrées depuis l'ancien portail et écrit un contenu par page (en brouillon), avec les points à vérifier, les images copiées et les redirections des anciennes adresses. N'écrase jamais un fichier existant. Code de sortie 1 si une page n'a pas été importée (fichier existant ou type introuvable).")
    imp.add_argument("dossier", type=Path, metavar="DOSSIER", help="dossier des pages enregistrées (.html, .htm)")
    imp.add_argument("--base-url", default="", metavar="URL", help="adresse de l'ancien site (https://ancien.example.org/), pour retrouver l'ancienne adresse de chaque page")
    imp.add_argument("--sortie", type=Path, metavar="DOSSIER", help="dossier racine où écrire (par défaut : le projet ; chaque type va dans son dossier déclaré)")
    imp.add_argument("--type", dest="type_name", metavar="TYPE", help="type de toutes les pages du dossier (par défaut : reconnu page par page)")
    imp.add_argument("--essai", action="store_true", help="n'écrire aucun fichier : afficher seulement ce qui serait fait")
    return parser


# argparse's own words (help headings, usage errors), in French. argparse
# looks its gettext function up at call time, so main() swaps it in while
# parsing only.
ARGPARSE_FR = {
    "usage: ": "utilisation : ",
    "positional arguments": "arguments",
    "options": "options",
    "show this help message and exit": "afficher cette aide et quitter",
    "%(prog)s: error: %(message)s\n": "%(prog)s : erreur : %(message)s\n",
    "the following arguments are required: %s": "arguments obligatoires manquants : %s",
    "unrecognized arguments: %s": "arguments non reconnus : %s",
    "invalid choice: %(value)r (choose from %(choices)s)": "choix invalide : %(value)r (possibles : %(choices)s)",
    "argument %(argument_name)s: %(message)s": "argument %(argument_name)s : %(message)s",
    "expected one argument": "une valeur est attendue",
    "expected at least one argument": "au moins une valeur est attendue",
    "expected at most one argument": "au plus une valeur est attendue",
    "invalid %(type)s value: %(value)r": "valeur invalide (%(type)s) : %(value)r",
    "ambiguous option: %(option)s could match %(matches)s": "option ambiguë : %(option)s peut désigner %(matches)s",
    "not allowed with argument %s": "impossible avec l'argument %s",
    "one of the arguments %s is required": "l'un des arguments %s est obligatoire",
    "ignored explicit argument %r": "argument explicite ignoré : %r",
}


@contextmanager
def _french_argparse():
    english = argparse._
    argparse._ = lambda text: ARGPARSE_FR.get(text, english(text))
    try:
        yield
    finally:
        argparse._ = english


def main(argv: list[str] | None = None) -> int:
    with _french_argparse():
        args = _parser().parse_args(argv)
    try:
        project = find_project(config=args.config)
    except FileNotFoundError as error:
        print(f"portail : {error}", file=sys.stderr)
        return EXIT_USAGE
    try:
        declaration = load_declaration(project.declaration_path, project.root)
    except DeclarationError as error:
        for problem in error.problems:
            print(problem.format_text(), file=sys.stderr)
        print(f"portail : la déclaration des types contient {len(error.problems)} erreur(s)", file=sys.stderr)
        return EXIT_PROBLEMS
    handler = {"validate": _validate, "new": _new, "schema": _schema, "build": _build, "etat": _report, "liens": _links, "importer": _import}[args.command]
    return handler(args, project, declaration)


def _validate(args, project, declaration) -> int:
    from .content import Validator

    cache = None if args.sans_cache else project.root / ".cache" / "validation"
    content = Validator(declaration).load([p.resolve() for p in args.paths] or None, keep_items=False, cache=cache)
    problems = content.problems
    if args.format == "json":
        print(to_json(problems))
    elif args.format == "github":
        for problem in problems:
            print(problem.format_github())
    else:
        for problem in problems:
            print(problem.format_text())
        files = len({p.file for p in problems})
        if problems:
            print(f"\n{len(problems)} problème(s) dans {files} fichier(s) sur {content.files_read} lu(s).", file=sys.stderr)
        else:
            print(f"Tout est en ordre : {content.files_read} fichier(s) vérifié(s).", file=sys.stderr)
    return EXIT_PROBLEMS if problems else EXIT_OK


def _new(args, project, declaration) -> int:
    from .newfile import NewFileError, create_new_file

    try:
        path = create_new_file(declaration, args.type, args.title, args.slug)
    except NewFileError as error:
        print(f"portail : {error}", file=sys.stderr)
        return EXIT_USAGE
    print(f"Fichier créé : {path.relative_to(project.root).as_posix()}")
    return EXIT_OK


def _schema(args, project, declaration) -> int:
    from .schema import compile_declaration

    compiled = compile_declaration(declaration)
    if args.type_name and args.type_name not in compiled:
        print(f"portail : type inconnu « {args.type_name} » ; types possibles : {', '.join(compiled)}", file=sys.stderr)
        return EXIT_USAGE
    names = [args.type_name] if args.type_name else list(compiled)
    schemas = {name: compiled[name].json_schema() for name in names}
    if args.sortie:
        args.sortie.mkdir(parents=True, exist_ok=True)
        for name, schema in schemas.items():
            (args.sortie / f"{name}.schema.json").write_text(json.dumps(schema, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        print(f"{len(schemas)} schéma(s) écrit(s) dans {args.sortie}")
    else:
        print(json.dumps(schemas if len(schemas) > 1 else schemas[names[0]], ensure_ascii=False, indent=2))
    return EXIT_OK


def _build(args, project, declaration) -> int:
    from .build import BuildFailed, build_site

    try:
        today = date.fromisoformat(args.today) if args.today else None
    except ValueError:
        print(f"portail : date invalide « {args.today} » (attendu : AAAA-MM-JJ)", file=sys.stderr)
        return EXIT_USAGE
    try:
        site = build_site(project, today=today, site_dir=args.site_dir)
    except BuildFailed as error:
        print(f"portail : {error}", file=sys.stderr)
        return EXIT_PROBLEMS
    print(f"Site construit dans {site}")
    return EXIT_OK


def _report(args, project, declaration) -> int:
    from .content import Validator
    from .report import DEFAULT_MONTHS, build_report, format_markdown, format_text, last_changes

    try:
        today = date.fromisoformat(args.today) if args.today else date.today()
    except ValueError:
        print(f"portail : date invalide « {args.today} » (attendu : AAAA-MM-JJ)", file=sys.stderr)
        return EXIT_USAGE
    months = args.mois if args.mois is not None else int(project.plugin_options.get("etat_mois", DEFAULT_MONTHS))
    if months < 1:
        print("portail : --mois attend un nombre de mois supérieur ou égal à 1", file=sys.stderr)
        return EXIT_USAGE
    content = Validator(declaration).load()
    sections = build_report(content, last_changes(content, project.root), today, months)
    print((format_markdown if args.format == "markdown" else format_text)(sections, today), end="")
    return EXIT_OK


def _links(args, project, declaration) -> int:
    from .links import check_urls, collect_links, dead_links, format_markdown, format_text
    from .project import site_url

    links = collect_links(declaration)
    checks = check_urls((link.url for link in links), timeout=args.delai, concurrency=max(1, args.simultanes), site_url=site_url(project))
    dead = dead_links(links, checks)
    print(format_text(dead, len(checks)), end="")
    if args.sortie:
        args.sortie.write_text(format_markdown(dead, len(checks), date.today()), encoding="utf-8")
    return EXIT_PROBLEMS if dead else EXIT_OK



def _import(args, project, declaration) -> int:
    from .importer import Importer, load_settings, print_report

    if not args.dossier.is_dir():
        print(f"portail : dossier introuvable « {args.dossier} »", file=sys.stderr)
        return EXIT_USAGE
    if args.type_name and args.type_name not in declaration.types:
        print(f"portail : type inconnu « {args.type_name} » ; types possibles : {', '.join(declaration.types)}", file=sys.stderr)
        return EXIT_USAGE
    settings = load_settings(
        project.declaration_path.parent / "import.yml", str(project.plugin_options.get("redirections", "config/redirections.yml"))
    )
    importer = Importer(declaration, settings, (args.sortie or project.root), base_url=args.base_url, forced_type=args.type_name)
    report = importer.run(args.dossier, dry_run=args.essai)
    print_report(report, importer, validate=not args.essai)
    return EXIT_PROBLEMS if report.skipped else EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
