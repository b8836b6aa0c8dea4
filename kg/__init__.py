"""kg: a knowledge graph of diplomatic actors, agreements, disputes and claims."""

__version__ = "0.1.0"


def load_ipython_extension(ipython: object) -> None:
    """`%load_ext kg` in IPython or Jupyter: the `%%sparql` cell magic (see kg.notebook)."""
    from kg.notebook import load_ipython_extension as load

    load(ipython)
