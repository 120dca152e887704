"""The ``portail`` command: validate content, create files, export schemas, build."""

from __future__ import annotations

import argparse
import json
import sys
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
    return parser


def main(argv: list[str] | None = None) -> int:
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
    handler = {"validate": _validate, "new": _new, "schema": _schema, "build": _build}[args.command]
    return handler(args, project, declaration)


def _validate(args, project, declaration) -> int:
    from .content import Validator

    content = Validator(declaration).load([p.resolve() for p in args.paths] or None, keep_items=False)
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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
