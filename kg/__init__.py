"""kg: a knowledge graph of diplomatic actors, agreements, disputes and claims."""

__version__ = "0.1.0"
