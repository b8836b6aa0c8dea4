"""Write the GDELT test fixtures of this folder (invented rows, real file layouts).

    python tests/data/gdelt/make_fixtures.py

- export.CSV          GDELT 2.0 export form: tab-separated, no header, 61 columns
- header.csv          the same rows in BigQuery form: header row, commas, 62 columns
- daily-v1.CSV        GDELT 1.0 daily form (April 2013 on): 58 columns
- daily-v1-57.CSV     GDELT 1.0 daily form before April 2013: 57 columns (no SOURCEURL)
- malformed.CSV       export form with bad rows at lines 2, 4, 5, 6 and 8
- malformed-header.csv header form with bad rows at lines 3 and 5 (line 1 is the header)
"""

from __future__ import annotations

import csv
from pathlib import Path

from kg.readers.gdelt import LAYOUTS

HERE = Path(__file__).parent

# id, date, actor1 (code, name, country, type), actor2, event code, quad, goldstein, mentions,
# sources, articles, tone, action geo (type, name, country, lat, long, feature id), url
ROWS = [
    (
        "900000001",
        "20230306",
        ("KORGOV", "SEOUL", "KOR", "GOV"),
        ("JPN", "JAPAN", "JPN", ""),
        "036",
        "1",
        "4.0",
        "10",
        "2",
        "10",
        "1.5",
        ("4", "Seoul, Soul-t'ukpyolsi, South Korea", "KS", "37.5664", "126.997", "-716583"),
        "https://news.example.org/2023/03/06/compensation-plan",
    ),
    (
        "900000002",
        "20230316",
        ("JPNGOV", "TOKYO", "JPN", "GOV"),
        ("KORGOV", "SOUTH KOREA", "KOR", "GOV"),
        "043",
        "1",
        "2.8",
        "40",
        "8",
        "40",
        "3.25",
        ("4", "Tokyo, Tokyo, Japan", "JA", "35.685", "139.751", "-246227"),
        "https://news.example.org/2023/03/16/summit",
    ),
    (
        "900000003",
        "20230316",
        ("KOR", "SOUTH KOREA", "KOR", ""),
        ("JPN", "JAPAN", "JPN", ""),
        "057",
        "1",
        "8.0",
        "30",
        "6",
        "30",
        "4.0",
        ("4", "Tokyo, Tokyo, Japan", "JA", "35.685", "139.751", "-246227"),
        "https://news.example.org/2023/03/16/agreement",
    ),
    (
        "900000004",
        "20230210",
        ("JPN", "JAPAN", "JPN", ""),
        ("KOR", "SOUTH KOREA", "KOR", ""),
        "112",
        "3",
        "-2.0",
        "6",
        "1",
        "6",
        "-3.5",
        ("1", "Japan", "JA", "36", "138", "JA"),
        "https://news.example.org/2023/02/10/accuse",
    ),
    (
        "900000005",
        "20230405",
        ("KORMIL", "SOUTH KOREAN NAVY", "KOR", "MIL"),
        ("JPNMIL", "JAPANESE NAVY", "JPN", "MIL"),
        "062",
        "2",
        "7.4",
        "5",
        "1",
        "5",
        "2.0",
        ("0", "", "", "", "", ""),
        "https://news.example.org/2023/04/05/drills",
    ),
    (
        "900000006",
        "20230420",
        ("KOR", "SOUTH KOREA", "KOR", ""),
        ("JPN", "JAPAN", "JPN", ""),
        "141",
        "4",
        "-6.5",
        "12",
        "3",
        "12",
        "-5.0",
        ("4", "Seoul, Soul-t'ukpyolsi, South Korea", "KS", "37.5664", "126.997", "-716583"),
        "https://news.example.org/2023/04/20/protest",
    ),
    (
        "900000007",
        "20230315",
        ("USA", "UNITED STATES", "USA", ""),
        ("JPN", "JAPAN", "JPN", ""),
        "010",
        "1",
        "0.0",
        "3",
        "1",
        "3",
        "0.5",
        ("1", "United States", "US", "39.828", "-98.5795", "US"),
        "https://news.example.org/2023/03/15/statement",
    ),
    (
        "900000008",
        "20230301",
        ("CHN", "CHINA", "CHN", ""),
        ("USA", "UNITED STATES", "USA", ""),
        "173",
        "4",
        "-5.0",
        "2",
        "1",
        "2",
        "-6.0",
        ("1", "China", "CH", "35", "105", "CH"),
        "https://news.example.org/2023/03/01/arrest",
    ),
    (
        "900000009",
        "20230201",
        ("", "", "", ""),
        ("KORCVL", "CIVILIAN", "KOR", "CVL"),
        "180",
        "4",
        "-9.0",
        "1",
        "1",
        "1",
        "-8.0",
        ("1", "South Korea", "KS", "37", "127.5", "KS"),
        "https://news.example.org/2023/02/01/attack",
    ),
    (
        "900000010",
        "20230320",
        ("JPN", "JAPAN", "JPN", ""),
        ("KOR", "SOUTH KOREA", "KOR", ""),
        "0311",
        "1",
        "5.2",
        "8",
        "2",
        "8",
        "2.5",
        ("1", "Japan", "JA", "36", "138", "JA"),
        "https://news.example.org/2023/03/20/economy",
    ),
    (
        "900000011",
        "20230111",
        ("FRA", "FRANCE", "FRA", ""),
        ("DEU", "GERMANY", "DEU", ""),
        "046",
        "1",
        "7.0",
        "4",
        "1",
        "4",
        "1.0",
        ("1", "France", "FR", "46", "2", "FR"),
        "https://news.example.org/2023/01/11/talks",
    ),
    (
        "900000012",
        "20230510",
        ("KOR", "SOUTH KOREA", "KOR", ""),
        ("JPN", "JAPAN", "JPN", ""),
        "163",
        "4",
        "-6.5",
        "3",
        "1",
        "3",
        "-2.0",
        ("1", "South Korea", "KS", "37", "127.5", "KS"),
        "https://news.example.org/2023/05/10/halt",
    ),
    (
        "900000013",
        "20230322",
        ("JPN", "JAPAN", "JPN", ""),
        ("KOR", "SOUTH KOREA", "KOR", ""),
        "100",
        "3",
        "-5.0",
        "2",
        "1",
        "2",
        "-1.0",
        ("1", "Japan", "JA", "36", "138", "JA"),
        "https://news.example.org/2023/03/22/demand",
    ),
]

DESCRIPTIONS = {
    "036": "Express intent to meet or negotiate",
    "043": "Host a visit",
    "057": "Sign formal agreement",
    "112": "Accuse, not specified below",
    "062": "Cooperate militarily",
    "141": "Demonstrate or rally",
    "010": "Make statement, not specified below",
    "173": "Arrest, detain, or charge with legal action",
    "180": "Use unconventional violence, not specified below",
    "0311": "Express intent to cooperate economically",
    "046": "Engage in negotiation",
    "163": "Halt negotiations",
    "100": "Demand, not specified below",
}


def record(row: tuple, layout: list[str]) -> dict[str, str]:  # type: ignore[type-arg]
    event_id, date, a1, a2, code, quad, goldstein, mentions, sources, articles, tone, geo, url = row
    values = dict.fromkeys(layout, "")
    values.update(
        GLOBALEVENTID=event_id,
        SQLDATE=date,
        MonthYear=date[:6],
        Year=date[:4],
        FractionDate=f"{int(date[:4]) + (int(date[4:6]) - 1) / 12:.4f}",
        IsRootEvent="1",
        EventCode=code,
        EventBaseCode=code[:3],
        EventRootCode=code[:2],
        QuadClass=quad,
        GoldsteinScale=goldstein,
        NumMentions=mentions,
        NumSources=sources,
        NumArticles=articles,
        AvgTone=tone,
        DATEADDED=date + "120000",
        SOURCEURL=url,
    )
    for n, actor in (("1", a1), ("2", a2)):
        for column, value in zip(("Code", "Name", "CountryCode", "Type1Code"), actor, strict=True):
            values[f"Actor{n}{column}"] = value
    for column, value in zip(("Type", "FullName", "CountryCode", "Lat", "Long", "FeatureID"), geo, strict=True):
        values[f"ActionGeo_{column}"] = value
    return {k: v for k, v in values.items() if k in layout}


def header_layout() -> list[str]:
    layout = list(LAYOUTS[61])
    layout.insert(layout.index("EventCode") + 1, "CAMEOCodeDescription")
    return layout


def main() -> None:
    raw = [record(r, LAYOUTS[61]) for r in ROWS]
    (HERE / "export.CSV").write_text("".join("\t".join(r.values()) + "\n" for r in raw), encoding="utf-8")
    with (HERE / "header.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header_layout())
        for row in ROWS:
            values = record(row, header_layout())
            values["CAMEOCodeDescription"] = DESCRIPTIONS[values["EventCode"]]
            writer.writerow(values.values())
    daily = [record(r, LAYOUTS[58]) for r in ROWS[:3]]
    (HERE / "daily-v1.CSV").write_text("".join("\t".join(r.values()) + "\n" for r in daily), encoding="utf-8")
    old = [record(r, LAYOUTS[57]) for r in ROWS[3:5]]
    (HERE / "daily-v1-57.CSV").write_text("".join("\t".join(r.values()) + "\n" for r in old), encoding="utf-8")

    def bad(row: tuple, **changes: str) -> list[str]:  # type: ignore[type-arg]
        values = record(row, LAYOUTS[61])
        values.update(changes)
        return list(values.values())

    lines = [
        bad(ROWS[0]),  # 1 fine
        bad(ROWS[1])[:-1],  # 2 60 columns
        bad(ROWS[2]),  # 3 fine
        bad(ROWS[3], SQLDATE="20230231"),  # 4 impossible date
        bad(ROWS[4], GoldsteinScale="abc"),  # 5 non-numeric Goldstein
        bad(ROWS[5], NumMentions="x"),  # 6 non-numeric count
        bad(ROWS[6]),  # 7 fine
        bad(ROWS[7], NumArticles="3.5"),  # 8 non-numeric count
        bad(ROWS[9]),  # 9 fine
    ]
    (HERE / "malformed.CSV").write_text("".join("\t".join(v) + "\n" for v in lines), encoding="utf-8")
    with (HERE / "malformed-header.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header_layout())
        for number, row in enumerate(ROWS[:4], start=2):
            values = record(row, header_layout())
            values["CAMEOCodeDescription"] = DESCRIPTIONS[values["EventCode"]]
            if number == 3:
                values["SQLDATE"] = "2023-03-16"
            cells = list(values.values())
            writer.writerow(cells[:-2] if number == 5 else cells)


if __name__ == "__main__":
    main()
