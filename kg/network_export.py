"""The entity graph for network tools: GraphML and GEXF 1.3 for Gephi, CSV node and edge lists for
spreadsheets, Kumu or Flourish.

Every evidenced link is kept (a multigraph: two relations between the same pair are two edges)
with a unique id, a weight (the number of evidence records that support it) and typed attributes.
A date keeps its precision: neither GraphML nor GEXF attributes have a date type that networkx and
Gephi both read, so a date is its ISO text (``2018-10`` stays a month) with ``date_precision``
(day, month or year) beside it; where GEXF does have dates, in the spells of a dynamic graph
(``timeformat="date"``), ``dynamic=True`` gives each dated node a spell from the first day its
date may mean to the last day its end date may mean. Otherwise GEXF is static.
"""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import IO, Any

from kg.dates import period

GEXF_NS = "http://gexf.net/1.3"

NODE_COLUMNS = ["id", "label", "class", "top_class", "date", "date_precision", "end_date", "end_precision", "status"]
EDGE_COLUMNS = ["id", "source", "target", "relation", "label", "date", "date_precision", "weight", "claim", "quote"]


@dataclass(frozen=True)
class NetworkTable:
    """A projected graph as two flat tables: one row per node and one per link."""

    nodes: list[dict[str, Any]]
    edges: list[dict[str, Any]]


def _precision(text: str) -> str:
    found = period(text) if text else None
    return found.precision if found else ""


def table(graph: Any) -> NetworkTable:
    """Nodes and edges of an entity graph (kg.project.entity_graph), edges numbered e1, e2… in a
    stable order."""
    nodes = []
    for iri, data in graph.nodes(data=True):
        date, end = str(data.get("date") or ""), str(data.get("end") or "")
        nodes.append(
            {
                "id": iri,
                "label": str(data.get("label", iri)),
                "class": str(data.get("kind", "")),
                "top_class": str(data.get("top", "")),
                "date": date,
                "date_precision": _precision(date),
                "end_date": end,
                "end_precision": _precision(end),
                "status": str(data.get("status") or ""),
            }
        )
    edges = []
    ordered = sorted(graph.edges(keys=True, data=True), key=lambda e: (e[0], e[2], e[1]))
    for number, (source, target, key, data) in enumerate(ordered, 1):
        date = str(data.get("date") or "")
        edges.append(
            {
                "id": f"e{number}",
                "source": source,
                "target": target,
                "relation": str(data.get("relation", key)),
                "label": str(data.get("label", "")),
                "date": date,
                "date_precision": _precision(date),
                "weight": float(data.get("evidence", 1)),
                "claim": bool(data.get("claim", False)),
                "quote": str(data.get("quote") or ""),
            }
        )
    return NetworkTable(nodes, edges)


def write_graphml(graph: Any, stream: IO[bytes]) -> None:
    """GraphML (networkx's writer) of a multigraph whose edge ids are unique."""
    import networkx as nx

    rows = table(graph)
    out = nx.MultiDiGraph()
    for node in rows.nodes:
        out.add_node(node["id"], **{k: v for k, v in node.items() if k != "id"})
    for edge in rows.edges:
        attributes = {k: v for k, v in edge.items() if k not in ("id", "source", "target")}
        out.add_edge(edge["source"], edge["target"], key=edge["id"], **attributes)
    nx.write_graphml(out, stream, named_key_ids=True)  # a multigraph's edge id is its key


def _gexf_date(text: str) -> str:
    found = period(text) if text else None
    return found.first.isoformat() if found else ""


def _gexf_end(text: str) -> str:
    found = period(text) if text else None
    return found.last.isoformat() if found else ""


def write_gexf(graph: Any, stream: IO[bytes], *, dynamic: bool = False) -> None:
    """GEXF 1.3: static by default; with `dynamic`, node spells from their start and end dates."""
    rows = table(graph)
    ET.register_namespace("", GEXF_NS)
    root = ET.Element(f"{{{GEXF_NS}}}gexf", {"version": "1.3"})
    meta = ET.SubElement(root, f"{{{GEXF_NS}}}meta")
    ET.SubElement(meta, f"{{{GEXF_NS}}}creator").text = "kg"
    ET.SubElement(meta, f"{{{GEXF_NS}}}description").text = "Entities and evidenced links of a kg knowledge graph"
    attributes = {"defaultedgetype": "directed", "mode": "dynamic" if dynamic else "static"}
    if dynamic:
        attributes["timeformat"] = "date"
    body = ET.SubElement(root, f"{{{GEXF_NS}}}graph", attributes)
    node_types = [
        ("class", "string"),
        ("top_class", "string"),
        ("date", "string"),
        ("date_precision", "string"),
        ("end_date", "string"),
        ("end_precision", "string"),
        ("status", "string"),
    ]
    edge_types = [
        ("relation", "string"),
        ("date", "string"),
        ("date_precision", "string"),
        ("claim", "boolean"),
        ("quote", "string"),
    ]
    for cls, types in (("node", node_types), ("edge", edge_types)):
        declared = ET.SubElement(body, f"{{{GEXF_NS}}}attributes", {"class": cls, "mode": "static"})
        for name, kind in types:
            ET.SubElement(declared, f"{{{GEXF_NS}}}attribute", {"id": f"{cls}-{name}", "title": name, "type": kind})
    nodes_element = ET.SubElement(body, f"{{{GEXF_NS}}}nodes")
    for node in rows.nodes:
        element = ET.SubElement(nodes_element, f"{{{GEXF_NS}}}node", {"id": node["id"], "label": node["label"]})
        _attvalues(element, "node", node_types, node)
        if dynamic and node["date"]:
            spells = ET.SubElement(element, f"{{{GEXF_NS}}}spells")
            spell = {"start": _gexf_date(node["date"]), "end": _gexf_end(node["end_date"] or node["date"])}
            ET.SubElement(spells, f"{{{GEXF_NS}}}spell", spell)
    edges_element = ET.SubElement(body, f"{{{GEXF_NS}}}edges")
    for edge in rows.edges:
        element = ET.SubElement(
            edges_element,
            f"{{{GEXF_NS}}}edge",
            {
                "id": edge["id"],
                "source": edge["source"],
                "target": edge["target"],
                "label": edge["label"],
                "weight": repr(edge["weight"]),
            },
        )
        values = dict(edge, claim="true" if edge["claim"] else "false")
        _attvalues(element, "edge", edge_types, values)
    ET.ElementTree(root).write(stream, encoding="utf-8", xml_declaration=True)


def _attvalues(element: ET.Element, cls: str, types: list[tuple[str, str]], values: dict[str, Any]) -> None:
    present = [(name, str(values[name])) for name, _ in types if values.get(name) not in (None, "")]
    if present:
        container = ET.SubElement(element, f"{{{GEXF_NS}}}attvalues")
        for name, value in present:
            ET.SubElement(container, f"{{{GEXF_NS}}}attvalue", {"for": f"{cls}-{name}", "value": value})


def write_nodes_csv(graph: Any, stream: IO[bytes]) -> None:
    """The node list as CSV (UTF-8, header row): id, label, class, dates with precision, status."""
    _write_csv(stream, NODE_COLUMNS, table(graph).nodes)


def write_edges_csv(graph: Any, stream: IO[bytes]) -> None:
    """The edge list as CSV (UTF-8, header row): id, source, target, relation, label, date, weight…"""
    _write_csv(stream, EDGE_COLUMNS, table(graph).edges)


def _write_csv(stream: IO[bytes], columns: list[str], items: list[dict[str, Any]]) -> None:
    text = io.StringIO(newline="")
    writer = csv.DictWriter(text, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(items)
    stream.write(text.getvalue().encode("utf-8"))
