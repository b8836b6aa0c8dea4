"""`GraphStore`: what the library needs of a store, whether embedded or a remote SPARQL server."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import pyoxigraph as ox


@runtime_checkable
class GraphStore(Protocol):
    """A store kg reads: the embedded Oxigraph folder (`Store`) or a SPARQL server (`RemoteStore`).

    Queries see the union of all graphs as their default graph unless `union` is false.
    """

    location: str

    def query(self, sparql: str, substitutions: dict[ox.Variable, Any] | None = None, union: bool = True) -> Any:
        """Run SPARQL; returns pyoxigraph QuerySolutions, QueryBoolean or QueryTriples."""
        ...

    def named_graphs(self) -> set[str]:
        """The IRIs of the store's named graphs."""
        ...

    def quads(self) -> list[ox.Quad]:
        """Every statement of every graph."""
        ...

    def __len__(self) -> int: ...

    def close(self) -> None:
        """Release the store."""
        ...
