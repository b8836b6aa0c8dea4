"""Linkage analysis: projections of the graph onto networkx (`project`), the measures table and its
algorithms (`measures`), and explained paths, neighbourhoods and timelines (`explore`)."""
