"""The analysis and page commands through CliRunner, with bad input giving one line and exit 2."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from kg.cli import cli
from tests.test_bad_input import assert_one_line_error


def run(runner: CliRunner, store: Path, *args: str) -> Result:
    return runner.invoke(cli, ["--store", str(store), *args])


def test_analyze_table_csv_json(runner: CliRunner, bundled_store_path: Path) -> None:
    table = run(runner, bundled_store_path, "analyze", "--top", "5")
    assert table.exit_code == 0, table.output
    assert table.output.splitlines()[0].split()[:3] == ["label", "kind", "degree"]
    assert "communities (modularity" in table.output
    rows = list(
        csv.DictReader(
            io.StringIO(
                run(runner, bundled_store_path, "analyze", "--view", "actors", "--format", "csv", "--top", "0").stdout
            )
        )
    )
    assert rows[0]["label"] in ("Republic of Korea", "Japan") and rows[0]["broker"] == "True"
    data = json.loads(run(runner, bundled_store_path, "analyze", "--format", "json", "--top", "3").stdout)
    assert len(data) == 3 and {"pagerank", "community", "core"} <= data[0].keys()


def test_analyze_as_of_changes_the_answer(runner: CliRunner, bundled_store_path: Path) -> None:
    before = json.loads(
        run(runner, bundled_store_path, "analyze", "--as-of", "2023-03-15", "--format", "json", "--top", "0").stdout
    )
    after = json.loads(run(runner, bundled_store_path, "analyze", "--format", "json", "--top", "0").stdout)
    assert "Japan-ROK summit of 16 March 2023" not in {r["label"] for r in before}
    assert len(before) < len(after)


def test_path_text_and_json(runner: CliRunner, bundled_store_path: Path) -> None:
    result = run(
        runner,
        bundled_store_path,
        "path",
        "Supreme Court forced-labour ruling of October 2018",
        "Japan-ROK summit of 16 March 2023",
        "--k",
        "2",
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Path 1")
    assert "—concerns→ Forced-labour compensation dispute" in result.output
    assert "“The acrimony came to a head in October 2018" in result.output
    data = json.loads(run(runner, bundled_store_path, "path", "Kishida", "Biden", "--format", "json").stdout)
    assert data and all(hop["quote"] for p in data for hop in p["hops"])


def test_neighbors_and_timeline(runner: CliRunner, bundled_store_path: Path) -> None:
    near = run(runner, bundled_store_path, "neighbors", "기시다 후미오", "--hops", "1", "--format", "csv")
    assert near.exit_code == 0, near.output
    assert "Kishida Yūko" in near.output
    line = run(runner, bundled_store_path, "timeline", "--actor", "Yoon", "--between", "2023-03", "2023-03")
    assert line.exit_code == 0 and "2023-03-16" in line.output and "2019" not in line.output
    data = json.loads(run(runner, bundled_store_path, "timeline", "--format", "json").stdout)
    assert data[0]["date"] == "1965" and data[0]["quote"]


def test_render_writes_one_offline_file(runner: CliRunner, bundled_store_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "g.html"
    result = run(
        runner, bundled_store_path, "render", "-o", str(out), "--focus", "Yoon", "--hops", "1", "--view", "full"
    )
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)  # nothing loaded from elsewhere
    assert "vis.Network" in html and "Yoon Suk-yeol" in html


def test_site_writes_linked_pages(runner: CliRunner, bundled_store_path: Path, tmp_path: Path) -> None:
    result = run(runner, bundled_store_path, "site", str(tmp_path / "site"))
    assert result.exit_code == 0, result.output
    index = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert 'href="entities/yoon-suk-yeol.html"' in index and 'href="queries/cq1-summit-leaders.html"' in index
    page = (tmp_path / "site" / "entities" / "yoon-suk-yeol.html").read_text(encoding="utf-8")
    assert 'href="republic-of-korea.html"' in page and "../assets/vis-network.min.js" in page
    assert (tmp_path / "site" / "queries" / "cq6-minefields.html").exists()


@pytest.mark.parametrize(
    "args, needles",
    [
        (["path", "Kishda", "Yoon"], ["no entity is called 'Kishda'", "Kishida"]),
        (["path", "Kishida", "Yoon", "--as-of", "yesterday"], ["--as-of: 'yesterday' is not a date"]),
        (["path", "Kishida", "Yoon", "--k", "0"], ["--k must be 1 or more"]),
        (["neighbors", "Kishida", "--hops", "-1"], ["--hops must be 0 or more"]),
        (["neighbors", "Nobody at all"], ["no entity is called 'Nobody at all'"]),
        (["timeline", "--between", "2024", "2023"], ["--between: 2024 is after 2023"]),
        (["timeline", "--actor", "Abe"], ["no entity is called 'Abe'"]),
        (["analyze", "--as-of", "2023-02-30"], ["--as-of: '2023-02-30' is not a date"]),
        (["render", "--hops", "-2"], ["--hops must be 0 or more"]),
        (
            ["render", "--focus", "Japan-ROK summit of 16 March 2023", "--as-of", "2022"],
            ["--focus", "is not in the graph as of 2022"],
        ),
        (["render", "--class", "Nope"], ["unknown class Nope", "Summit"]),
    ],
)
def test_bad_input_gives_one_line_and_exit_2(
    runner: CliRunner, bundled_store_path: Path, tmp_path: Path, args: list[str], needles: list[str]
) -> None:
    if args[0] == "render":
        args = [*args, "-o", str(tmp_path / "x.html")]
    assert_one_line_error(run(runner, bundled_store_path, *args), *needles)
