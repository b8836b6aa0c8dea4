"""Where the graph lives: the embedded Oxigraph store, a remote SPARQL server, and one way to open either.

* `location` — `Location`, `open_store()`, `writable()`: the one place that decides folder or server.
* `protocol` — `GraphStore`, what both kinds of store offer the library.
* `embedded` — the Oxigraph folder with atomically swapped generations.
* `remote`, `remote_sparql`, `remote_http` — a SPARQL 1.1 server read as a store.
* `publish` — uploading a build to a server and swapping it in.
"""

from kg.storage.location import Location, open_store, writable
from kg.storage.protocol import GraphStore

__all__ = ["GraphStore", "Location", "open_store", "writable"]
