"""Explained paths, neighbourhoods and timelines carry the evidence of every step."""

from __future__ import annotations

import pytest

from kg.analysis.explore import explain_paths, neighbors, timeline
from kg.dates import parse_user_date, span
from kg.errors import ParameterError, UnknownEntityError
from kg.storage.embedded import Store

RULING = "Supreme Court forced-labour ruling of October 2018"
SUMMIT = "Japan-ROK summit of 16 March 2023"


def test_path_from_ruling_to_summit_is_the_causal_chain(bundled_store: Store) -> None:
    paths = explain_paths(bundled_store, RULING, SUMMIT, k=3)
    assert len(paths) == 3
    relations = {tuple(h.relation for h in p.hops) for p in paths}
    assert ("concerns", "aims to resolve", "based on", "concerns", "part of") in relations
    assert paths[0].cost <= paths[1].cost <= paths[2].cost


def test_every_hop_carries_its_own_evidence(bundled_store: Store) -> None:
    for path in explain_paths(bundled_store, RULING, SUMMIT, k=3):
        for hop in path.hops:
            forward = (hop.source, hop.target) if hop.forward else (hop.target, hop.source)
            rows = list(
                bundled_store.query(
                    f"SELECT ?quote WHERE {{ GRAPH ?g {{ <{forward[0]}> ?p <{forward[1]}> }} ?g kg:quote ?quote }}"
                )
            )
            assert hop.quote in {r["quote"].value for r in rows}
        text = "\n".join(path.lines())
        assert all(f"“{hop.quote}”" in text for hop in path.hops)


def test_paths_respect_as_of(bundled_store: Store) -> None:
    with pytest.raises(UnknownEntityError, match="not in the graph as of 2023-03-15"):
        explain_paths(bundled_store, RULING, SUMMIT, as_of=parse_user_date("2023-03-15"))
    assert explain_paths(bundled_store, RULING, "Yoon Suk-yeol", as_of=parse_user_date("2022-06"))


def test_bad_arguments(bundled_store: Store) -> None:
    with pytest.raises(ParameterError):
        explain_paths(bundled_store, RULING, SUMMIT, k=0)
    with pytest.raises(ParameterError, match="--as-of"):  # the CLI's parameter type names its option
        parse_user_date("March 2023", "--as-of")
    with pytest.raises(ParameterError, match="hops must be 0 or more"):
        neighbors(bundled_store, "Kishida", hops=-1)
    with pytest.raises(UnknownEntityError, match="did you mean"):
        neighbors(bundled_store, "Kishda")


def test_neighbors(bundled_store: Store) -> None:
    rows = neighbors(bundled_store, "Kishida", hops=1)
    assert rows[0]["distance"] == 0 and rows[0]["label"] == "Kishida Fumio"
    labels = {r["label"] for r in rows}
    assert "Kishida Yūko" in labels and "Japan-ROK summit of 16 March 2023" in labels
    assert {r["distance"] for r in neighbors(bundled_store, "Kishida", hops=2)} == {0, 1, 2}
    assert [r["label"] for r in neighbors(bundled_store, "Kishida", hops=0)] == ["Kishida Fumio"]


def test_timeline_is_chronological_with_evidence(bundled_store: Store) -> None:
    rows = timeline(bundled_store)
    assert rows[0]["date"] == "1965"
    assert rows[-1]["date"].startswith("2024")
    assert all(r["quote"] for r in rows)
    march = span(parse_user_date("2023-03-01"), parse_user_date("2023-03-31"))
    yoon = timeline(bundled_store, actor="President Yoon", between=march)
    labels = [r["label"] for r in yoon]
    assert "Japan-ROK summit of 16 March 2023" in labels
    assert all(r["date"].startswith("2023-03") for r in yoon)
    with pytest.raises(ParameterError, match="2024 is after 2023"):
        timeline(bundled_store, between=(parse_user_date("2024"), parse_user_date("2023")))
