//! Time: a scenario's steps are mapped onto calendar dates.
//!
//! Step `t` covers the interval `(start + (t−1)·Δ, start + t·Δ]` with `Δ` the
//! step length in hours; step 0 is the initial state at `start`. An event dated
//! `d` fires before the first step whose end is at or after `d`, so it is in
//! effect for the step that contains it.

use chrono::{Duration, NaiveDate, NaiveDateTime};

/// Start date and step length.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Calendar {
    pub start: NaiveDateTime,
    pub step_hours: f64,
}

/// Parses `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM` (also with a space, and with seconds).
pub fn parse_datetime(s: &str) -> Result<NaiveDateTime, String> {
    let s = s.trim();
    for fmt in [
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
    ] {
        if let Ok(d) = NaiveDateTime::parse_from_str(s, fmt) {
            return Ok(d);
        }
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .ok_or_else(|| format!("{s:?} is not a date: expected YYYY-MM-DD or YYYY-MM-DDTHH:MM"))
}

impl Calendar {
    /// The date and time at the end of step `t`.
    pub fn date_of(&self, step: u64) -> NaiveDateTime {
        let minutes = (step as f64 * self.step_hours * 60.0).round() as i64;
        self.start + Duration::minutes(minutes)
    }

    /// The first step whose end is at or after `d` (0 for dates at or before the start).
    pub fn step_of(&self, d: NaiveDateTime) -> u64 {
        let minutes = (d - self.start).num_minutes() as f64;
        if minutes <= 0.0 {
            return 0;
        }
        (minutes / (self.step_hours * 60.0) - 1e-9).ceil().max(0.0) as u64
    }

    /// Steps in `days` days (at least 1 for a positive duration).
    pub fn steps_in_days(&self, days: f64) -> f64 {
        days * 24.0 / self.step_hours
    }

    /// The date of step `t` as `YYYY-MM-DDTHH:MM`.
    pub fn label(&self, step: u64) -> String {
        self.date_of(step).format("%Y-%m-%dT%H:%M").to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_map_to_the_step_that_contains_them() {
        let c = Calendar {
            start: parse_datetime("2022-01-01").unwrap(),
            step_hours: 6.0,
        };
        assert_eq!(c.step_of(parse_datetime("2022-01-01").unwrap()), 0);
        assert_eq!(c.step_of(parse_datetime("2022-01-01T05:00").unwrap()), 1);
        assert_eq!(c.step_of(parse_datetime("2022-01-01T06:00").unwrap()), 1);
        assert_eq!(c.step_of(parse_datetime("2022-01-02").unwrap()), 4);
        assert_eq!(c.label(4), "2022-01-02T00:00");
        assert!(parse_datetime("2022-13-01").is_err());
        assert_eq!(c.steps_in_days(2.0), 8.0);
    }
}
