"""Write the validation data graphs (union of all graphs + kg's derived links) as N-Triples into /tmp/scale-evald,
for bench/shacl_engines/run_engine.py (run with kg's venv from the repository root)."""

import sys
from pathlib import Path

import pyoxigraph as ox

from kg.build import input_files, load_all
from kg.storage.embedded import memory_store
from kg.validate import derived_statements

sys.path.insert(0, ".")
from tests.conftest import BROKEN, MINI

out = Path("/tmp/scale-evald")
cases = {c.stem: ([MINI, c], True) for c in sorted(BROKEN.glob("*.trig"))}
cases["s100k"] = ([Path("bench/data/synthetic-100k.nq")], True)
for name, (files, only) in cases.items():
    st = memory_store()
    load_all(st, input_files(files, only))
    triples = [
        ox.Triple(t.subject, t.predicate, t.object) for t in st.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }")
    ]
    triples += [ox.Triple(s, ox.NamedNode(p), o) for s, p, o in derived_statements(st)]
    ox.serialize(triples, str(out / f"{name}.nt"), ox.RdfFormat.N_TRIPLES)
    print(name, len(triples))
