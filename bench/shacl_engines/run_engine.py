"""Run pyshacl-turbo, pyrudof or pyshifty on the graphs of prepare.py, in a separate venv:

python3 -m venv /tmp/eval && /tmp/eval/bin/pip install pyshacl-turbo pyrudof pyshifty rdflib
cp ontology/shapes.ttl /tmp/scale-evald/ && /tmp/eval/bin/python bench/shacl_engines/run_engine.py turbo s100k two-dates
"""

import sys
import time
from pathlib import Path

D = Path("/tmp/scale-evald")
SH = str(D / "shapes.ttl")
EXPECT = {
    "ruling-without-court": "ruling-x",
    "ruling-without-date": "ruling-x",
    "agreement-one-party": "pact-x",
    "event-without-date": "visit-x",
    "event-without-participant": "summit-x",
    "claim-without-claimant": "claim-x",
    "claim-without-content": "claim-x",
    "office-term-without-holder": "term-x",
    "poll-share-out-of-range": "result-x",
    "evidence-without-source": "q9",
    "statement-without-evidence": "yoon-suk-yeol",
    "entity-without-evidence": "abe-x",
    "untyped-date": "press-conference-2023-03-16",
    "two-dates": "press-conference-2023-03-16",
    "no-english-label": "kim-x",
}
engine = sys.argv[1]
cases = sys.argv[2:]


def focus_nodes_rdflib(report):
    from rdflib.namespace import SH as S

    return [str(report.value(r, S.focusNode)) for r in report.objects(None, S.result)]


def run(name):
    nt = str(D / f"{name}.nt")
    t = time.perf_counter()
    if engine == "turbo":
        import pyshacl_turbo
        import rdflib

        data = rdflib.Graph().parse(nt, format="nt")
        shapes = rdflib.Graph().parse(SH, format="turtle")
        t = time.perf_counter()
        _conforms, report, _text = pyshacl_turbo.validate(
            data, shacl_graph=shapes, advanced=True, inference="none", allow_warnings=True
        )
        foci = focus_nodes_rdflib(report)
    elif engine == "shifty":
        import rdflib
        import shifty

        data = rdflib.Graph().parse(nt, format="nt")
        shapes = rdflib.Graph().parse(SH, format="turtle")
        t = time.perf_counter()
        _conforms, report, _text = shifty.validate(data, shapes, infer=False, on_unsupported="error")
        foci = focus_nodes_rdflib(report)
    else:
        import pyrudof

        r = pyrudof.Rudof(pyrudof.RudofConfig())
        r.read_data(nt, pyrudof.RDFFormat.NTriples)
        r.read_shacl(SH, pyrudof.ShaclFormat.Turtle)
        report = r.validate_shacl()
        foci = [str(getattr(v, "focus_node", v)) for v in report.violations] if hasattr(report, "violations") else []
        foci = [str(v) for v in foci]
    return time.perf_counter() - t, foci


for name in cases:
    try:
        secs, foci = run(name)
        want = EXPECT.get(name)
        ok = "-" if want is None else ("found" if any(want in f for f in foci) else "MISSED")
        print(f"{engine} {name}: {len(foci)} results, expected {ok}, {secs:.2f} s")
    except Exception as e:
        print(f"{engine} {name}: ERROR {type(e).__name__}: {str(e)[:300]}")
