"""Every command documents itself with an example and appears in the README."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from kg.cli import cli

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_command_has_help_with_example(name: str) -> None:
    command = cli.commands[name]
    assert command.help and "Example: kg " in command.help
    assert f"`kg {name}" in README


def test_every_option_has_help() -> None:
    for name, command in cli.commands.items():
        for param in command.params:
            if isinstance(param, click.Option):
                assert param.help, f"kg {name} {param.opts}"


def test_readme_gives_one_command_for_demo_and_tests() -> None:
    assert "make demo" in README and "make test" in README
    assert (ROOT / ".ci" / "run").read_text().strip().splitlines()[-1] == "make test"


def test_exit_codes_documented() -> None:
    for code in ("| 0 |", "| 1 |", "| 2 |"):
        assert code in README


def test_readme_path_example_is_what_kg_prints(bundled_store_path: Path) -> None:
    from click.testing import CliRunner

    block = README.split('$ kg path "Supreme Court forced-labour ruling of October 2018"', 1)[1].split("```", 1)[0]
    shown = [line for line in block.splitlines()[1:] if line.strip() and line.strip() != "…"]
    result = CliRunner().invoke(
        cli,
        [
            "--store",
            str(bundled_store_path),
            "path",
            "Supreme Court forced-labour ruling of October 2018",
            "Japan-ROK summit of 16 March 2023",
            "--k",
            "1",
        ],
    )
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[: len(shown)] == shown
