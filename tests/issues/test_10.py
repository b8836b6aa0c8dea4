"""Issue 10: `kg query --format rdfxml` works, and kg/ has no import circle."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from kg import formats as registry
from kg.cli import cli

KG = Path(__file__).resolve().parents[2] / "kg"
CONSTRUCT = "CONSTRUCT { ?s ?p ?o } WHERE { ?s a kg:Summit ; ?p ?o }"


@pytest.mark.parametrize("name", registry.names("rdf", writable=True))
def test_query_writes_construct_in_every_rdf_format(name: str, bundled_store_path: Path) -> None:
    result = CliRunner().invoke(cli, ["--store", str(bundled_store_path), "query", CONSTRUCT, "--format", name])
    assert result.exit_code == 0, result.output
    statements = list(ox.parse(result.stdout_bytes, registry.get(name, "rdf").rdf))
    summit = ox.NamedNode("https://w3id.org/kg-diplomacy/ontology#Summit")
    assert any(statement.object == summit for statement in statements), result.output


def test_query_rdfxml_describe(bundled_store_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["--store", str(bundled_store_path), "query", "DESCRIBE kgr:yoon-suk-yeol", "--format", "rdfxml"]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("<?xml") and "yoon-suk-yeol" in result.stdout


def _module_name(path: Path) -> str:
    parts = path.relative_to(KG.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, modules: set[str]) -> set[str]:
    """kg modules a file imports, at any depth of the file (imports inside functions count too)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the package, up level - 1
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for target in targets:
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name and target != "kg":
                found.add(target)
    return found


def test_no_import_circle_in_kg() -> None:
    files = sorted(KG.rglob("*.py"))
    modules = {_module_name(f): f for f in files}
    graph = {name: _imports(path, set(modules)) for name, path in modules.items()}
    circles = []
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                circles.append([*trail[trail.index(nxt) :], nxt] if nxt in trail else [node, nxt])
            elif nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert not circles, "import circles: " + "; ".join(" -> ".join(c) for c in circles)


def test_every_module_imports() -> None:
    for path in sorted(KG.rglob("*.py")):
        if path.name != "__main__.py":  # runs the command
            importlib.import_module(_module_name(path))


def test_the_circle_check_finds_a_circle(tmp_path: Path) -> None:
    """The check itself: two modules importing each other are reported."""
    (tmp_path / "kg").mkdir()
    (tmp_path / "kg" / "a.py").write_text("from kg.b import x\n")
    (tmp_path / "kg" / "b.py").write_text("def f():\n    from kg.a import y\n")
    global KG
    saved, KG = KG, tmp_path / "kg"
    try:
        with pytest.raises(AssertionError, match=r"kg\.a -> kg\.b -> kg\.a"):
            test_no_import_circle_in_kg()
    finally:
        KG = saved


def test_every_measure_is_declared_in_the_ontology() -> None:
    from kg.analysis.measures import MEASURES
    from kg.namespaces import KG, OWL, RDF
    from kg.resources import ontology_dir

    ontology = ox.Store()
    ontology.load(path=str(ontology_dir() / "kg.ttl"), format=ox.RdfFormat.TURTLE)
    for measure in MEASURES:
        assert (
            ox.Quad(
                ox.NamedNode(KG + measure.property),
                ox.NamedNode(RDF + "type"),
                ox.NamedNode(OWL + "DatatypeProperty"),
                ox.DefaultGraph(),
            )
            in ontology
        ), measure.name


def test_import_kind_adds_files_atomically(mini_store_path: Path, tmp_path: Path) -> None:
    from kg.storage import open_store

    before = len(open_store(mini_store_path))
    extra = tmp_path / "extra.ttl"
    extra.write_text("<urn:kg:test:a> <urn:kg:test:b> <urn:kg:test:c> .\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["--store", str(mini_store_path), "import", "rdf", str(extra), "--no-validate"])
    assert result.exit_code == 0, result.output
    assert "1 statements added" in result.output and len(open_store(mini_store_path)) == before + 1
    broken = tmp_path / "broken.ttl"
    broken.write_text("<urn:kg:test:a> <urn:kg:test:b> .\n", encoding="utf-8")
    failed = CliRunner().invoke(cli, ["--store", str(mini_store_path), "import", "rdf", str(broken)])
    assert failed.exit_code == 2 and "broken.ttl:1" in failed.output
    assert len(open_store(mini_store_path)) == before + 1
    unknown = CliRunner().invoke(cli, ["--store", str(mini_store_path), "import", "nope", str(extra)])
    assert unknown.exit_code == 2 and "No such command 'nope'" in unknown.output
