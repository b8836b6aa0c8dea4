"""Shared fixtures: fresh stores built from real Turtle/TriG files, a CLI runner, folder digests."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kg.build import build
from kg.storage import open_store
from kg.storage.embedded import Store

DATA = Path(__file__).parent / "data"
MINI = DATA / "mini.trig"
BROKEN = DATA / "broken"
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1",
]


def tree_digest(path: Path) -> str:
    """SHA-256 over the names and bytes of every file under `path` (symlink targets included)."""
    digest = hashlib.sha256()
    for file in sorted(p for p in path.rglob("*") if p.is_file() or p.is_symlink()):
        digest.update(str(file.relative_to(path)).encode())
        digest.update(os.readlink(file).encode() if file.is_symlink() else file.read_bytes())
    return digest.hexdigest()


@pytest.fixture
def digest() -> Callable[[Path], str]:
    return tree_digest


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def mini_store_path(tmp_path: Path) -> Path:
    """A store built from tests/data/mini.trig only (two quotes, a handful of facts)."""
    path = tmp_path / "mini-store"
    build(path, [MINI], only=True)
    return path


@pytest.fixture
def mini_store(mini_store_path: Path) -> Store:
    return open_store(mini_store_path)


@pytest.fixture(scope="session")
def bundled_store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store built from the bundled ontology and graphs, once per test session (read-only use)."""
    path = tmp_path_factory.mktemp("bundled") / "store"
    build(path)
    return path


@pytest.fixture(scope="session")
def bundled_store(bundled_store_path: Path) -> Store:
    return open_store(bundled_store_path)


@pytest.fixture(scope="session")
def source_text() -> str:
    from kg.resources import graph_dir

    return (graph_dir() / "sources" / "japan-rok-2023.txt").read_text(encoding="utf-8")


BROWSER_MODULES = {"test_browser", "test_notebooks", "test_serve_browser"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark what needs Chromium (`browser`) or a Virtuoso server (`virtuoso`), so that
    `pytest -m "not browser and not virtuoso"` runs the fast tests alone; CI runs everything."""
    for item in items:
        module = item.module.__name__.rsplit(".", 1)[-1] if getattr(item, "module", None) else ""
        if module in BROWSER_MODULES or "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)
        callspec = getattr(item, "callspec", None)
        params = set(map(str, callspec.params.values())) if callspec is not None else set()
        if "server" in getattr(item, "fixturenames", ()) or "virtuoso" in params:
            item.add_marker(pytest.mark.virtuoso)


def running_virtuoso() -> Iterator[Any]:
    """A throwaway Virtuoso on loopback (tests/virtuoso.py), stopped and removed afterwards."""
    from tests import virtuoso

    try:
        started = virtuoso.start()
    except virtuoso.VirtuosoMissing:
        pytest.fail("Virtuoso is missing: run make test, which installs virtuoso-opensource", pytrace=False)
    try:
        yield started
    finally:
        started.stop()
        import shutil

        shutil.rmtree(started.folder, ignore_errors=True)


def remote_env(server: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment a user sets for `server`: credentials in variables, never on the command line."""
    empty_config = tmp_path_factory.mktemp("cfg") / "remotes.toml"  # keeps the user's own file out
    empty_config.write_text("", encoding="utf-8")
    return {
        "KG_REMOTE_USER": server.user,
        "KG_REMOTE_PASSWORD": server.password,
        "KG_REMOTES_CONFIG": str(empty_config),
        "KG_STORE": "",
    }


@pytest.fixture(scope="session")
def server() -> Iterator[Any]:
    """One throwaway Virtuoso for the whole session, shared by every test module that talks to a
    server. Tests use their own graphs, or rebuild what they change."""
    yield from running_virtuoso()


@pytest.fixture(scope="session")
def env(server: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return remote_env(server, tmp_path_factory)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright, network blocked except loopback (one per session)."""
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Chromium is missing: `make test` installs it (apt-get install chromium)"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()
