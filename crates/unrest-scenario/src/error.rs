//! Errors that point at the place in the scenario file (or the `--set` flag)
//! that caused them.

use std::fmt;

/// Where in the input a problem is.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Location {
    /// File path, `<built-in NAME>`, or `--set key=value`.
    pub origin: String,
    /// 1-based line and column, when known.
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// The offending line's text.
    pub snippet: Option<String>,
}

impl Location {
    pub fn with_origin(mut self, origin: &str) -> Self {
        self.origin = origin.to_string();
        self
    }

    pub fn set_flag(key: &str, value: &str) -> Self {
        Location {
            origin: format!("--set {key}={value}"),
            ..Default::default()
        }
    }

    pub fn of_offset(text: &str, offset: usize) -> Self {
        let offset = offset.min(text.len());
        let before = &text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = text[line_start..offset].chars().count() + 1;
        let snippet = text[line_start..].lines().next().unwrap_or("").to_string();
        Location {
            origin: String::new(),
            line: Some(line),
            column: Some(column),
            snippet: Some(snippet),
        }
    }

    /// The location of `path` (e.g. `["params", "legitimacy"]`): its key if
    /// `key_only`, else its value; the table's header if the key is absent.
    pub fn of_key(text: &str, path: &[&str], key_only: bool) -> Self {
        let Ok(doc) = toml_edit::Document::parse(text) else {
            return Location::default();
        };
        let mut table: &dyn toml_edit::TableLike = doc.as_table();
        let mut best = None;
        for (i, key) in path.iter().enumerate() {
            let last = i + 1 == path.len();
            let key_span = table.key(key).and_then(|k| k.span());
            let Some(item) = table.get(key) else { break };
            best = if last && key_only {
                key_span.or(item.span())
            } else {
                item.span().or(key_span)
            };
            match item.as_table_like() {
                Some(t) if !last => table = t,
                _ => break,
            }
        }
        best.map(|r| Location::of_offset(text, r.start)).unwrap_or_default()
    }

    /// The location of the `index`-th `[[name]]` entry.
    pub fn of_array_item(text: &str, name: &str, index: usize) -> Self {
        let Ok(doc) = toml_edit::Document::parse(text) else {
            return Location::default();
        };
        let span = doc.get(name).and_then(|item| match item {
            toml_edit::Item::ArrayOfTables(a) => a.get(index).and_then(|t| t.span()),
            toml_edit::Item::Value(toml_edit::Value::Array(a)) => a.get(index).and_then(|v| v.span()),
            _ => None,
        });
        span.map(|r| Location::of_offset(text, r.start)).unwrap_or_default()
    }
}

/// A scenario that cannot be used, with where and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioError {
    pub location: Location,
    pub message: String,
}

impl ScenarioError {
    pub fn at(location: Location, message: impl Into<String>) -> Self {
        ScenarioError {
            location,
            message: message.into(),
        }
    }

    pub fn plain(message: impl Into<String>) -> Self {
        ScenarioError {
            location: Location::default(),
            message: message.into(),
        }
    }

    pub(crate) fn from_toml(e: &toml::de::Error, text: &str, origin: &str) -> Self {
        let location = e
            .span()
            .map(|r| Location::of_offset(text, r.start))
            .unwrap_or_default()
            .with_origin(origin);
        ScenarioError {
            location,
            message: e.message().trim().to_string(),
        }
    }
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let l = &self.location;
        match (l.origin.is_empty(), l.line, l.column) {
            (true, _, _) => {}
            (false, Some(line), Some(col)) => write!(f, "{}:{line}:{col}: ", l.origin)?,
            (false, _, _) => write!(f, "{}: ", l.origin)?,
        }
        write!(f, "{}", self.message)?;
        if let (Some(snippet), Some(line), Some(col)) = (&l.snippet, l.line, l.column) {
            let gutter = line.to_string().len();
            write!(
                f,
                "\n{:gutter$} |\n{line} | {snippet}\n{:gutter$} | {:>col$}",
                "", "", "^"
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for ScenarioError {}
