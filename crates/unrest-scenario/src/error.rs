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
            return Self::of_key_lenient(text, path, key_only);
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

    /// [`Location::of_key`] for a text `toml_edit` refuses although `toml`
    /// reads it (an integer past 2^63 − 1 for a `u64` key): the same walk over
    /// `toml`'s own spanned tables.
    fn of_key_lenient(text: &str, path: &[&str], key_only: bool) -> Self {
        let Ok(root) = toml::de::DeTable::parse(text) else {
            return Location::default();
        };
        let mut table = root.get_ref();
        let mut best = None;
        for (i, key) in path.iter().enumerate() {
            let last = i + 1 == path.len();
            let Some((k, v)) = table.iter().find(|(k, _)| k.get_ref().as_ref() == *key) else {
                break;
            };
            best = Some(if last && key_only { k.span() } else { v.span() });
            match v.get_ref() {
                toml::de::DeValue::Table(t) if !last => table = t,
                _ => break,
            }
        }
        best.map(|r| Location::of_offset(text, r.start)).unwrap_or_default()
    }

    /// The first line at which `text` fails to parse with `message`, for the
    /// parser's errors that carry no position ("recursion limit", a key
    /// nested past 80 levels): the shortest run of whole lines that fails the
    /// same way, found by bisection (a few parses, never one per line).
    pub fn of_spanless_error(text: &str, message: &str) -> Option<Self> {
        let mut starts: Vec<usize> = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1).filter(|&i| i < text.len()));
        let prefix = |lines: usize| {
            if lines >= starts.len() {
                text
            } else {
                &text[..starts[lines]]
            }
        };
        let fails = |lines: usize| {
            toml::from_str::<toml::Table>(prefix(lines))
                .err()
                .is_some_and(|e| e.span().is_none() && e.message().trim() == message)
        };
        if !fails(starts.len()) {
            return None;
        }
        let (mut lo, mut hi) = (1, starts.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if fails(mid) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        let line_start = starts[lo - 1];
        let indent = text[line_start..].len() - text[line_start..].trim_start_matches([' ', '\t']).len();
        Some(Location::of_offset(text, line_start + indent))
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
        let message = e.message().trim().to_string();
        let location = match e.span() {
            Some(r) => Location::of_offset(text, r.start),
            None => Location::of_spanless_error(text, &message).unwrap_or_default(),
        }
        .with_origin(origin);
        ScenarioError { location, message }
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
            let (shown, caret) = snippet_window(snippet, col);
            write!(
                f,
                "\n{:gutter$} |\n{line} | {shown}\n{:gutter$} | {}^",
                "",
                "",
                " ".repeat(caret - 1)
            )?;
        }
        Ok(())
    }
}

/// Widest snippet shown, in characters. A hostile line (70,000 spaces before
/// a key) is cut to a window around the column, so the message stays short;
/// the caret is padded by hand because `format!` widths stop at 65,535.
const SNIPPET_WINDOW: usize = 100;

/// The part of `snippet` to show and the caret's 1-based column in it.
fn snippet_window(snippet: &str, col: usize) -> (String, usize) {
    let chars: Vec<char> = snippet.chars().collect();
    let col = col.max(1);
    if chars.len() <= SNIPPET_WINDOW {
        return (snippet.to_string(), col);
    }
    let start = (col - 1)
        .saturating_sub(SNIPPET_WINDOW / 2)
        .min(chars.len() - SNIPPET_WINDOW);
    let end = start + SNIPPET_WINDOW;
    let mut shown = String::new();
    if start > 0 {
        shown.push('…');
    }
    shown.extend(&chars[start..end]);
    if end < chars.len() {
        shown.push('…');
    }
    (shown, col - start + usize::from(start > 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn located(snippet: &str, column: usize) -> ScenarioError {
        let location = Location {
            origin: "f.toml".into(),
            line: Some(3),
            column: Some(column),
            snippet: Some(snippet.into()),
        };
        ScenarioError::at(location, "bad")
    }

    #[test]
    fn a_column_past_65535_prints_a_window_with_the_caret_under_the_key() {
        let line = format!("{}legitimacy = \"high\"", " ".repeat(70_000));
        let text = located(&line, 70_001).to_string();
        assert!(text.starts_with("f.toml:3:70001: bad"), "{text}");
        let lines: Vec<&str> = text.lines().collect();
        let shown = lines[2].strip_prefix("3 | ").unwrap();
        let caret = lines[3].strip_prefix("  | ").unwrap();
        assert!(
            shown.starts_with('…') && shown.chars().count() <= SNIPPET_WINDOW + 2,
            "{shown}"
        );
        let at = caret.chars().count() - 1;
        assert_eq!(shown.chars().skip(at).take(10).collect::<String>(), "legitimacy");
    }

    #[test]
    fn a_short_line_is_shown_whole() {
        let text = located("steps = -1", 9).to_string();
        assert_eq!(text, "f.toml:3:9: bad\n  |\n3 | steps = -1\n  |         ^");
    }

    #[test]
    fn a_column_past_the_end_of_a_long_line_does_not_panic() {
        let line = "x".repeat(500);
        for col in [0, 1, 250, 500, 501, 10_000] {
            let text = located(&line, col).to_string();
            assert!(text.lines().count() == 4, "{text}");
        }
    }
}

impl std::error::Error for ScenarioError {}
