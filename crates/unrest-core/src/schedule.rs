//! Parameter changes scheduled within a run, as the paper's figures need:
//! legitimacy lowered step by step ("salami tactics") or in one jump, cops
//! reduced at a given step, peacekeepers arriving at a given step.

use serde::{Deserialize, Serialize};

/// A parameter that may change while a run is under way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DynamicParam {
    Legitimacy,
    /// Adds cops at random empty sites, or takes random cops off the lattice.
    CopDensity,
    K,
    Threshold,
    /// New arrests only; terms already being served are kept.
    MaxJailTerm,
}

impl DynamicParam {
    pub const ALL: [&'static str; 5] = ["legitimacy", "cop_density", "k", "threshold", "max_jail_term"];
}

/// One scheduled change. With `until`, the value moves linearly from its value
/// at `step` to `value` at `until`, one small change each step (salami tactics);
/// without, it jumps at `step`. A change at step `s` takes effect before step `s`
/// is computed (step 0 is the initial state).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduledChange {
    pub step: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<u64>,
    pub param: DynamicParam,
    pub value: f64,
}

impl ScheduledChange {
    /// The value this change asks for at `step`, given the value the parameter
    /// had when the change began (`start`), or `None` if it is not active then.
    pub fn value_at(&self, step: u64, start: f64) -> Option<f64> {
        match self.until {
            None => (step == self.step).then_some(self.value),
            Some(until) if step >= self.step && step <= until => {
                if until == self.step {
                    return Some(self.value);
                }
                let f = (step - self.step) as f64 / (until - self.step) as f64;
                Some(start + (self.value - start) * f)
            }
            Some(_) => None,
        }
    }

    /// Checks the change's own values, naming what is wrong.
    pub fn validate(&self) -> Result<(), String> {
        if let Some(until) = self.until {
            if until < self.step {
                return Err(format!("until = {until} is before step = {}", self.step));
            }
        }
        let ok = match self.param {
            DynamicParam::Legitimacy | DynamicParam::CopDensity => (0.0..=1.0).contains(&self.value),
            DynamicParam::K => self.value.is_finite() && self.value >= 0.0,
            DynamicParam::Threshold => self.value.is_finite(),
            DynamicParam::MaxJailTerm => {
                self.value >= 0.0 && self.value < f64::from(u32::MAX) && self.value.fract() == 0.0
            }
        };
        if ok {
            Ok(())
        } else {
            Err(format!("value = {} is out of range for {:?}", self.value, self.param))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ramps_interpolate_and_jumps_jump() {
        let jump = ScheduledChange {
            step: 10,
            until: None,
            param: DynamicParam::Legitimacy,
            value: 0.5,
        };
        assert_eq!(jump.value_at(9, 0.9), None);
        assert_eq!(jump.value_at(10, 0.9), Some(0.5));
        let ramp = ScheduledChange {
            step: 10,
            until: Some(20),
            param: DynamicParam::Legitimacy,
            value: 0.4,
        };
        assert_eq!(ramp.value_at(10, 0.9), Some(0.9));
        assert!((ramp.value_at(15, 0.9).unwrap() - 0.65).abs() < 1e-12);
        assert_eq!(ramp.value_at(20, 0.9), Some(0.4));
        assert_eq!(ramp.value_at(21, 0.9), None);
        assert!(ScheduledChange {
            step: 5,
            until: Some(2),
            ..ramp
        }
        .validate()
        .is_err());
    }
}
