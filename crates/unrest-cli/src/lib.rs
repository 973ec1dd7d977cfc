//! The library half of the `unrest` command-line tool: one module per
//! subcommand. The binary (`main.rs`) only parses arguments and dispatches
//! here; the Python package (`crates/unrest-py`) calls the same functions, so
//! that a run from Python gives the numbers a run from the shell gives.

pub mod bench;
pub mod calibrate;
pub mod calibrate_model;
pub mod cancel;
pub mod compare;
pub mod country;
pub mod posterior;
pub mod run;
pub mod runner;
pub mod sensitivity;
pub mod serve;
pub mod skeleton;
pub mod sweep;
pub mod validate;
