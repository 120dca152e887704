"""``portail build``: build with MkDocs in strict mode, elsewhere, then swap.

The previous ``site/`` is replaced only once the new build has succeeded, so
a failed build never leaves readers with half a site.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from datetime import date
from pathlib import Path

from .project import Project
from .plugin import TODAY_ENV


class BuildFailed(Exception):
    pass


def build_site(project: Project, today: date | None = None, site_dir: Path | None = None) -> Path:
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import Abort, MkDocsException

    target = (site_dir or project.root / "site").resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".site-", dir=target.parent))
    previous_env = os.environ.get(TODAY_ENV)
    if today is not None:
        os.environ[TODAY_ENV] = today.isoformat()
    _quiet_mkdocs_logging()
    try:
        config = load_config(str(project.mkdocs_yml), site_dir=str(staging), strict=True)
        build(config)
    except (MkDocsException, Abort) as error:
        shutil.rmtree(staging, ignore_errors=True)
        raise BuildFailed(f"la construction a échoué, le site publié n'a pas changé ({error})") from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        if today is not None:
            if previous_env is None:
                os.environ.pop(TODAY_ENV, None)
            else:
                os.environ[TODAY_ENV] = previous_env
    _swap(staging, target)
    return target


def _swap(staging: Path, target: Path) -> None:
    old = None
    if target.exists():
        old = target.with_name(target.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        target.rename(old)
    staging.chmod(0o755)  # mkdtemp makes it private; a web server must read it
    staging.rename(target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _quiet_mkdocs_logging() -> None:
    """Show MkDocs' warnings and errors (French ones from the plugin included)."""
    logger = logging.getLogger("mkdocs")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)-7s -  %(message)s"))
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)
