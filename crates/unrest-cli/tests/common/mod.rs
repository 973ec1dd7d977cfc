//! Helpers shared by the CLI's integration tests.
#![allow(dead_code)] // each test file uses its own subset

use std::process::{Command, Output};

/// Runs the `unrest` binary built for these tests.
pub fn unrest(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_unrest"))
        .args(args)
        .output()
        .expect("binary runs")
}

/// The stdout of a run that must have succeeded (its stderr on failure).
pub fn ok(o: &Output) -> String {
    assert!(o.status.success(), "stderr: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).to_string()
}
