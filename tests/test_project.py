"""Projections onto networkx: typed, evidence-carrying, time-aware, deterministic."""

from __future__ import annotations

import networkx as nx

from kg.analysis.project import actor_issue_graph, actor_network, contracted, entity_graph
from kg.dates import parse_user_date, span
from kg.storage.embedded import Store

KGR = "https://w3id.org/kg-diplomacy/resource/"
SUMMIT, RULING = KGR + "summit-2023-03-16", KGR + "ruling-2018-forced-labor"


def test_entities_are_nodes_with_attributes(bundled_store: Store) -> None:
    graph = entity_graph(bundled_store)
    summit = graph.nodes[SUMMIT]
    assert summit["kind"] == "Summit" and summit["top"] == "Event" and summit["date"] == "2023-03-16"
    assert summit["label"] == "Japan-ROK summit of 16 March 2023"
    assert summit["quotes"] and all(len(q) == 2 for q in summit["quotes"])
    assert not any(n.startswith("https://w3id.org/kg-diplomacy/ontology#") for n in graph)
    assert not any(n.startswith("https://w3id.org/kg-diplomacy/concept/") for n in graph)


def test_type_and_literals_are_not_edges(bundled_store: Store) -> None:
    graph = entity_graph(bundled_store)
    relations = {d["relation"] for _, _, d in graph.edges(data=True)}
    assert "rdf:type" not in relations and "kg:date" not in relations and "rdfs:label" not in relations
    assert all(isinstance(target, str) and target in graph for _, target in graph.edges())


def test_edges_carry_evidence(bundled_store: Store) -> None:
    graph = entity_graph(bundled_store)
    data = graph.get_edge_data(RULING, KGR + "supreme-court-of-korea")
    assert data["https://w3id.org/kg-diplomacy/ontology#court"]["quote"].startswith("The acrimony came to a head")
    assert all(d["quote"] for _, _, d in graph.edges(data=True))


def test_claims_never_become_asserted_edges(bundled_store: Store) -> None:
    graph = entity_graph(bundled_store)
    treaty = KGR + "treaty-1965"
    assert not graph.has_edge(RULING, treaty) and not graph.has_edge(treaty, RULING)
    claim_edges = [(s, t) for s, t, d in graph.edges(data=True) if d["claim"]]
    assert claim_edges and all(graph.nodes[s]["top"] == "Claim" for s, _ in claim_edges)
    assert not any(graph.has_edge(RULING, t) for t in nx.all_neighbors(graph, RULING) if t == treaty)
    network = actor_network(graph)
    assert all(d["sign"] in (-1, 0, 1) for _, _, d in network.edges(data=True))


def test_as_of_snapshot_drops_later_events(bundled_store: Store) -> None:
    before = entity_graph(bundled_store, as_of=parse_user_date("2023-03-15"))
    after = entity_graph(bundled_store, as_of=parse_user_date("2023-03-16"))
    assert SUMMIT not in before and SUMMIT in after
    assert RULING in before
    assert KGR + "announcement-compensation-plan-2023-03-06" in before
    # A month-precision date counts only once the whole month has passed.
    gallup = [n for n, d in after.nodes(data=True) if d["kind"] == "Poll"]
    assert gallup == []
    assert [
        n
        for n, d in entity_graph(bundled_store, as_of=parse_user_date("2023-03")).nodes(data=True)
        if d["kind"] == "Poll"
    ]
    assert all(before.nodes[s] and before.nodes[t] for s, t in before.edges())


def test_as_of_gives_agreement_status(bundled_store: Store) -> None:
    controls = KGR + "japan-export-controls-2019"
    assert entity_graph(bundled_store, as_of=parse_user_date("2020")).nodes[controls]["status"] == "imposed"
    assert entity_graph(bundled_store, as_of=parse_user_date("2023-04")).nodes[controls]["status"] == "lifted"
    assert controls not in entity_graph(bundled_store, as_of=parse_user_date("2019-06"))  # not yet imposed


def test_as_of_drops_what_might_not_have_happened(bundled_store: Store) -> None:
    """Undated events, claims and plans are not in a snapshot unless a dated event produced them."""
    plan = KGR + "yoon-compensation-plan"  # undated; the outcome of the announcement of 6 March 2023
    assert plan not in entity_graph(bundled_store, as_of=parse_user_date("2023-03-05"))
    assert plan in entity_graph(bundled_store, as_of=parse_user_date("2023-03-06"))
    early = entity_graph(bundled_store, as_of=parse_user_date("1900"))
    assert not [n for n, d in early.nodes(data=True) if d["top"] in ("Event", "Claim", "Agreement", "Policy")]
    assert KGR + "yoon-suk-yeol" in early  # actors persist


def test_between_keeps_a_period(bundled_store: Store) -> None:
    graph = entity_graph(bundled_store, between=span(parse_user_date("2018"), parse_user_date("2019")))
    dated = {d["date"][:4] for _, d in graph.nodes(data=True) if d["date"]}
    assert dated == {"2018", "2019"}


def test_class_filter(bundled_store: Store) -> None:
    graph = entity_graph(bundled_store, classes=["Actor"])
    assert graph.number_of_nodes() > 20 and {d["top"] for _, d in graph.nodes(data=True)} == {"Actor"}


def test_views(bundled_store: Store) -> None:
    graph = entity_graph(bundled_store)
    actors = actor_network(graph)
    assert {d["top"] for _, d in actors.nodes(data=True)} == {"Actor"}
    japan, korea = KGR + "japan", KGR + "republic-of-korea"
    assert actors[japan][korea]["weight"] > 10
    bipartite = actor_issue_graph(graph)
    assert {d["bipartite"] for _, d in bipartite.nodes(data=True)} == {0, 1}
    assert all(
        (bipartite.nodes[a]["top"] == "Actor" and bipartite.nodes[b]["top"] == "Dispute")
        or (bipartite.nodes[b]["top"] == "Actor" and bipartite.nodes[a]["top"] == "Dispute")
        for a, b in bipartite.edges()
    )
    flat = contracted(graph)
    assert not any(d["hub"] for _, d in flat.nodes(data=True))
    assert any("in Japan-ROK summit of 16 March 2023" in d["label"] for _, _, d in flat.edges(data=True))


def test_projection_is_deterministic(bundled_store: Store) -> None:
    first, second = entity_graph(bundled_store), entity_graph(bundled_store)
    assert list(first.nodes) == list(second.nodes)
    assert list(first.edges(keys=True)) == list(second.edges(keys=True))
