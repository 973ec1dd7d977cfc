//! A country's map: its regions' boundaries as GeoJSON, for the page to draw
//! in place of the tile grid (`docs/web.md`, "The map").
//!
//! The built-in country scenarios ship theirs (`crates/unrest-web/geo/`:
//! Natural Earth admin-1, public domain, simplified; the README there gives
//! source, licence and what is simplified). A scenario of one's own names a
//! file with `geometry = "…"`, read by `unrest serve` for the scenario it
//! starts with (never for an upload: nothing a request names is opened).

use std::collections::BTreeSet;
use std::sync::Arc;

use serde::Serialize;
use serde_json::{json, Value};
use unrest_scenario::CountryScenario;

/// (scenario name, GeoJSON) of the built-in country scenarios.
pub const BUILTIN: &[(&str, &str)] = &[
    ("belarus-2020", include_str!("../geo/belarus-2020.geojson")),
    ("euromaidan-2014", include_str!("../geo/euromaidan-2014.geojson")),
    ("kazakhstan-2022", include_str!("../geo/kazakhstan-2022.geojson")),
];

/// Largest geometry file `unrest serve` reads, in bytes.
pub const MAX_BYTES: usize = 16 * 1024 * 1024;
/// Most points a map may have (rings' vertices and discs): the page draws
/// them all on every redraw.
pub const MAX_POINTS: usize = 200_000;

/// A checked map, shared by every `info()` of its run (cloning is cheap).
/// Serialised as `{"attribution": …, "features": [{"region", "unit",
/// "type", "coordinates"}]}`: `type` is `Polygon`, `MultiPolygon` or `Point`.
#[derive(Debug, Clone, PartialEq)]
pub struct Map(Arc<Value>);

impl Serialize for Map {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl Map {
    /// The features drawn for `region`.
    pub fn features_of(&self, region: &str) -> usize {
        self.0["features"]
            .as_array()
            .map_or(0, |f| f.iter().filter(|f| f["region"] == region).count())
    }
}

/// The map a country scenario is drawn with, and a note when it has none of
/// its own: the file it names (already read into `geometry_json`), else its
/// built-in's if the scenario is one (by name, and only if every region the
/// map names is one of the scenario's), else none (the tile grid).
pub fn for_scenario(c: &CountryScenario) -> (Option<Map>, Option<String>) {
    let regions: Vec<&str> = c.spec.regions.iter().map(|r| r.name.as_str()).collect();
    if let Some(text) = &c.geometry_json {
        return match check(text, &regions) {
            Ok(m) => (Some(m), None),
            Err(e) => (None, Some(format!("the scenario's geometry file was not drawn: {e}"))),
        };
    }
    let builtin = BUILTIN
        .iter()
        .find(|(name, _)| *name == c.spec.name)
        .and_then(|(_, text)| check(text, &regions).ok());
    let note = match (&c.geometry, &builtin) {
        (Some(path), _) => Some(format!(
            "this scenario names the geometry file {path:?}, which the server reads only for the scenario `unrest serve` starts with (never for an upload or a pick); {}",
            if builtin.is_some() { "the built-in map is drawn" } else { "regions are drawn as tiles" }
        )),
        _ => None,
    };
    (builtin, note)
}

/// Reads a GeoJSON `FeatureCollection` of region boundaries: each feature's
/// `properties.region` names one of `regions` (or is null: drawn grey, part
/// of no region), its geometry a Polygon, MultiPolygon or Point of finite
/// `[lon, lat]` pairs. At least one region must be drawn.
pub fn check(text: &str, regions: &[&str]) -> Result<Map, String> {
    if text.len() > MAX_BYTES {
        return Err(format!("{} bytes, more than {MAX_BYTES}", text.len()));
    }
    let v: Value = serde_json::from_str(text).map_err(|e| format!("not GeoJSON: {e}"))?;
    if v["type"] != "FeatureCollection" {
        return Err("not a GeoJSON FeatureCollection".into());
    }
    let features = v["features"].as_array().ok_or("a FeatureCollection without features")?;
    let known: BTreeSet<&str> = regions.iter().copied().collect();
    let mut drawn = BTreeSet::new();
    let mut points = 0usize;
    let mut out = Vec::with_capacity(features.len());
    for (i, f) in features.iter().enumerate() {
        let at = |m: &str| format!("feature {i}: {m}");
        let props = &f["properties"];
        let region = match &props["region"] {
            Value::Null => None,
            Value::String(r) if known.contains(r.as_str()) => Some(r.clone()),
            Value::String(r) => {
                return Err(at(&format!(
                    "region {r:?} is not a region of this scenario ({})",
                    regions.join(", ")
                )))
            }
            _ => return Err(at("properties.region is not a region's name")),
        };
        let unit = props["unit"]
            .as_str()
            .or(props["name"].as_str())
            .or(region.as_deref())
            .unwrap_or("")
            .to_string();
        let g = &f["geometry"];
        let kind = g["type"].as_str().unwrap_or("");
        let c = &g["coordinates"];
        let n = match kind {
            "Point" => position(c).map(|_| 1),
            "Polygon" => polygon(c),
            "MultiPolygon" => c
                .as_array()
                .ok_or_else(|| "coordinates are not a list of polygons".to_string())
                .and_then(|ps| ps.iter().map(polygon).sum()),
            other => Err(format!(
                "geometry {other:?}: only Polygon, MultiPolygon and Point are drawn"
            )),
        }
        .map_err(|e| at(&e))?;
        points += n;
        if points > MAX_POINTS {
            return Err(format!(
                "more than {MAX_POINTS} points: simplify it (crates/unrest-web/geo/build.py shows how)"
            ));
        }
        if let Some(r) = &region {
            drawn.insert(r.clone());
        }
        out.push(json!({ "region": region, "unit": unit, "type": kind, "coordinates": c }));
    }
    if drawn.is_empty() {
        return Err("it draws none of the scenario's regions".into());
    }
    let attribution = v["attribution"].as_str().unwrap_or("");
    Ok(Map(Arc::new(json!({ "attribution": attribution, "features": out }))))
}

fn position(c: &Value) -> Result<(), String> {
    match c.as_array().map(|p| p.as_slice()) {
        Some([x, y, ..]) if x.as_f64().is_some_and(f64::is_finite) && y.as_f64().is_some_and(f64::is_finite) => Ok(()),
        _ => Err("a position is not [longitude, latitude]".into()),
    }
}

/// The number of points of a polygon's rings, each checked.
fn polygon(c: &Value) -> Result<usize, String> {
    let rings = c.as_array().ok_or("a polygon is not a list of rings")?;
    let mut n = 0;
    for r in rings {
        let pts = r.as_array().ok_or("a ring is not a list of positions")?;
        if pts.len() < 4 {
            return Err("a ring has fewer than 4 positions".into());
        }
        for p in pts {
            position(p)?;
        }
        n += pts.len();
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario(name: &str) -> CountryScenario {
        let text = unrest_scenario::country_builtin(name).unwrap();
        CountryScenario::parse_with(text, name, &[]).unwrap()
    }

    #[test]
    fn every_built_in_country_has_a_map_that_draws_each_of_its_regions() {
        for (name, _, _) in unrest_scenario::COUNTRY_BUILTINS {
            let c = scenario(name);
            let (map, note) = for_scenario(&c);
            let map = map.unwrap_or_else(|| panic!("{name} has no map"));
            assert!(note.is_none());
            for r in &c.spec.regions {
                assert!(map.features_of(&r.name) > 0, "{name}: {} is not drawn", r.name);
            }
        }
        let total: usize = BUILTIN.iter().map(|(_, t)| t.len()).sum();
        assert!(total < 300 * 1024, "the shipped maps take {total} bytes");
    }

    #[test]
    fn a_map_is_checked_against_the_scenarios_regions() {
        let ring = "[[[0,0],[1,0],[1,1],[0,0]]]";
        let fc = |region: &str, geom: &str| {
            format!(
                r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","properties":{{"region":{region}}},"geometry":{geom}}}]}}"#
            )
        };
        let poly = format!(r#"{{"type":"Polygon","coordinates":{ring}}}"#);
        assert!(check(&fc("\"A\"", &poly), &["A", "B"]).is_ok());
        assert!(check(&fc("\"C\"", &poly), &["A", "B"])
            .unwrap_err()
            .contains("not a region"));
        assert!(check(&fc("null", &poly), &["A"]).unwrap_err().contains("none of"));
        assert!(check(
            &fc("\"A\"", r#"{"type":"LineString","coordinates":[[0,0],[1,1]]}"#),
            &["A"]
        )
        .is_err());
        assert!(check(
            &fc("\"A\"", r#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[0,0]]]}"#),
            &["A"]
        )
        .is_err());
        assert!(check(&fc("\"A\"", r#"{"type":"Point","coordinates":[1,"x"]}"#), &["A"]).is_err());
        assert!(check(&fc("\"A\"", r#"{"type":"Point","coordinates":[1,2]}"#), &["A"]).is_ok());
        assert!(check("{}", &["A"]).is_err());
        assert!(check("not json", &["A"]).is_err());
    }

    #[test]
    fn a_scenario_with_a_geometry_file_not_read_says_so() {
        let mut c = scenario("belarus-2020");
        c.geometry = Some("mine.geojson".into());
        let (map, note) = for_scenario(&c);
        assert!(map.is_some(), "the built-in's map is drawn");
        assert!(note.unwrap().contains("mine.geojson"));
        c.geometry_json = Some("{}".into());
        let (map, note) = for_scenario(&c);
        assert!(map.is_none());
        assert!(note.unwrap().contains("not drawn"));
        c.spec.name = "mine".into();
        c.geometry_json = None;
        assert!(for_scenario(&c).0.is_none(), "no built-in map for another name");
    }
}
