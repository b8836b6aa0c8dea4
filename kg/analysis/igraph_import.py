"""Import python-igraph without its matplotlib drawing backend.

`import igraph` imports matplotlib when it is installed (for igraph's own plotting, which kg never
uses): 0.57 s of a 0.64 s import here, paid by every `kg analyze`, `kg render` and `kg site` that
lays out or measures a large graph. Hiding matplotlib while igraph is first imported makes igraph
treat it as absent (0.07 s); matplotlib itself stays importable for kg's charts.
"""

from __future__ import annotations

import sys
from typing import Any


def load_igraph() -> Any:
    """The igraph module, imported once without its drawing backend."""
    if "igraph" in sys.modules:
        return sys.modules["igraph"]
    hidden = "matplotlib" not in sys.modules
    if hidden:
        sys.modules["matplotlib"] = None  # type: ignore[assignment]  # makes `import matplotlib` fail
    try:
        import igraph
    finally:
        if hidden:
            del sys.modules["matplotlib"]
    return igraph
