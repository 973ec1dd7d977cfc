//! # unrest-core
//!
//! Epstein's civil violence model (J. M. Epstein, "Modeling civil violence: an
//! agent-based computational approach", PNAS 99 suppl. 3, 7243–7250, 2002),
//! implemented to read like the paper and to run fast.
//!
//! * [`rules`]: the paper's equations, one function each — grievance
//!   `G = H(1 − L)`, arrest probability `P = 1 − exp(−k·(C/A)_v)`, net risk
//!   `N = R·P`, Rule A `G − N > T`.
//! * [`World`]: agents on a lattice, stepped by Rule A (citizens), Rule C (cops
//!   arrest a random active in vision), Rule M (move to a random empty site in
//!   vision), and Model II's inter-group killing and cloning.
//! * [`Params`]: every convention in which the paper, NetLogo's Rebellion and
//!   Mesa's example differ, as a named option with the paper's choice by default.
//! * [`schedule`]: parameter changes at given steps (salami tactics, cop cuts).
//! * [`metrics`]: counts per step, outbursts and waiting times.
//!
//! The crate does no I/O and is deterministic: a [`World`] built from the same
//! parameters and seed produces the same states on every run and platform.

pub mod draw;
pub mod lattice;
pub mod metrics;
pub mod params;
pub mod rules;
pub mod schedule;
pub mod seeds;
mod world;

pub use metrics::{outbursts, waiting_times, Counts, Outburst};
pub use params::*;
pub use schedule::{DynamicParam, ScheduledChange};
pub use world::{AgentColumns, AgentState, ConstituencyTraits, InvalidModel, SiteView, World};
