"""`pip install .` gives a working kg anywhere: the wheel carries the ontology, graphs and queries."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(ROOT)],
        check=True,
    )
    return next(out.glob("kg_diplomacy-*.whl"))


def test_wheel_ships_data(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in (
        "kg/data/ontology/kg.ttl",
        "kg/data/ontology/concepts.ttl",
        "kg/data/ontology/shapes.ttl",
        "kg/data/graph/japan-rok-2023.trig",
        "kg/data/graph/lexicon.trig",
        "kg/data/graph/sources/japan-rok-2023.txt",
        "kg/queries/cq1-summit-leaders.rq",
        "kg/py.typed",
        "kg/schemas/factsheet.schema.json",
    ):
        assert required in names, required
    entry_points = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    assert "kg = kg.cli:main" in entry_points


def test_unpacked_wheel_builds_and_queries_from_another_folder(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {"PYTHONPATH": str(site), "KG_STORE": str(tmp_path / "store"), "PATH": "/usr/bin:/bin"}

    def kg(*args: str) -> str:
        return subprocess.run(
            [sys.executable, "-m", "kg", *args], cwd=elsewhere, env=env, check=True, capture_output=True, text=True
        ).stdout

    assert "Built" in kg("build")
    assert "Yoon Suk-yeol" in kg("query", "cq1-summit-leaders")
    located = subprocess.run(
        [sys.executable, "-c", "from kg.resources import graph_dir, ontology_dir; print(graph_dir(), ontology_dir())"],
        cwd=elsewhere,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    assert located == [str(site / "kg" / "data" / "graph"), str(site / "kg" / "data" / "ontology")]
