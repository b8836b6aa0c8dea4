"""Fact sheets and sources with `--store URL`: checked locally, uploaded as a build is (real Virtuoso)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from kg.cli import cli
from tests import virtuoso
from tests.conftest import remote_env, running_virtuoso

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "factsheet"


@pytest.fixture(scope="module")
def server() -> Iterator[Any]:
    """A Virtuoso of this module's own: its `kg add` changes the dataset that tests/test_remote.py
    compares with the embedded store."""
    yield from running_virtuoso()


@pytest.fixture(scope="module")
def env(server: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return remote_env(server, tmp_path_factory)


def kg(store: str, env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(cli, ["--store", store, *args], env=env)


def test_add_and_search_on_a_server(server: virtuoso.Virtuoso, env: dict[str, str], tmp_path: Path) -> None:
    url = server.sparql_url
    assert kg(url, env, "build").exit_code == 0
    sheet = tmp_path / "example"
    shutil.copytree(EXAMPLE, sheet)
    bad = sheet / "bad.yaml"
    bad.write_text(
        (sheet / "facts.yaml").read_text(encoding="utf-8").replace("relation: outcome", "relation: outcom"),
        encoding="utf-8",
    )
    before = kg(url, env, "stats", "--format", "json").output
    result = kg(url, env, "add", str(bad))
    assert result.exit_code == 2 and "facts[1].relation: unknown relation 'outcom'" in result.output
    assert kg(url, env, "stats", "--format", "json").output == before

    result = kg(url, env, "add", str(sheet / "facts.yaml"))
    assert result.exit_code == 0, result.output
    result = kg(url, env, "describe", "Port Ellis Accord")
    assert result.exit_code == 0 and "signatory → Tomas Brenn" in result.output
    assert "“At the close of the talks" in result.output
    result = kg(url, env, "search", "Grey Banks quarrel", "--limit", "1")
    assert result.exit_code == 0 and "grey-banks-fishing-dispute" in result.output
    result = kg(url, env, "source", "list")
    assert "Harbour talks settle the Grey Banks quarrel" in result.output
