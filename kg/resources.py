"""Where the ontology, shapes, bundled graphs and canned queries live (in the wheel or the checkout)."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _data_dir(name: str) -> Path:
    installed = _PACKAGE / "data" / name
    if installed.is_dir():
        return installed
    checkout = _PACKAGE.parent / name
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"kg data folder {name!r} is missing from the installation")


def ontology_dir() -> Path:
    return _data_dir("ontology")


def graph_dir() -> Path:
    return _data_dir("graph")


def queries_dir() -> Path:
    return _PACKAGE / "queries"


def ontology_files() -> list[Path]:
    """The ontology and its concept schemes (not the shapes)."""
    return [ontology_dir() / "kg.ttl", ontology_dir() / "concepts.ttl", ontology_dir() / "cameo.ttl"]


def shapes_file() -> Path:
    return ontology_dir() / "shapes.ttl"


def bundled_graph_files() -> list[Path]:
    return sorted(graph_dir().glob("*.trig"))


def ontology_docs_file() -> Path:
    """The ontology's documentation page generated from kg.ttl (`make docs`), shipped with the data."""
    return _data_dir("docs") / "ontology.html"
