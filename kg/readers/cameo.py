"""CAMEO lookups for the event reader: event codes (from ontology/cameo.ttl) and actor codes.

The event taxonomy is read once from the bundled SKOS scheme; actor country and type codes
(CAMEO actor codebook) decide the class and label of actors the import creates.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from kg.namespaces import KG, KGC, SKOS

ROOT_CODES = tuple(f"{n:02d}" for n in range(1, 21))

# CAMEO actor type codes (CAMEO codebook, chapter on actor codes) -> (label, kg class local name).
ACTOR_TYPES: dict[str, tuple[str, str]] = {
    "GOV": ("government", "Government"),
    "MIL": ("military", "MilitaryUnit"),
    "JUD": ("judiciary", "Court"),
    "LEG": ("legislature", "GovernmentBody"),
    "COP": ("police", "GovernmentBody"),
    "SPY": ("intelligence services", "GovernmentBody"),
    "BUS": ("business", "Company"),
    "MNC": ("multinational corporation", "Company"),
    "IGO": ("intergovernmental organisation", "InternationalOrganization"),
    "UNO": ("United Nations", "InternationalOrganization"),
    "PKO": ("peacekeepers", "InternationalOrganization"),
    "OPP": ("opposition", "Group"),
    "REB": ("rebels", "Group"),
    "INS": ("insurgents", "Group"),
    "SEP": ("separatists", "Group"),
    "UAF": ("unaligned armed forces", "Group"),
    "AGR": ("agriculture", "Group"),
    "CRM": ("criminals", "Group"),
    "CVL": ("civilians", "Group"),
    "DEV": ("development", "Group"),
    "EDU": ("education", "Group"),
    "ELI": ("elites", "Group"),
    "ENV": ("environmental groups", "Group"),
    "HLH": ("health", "Group"),
    "HRI": ("human rights groups", "Group"),
    "LAB": ("labour", "Group"),
    "MED": ("media", "Group"),
    "REF": ("refugees", "Group"),
    "MOD": ("moderates", "Group"),
    "RAD": ("radicals", "Group"),
    "NGO": ("non-governmental organisation", "Group"),
    "NGM": ("non-governmental movement", "Group"),
    "IMG": ("international militarised group", "Group"),
    "INT": ("international or transnational actor", "Group"),
    "SET": ("settlers", "Group"),
    "UIS": ("unidentified state actor", "Group"),
}

# CAMEO region codes that are not ISO 3166 countries.
REGIONS = {
    "AFR": "Africa",
    "ASA": "Asia",
    "BLK": "Balkans",
    "CAS": "Central Asia",
    "CAU": "Caucasus",
    "CFR": "Central Africa",
    "CRB": "Caribbean",
    "EAF": "East Africa",
    "EEU": "Eastern Europe",
    "EIN": "East Indies",
    "EUR": "Europe",
    "LAM": "Latin America",
    "MEA": "Middle East",
    "MDT": "Mediterranean",
    "NAF": "North Africa",
    "NMR": "North America",
    "PGS": "Persian Gulf",
    "SAF": "Southern Africa",
    "SAM": "South America",
    "SAS": "South Asia",
    "SEA": "Southeast Asia",
    "SCN": "Scandinavia",
    "WAF": "West Africa",
    "WST": "the West",
    "CEU": "Central Europe",
}


@dataclass(frozen=True)
class CameoCode:
    code: str
    label: str
    goldstein: float
    root: str


@functools.cache
def event_codes() -> dict[str, CameoCode]:
    """Every CAMEO event code of the bundled scheme, keyed by its string notation ("010")."""
    import pyoxigraph as ox

    from kg.resources import ontology_dir

    labels: dict[str, str] = {}
    goldstein: dict[str, float] = {}
    notation: dict[str, str] = {}
    for quad in ox.parse(path=str(ontology_dir() / "cameo.ttl"), format=ox.RdfFormat.TURTLE):
        subject, predicate, obj = quad.subject.value, quad.predicate.value, quad.object
        if not subject.startswith(KGC + "cameo-"):
            continue
        if predicate == SKOS + "notation":
            notation[subject] = obj.value
        elif predicate == SKOS + "prefLabel":
            labels[subject] = obj.value
        elif predicate == KG + "goldstein":
            goldstein[subject] = float(obj.value)
    return {code: CameoCode(code, labels[iri], goldstein[iri], code[:2]) for iri, code in notation.items()}


@functools.cache
def place_name(code: str) -> str:
    """Name of a CAMEO country or region code ("JPN" -> "Japan"); the code itself if unknown."""
    if code in REGIONS:
        return REGIONS[code]
    import pycountry

    country = pycountry.countries.get(alpha_3=code)
    if country is None:
        return code
    return str(getattr(country, "common_name", None) or country.name)


def actor_key(country: str, type_code: str, code: str) -> str:
    """The code an actor is resolved by: country + first type ("JPNGOV"), else the CAMEO code."""
    if country:
        return country + type_code
    return type_code or code


def actor_description(country: str, type_code: str, code: str) -> tuple[str, str]:
    """(English label, kg class local name) for an actor the import creates."""
    type_label, kind = ACTOR_TYPES.get(type_code, (type_code.lower(), "Group")) if type_code else ("", "State")
    if country:
        name = place_name(country)
        if not type_code:
            return name, ("State" if country not in REGIONS else "Group")
        if type_code == "GOV":
            return f"Government of {name}", kind
        return f"{name}: {type_label} (CAMEO {country}{type_code})", kind
    if type_code:
        return f"{type_label.capitalize()}, country not coded (CAMEO {type_code})", kind
    return f"CAMEO actor {code}", "Group"


# GDELT gazetteer country names pycountry does not know (country name -> CAMEO / ISO 3166 alpha-3).
COUNTRY_ALIASES = {
    "russia": "RUS",
    "turkey": "TUR",
    "brunei": "BRN",
    "bosnia-herzegovina": "BIH",
    "kosovo": "KSV",
    "vatican city": "VAT",
    "vietnam, republic of": "VNM",
    "bahamas, the": "BHS",
    "gambia, the": "GMB",
    "burma": "MMR",
    "ivory coast": "CIV",
    "cote d'ivoire": "CIV",
    "macedonia": "MKD",
    "swaziland": "SWZ",
    "czech republic": "CZE",
    "east timor": "TLS",
    "cape verde": "CPV",
    "west bank": "PSE",
    "gaza strip": "PSE",
    "congo, democratic republic of the": "COD",
    "congo, republic of the": "COG",
    "korea, north": "PRK",
    "korea, south": "KOR",
    "north korea": "PRK",
    "south korea": "KOR",
    "iran": "IRN",
    "syria": "SYR",
    "laos": "LAO",
    "moldova": "MDA",
    "tanzania": "TZA",
    "venezuela": "VEN",
    "bolivia": "BOL",
    "taiwan": "TWN",
}


@functools.cache
def country_of_place(full_name: str) -> str | None:
    """The alpha-3 code of the country a GDELT place name ends with ("Tokyo, Tokyo, Japan" -> "JPN")."""
    import pycountry

    parts = [p.strip() for p in full_name.split(",") if p.strip()]
    for candidate in (", ".join(parts[-2:]), parts[-1] if parts else ""):
        if not candidate:
            continue
        alias = COUNTRY_ALIASES.get(candidate.lower())
        if alias:
            return alias
        try:
            return str(pycountry.countries.lookup(candidate).alpha_3)
        except LookupError:
            continue
    return None


@functools.cache
def hierarchy() -> tuple[dict[str, frozenset[str]], dict[str, frozenset[str]]]:
    """(superclasses, kg super-properties) of the ontology's classes and properties, transitively:
    what a build's `materialise_hierarchy` derives into kgg:inferred, so the import can stream the
    same statements instead of running that update over the whole store."""
    import pyoxigraph as ox

    from kg.namespaces import OWL, RDFS
    from kg.resources import ontology_dir

    direct: dict[str, dict[str, set[str]]] = {"class": {}, "property": {}}
    for quad in ox.parse(path=str(ontology_dir() / "kg.ttl"), format=ox.RdfFormat.TURTLE):
        kind = {RDFS + "subClassOf": "class", RDFS + "subPropertyOf": "property"}.get(quad.predicate.value)
        if kind and isinstance(quad.subject, ox.NamedNode) and isinstance(quad.object, ox.NamedNode):
            direct[kind].setdefault(quad.subject.value, set()).add(quad.object.value)

    def closure(table: dict[str, set[str]]) -> dict[str, frozenset[str]]:
        from kg.snapshot import ancestors

        return {start: frozenset(ancestors(start, table)) for start in table}

    classes = {k: frozenset(v - {OWL + "Thing"}) for k, v in closure(direct["class"]).items()}
    properties = {k: frozenset(x for x in v if x.startswith(KG)) for k, v in closure(direct["property"]).items()}
    return classes, properties
