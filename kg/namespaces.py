"""IRIs of the kg vocabulary, its special graphs and the prefixes every query may use."""

from __future__ import annotations

from functools import lru_cache

ONTOLOGY_IRI = "https://w3id.org/kg-diplomacy/ontology"
KG = "https://w3id.org/kg-diplomacy/ontology#"
KGC = "https://w3id.org/kg-diplomacy/concept/"
KGR = "https://w3id.org/kg-diplomacy/resource/"
KGE = "https://w3id.org/kg-diplomacy/evidence/japan-rok-2023/"
KGG = "https://w3id.org/kg-diplomacy/graph/"
KGSH = "https://w3id.org/kg-diplomacy/shapes#"

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"

PROVENANCE_GRAPH = KGG + "provenance"
LEXICON_GRAPH = KGG + "lexicon"
INFERRED_GRAPH = KGG + "inferred"
ANALYSIS_GRAPH = KGG + "analysis"

PREFIXES: dict[str, str] = {
    "kg": KG,
    "kgc": KGC,
    "kgr": KGR,
    "kge": KGE,
    "kgg": KGG,
    "rdf": RDF,
    "rdfs": RDFS,
    "owl": OWL,
    "xsd": XSD,
    "skos": SKOS,
    "dcterms": "http://purl.org/dc/terms/",
    "prov": "http://www.w3.org/ns/prov#",
    "schema": "https://schema.org/",
    "sem": "http://semanticweb.cs.vu.nl/2009/11/sem/",
}

# Properties that may appear in curated-annotation graphs (labels and links, not facts).
ANNOTATION_PROPERTIES = (
    RDFS + "label",
    SKOS + "prefLabel",
    SKOS + "altLabel",
    SKOS + "hiddenLabel",
    OWL + "sameAs",
    SKOS + "exactMatch",
    SKOS + "closeMatch",
    KG + "eventCode",  # a curator's CAMEO code for a curated event (links to the CAMEO scheme)
    KG + "cameoActorCode",  # the CAMEO actor code an entity stands for ("JPNGOV")
    KG + "cameoCountry",  # the CAMEO country code of an actor ("JPN")
)

LABEL_PROPERTIES = (RDFS + "label", SKOS + "prefLabel", SKOS + "altLabel")


@lru_cache(maxsize=1 << 16)
def shorten(iri: str) -> str:
    """Return `prefix:local` for an IRI under a known namespace, else `<iri>`."""
    best = ""
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace) and len(namespace) > len(PREFIXES.get(best, "")):
            local = iri[len(namespace) :]
            if local and all(c.isalnum() or c in "-_." for c in local):
                best = prefix
    if best:
        return f"{best}:{iri[len(PREFIXES[best]) :]}"
    return f"<{iri}>"
