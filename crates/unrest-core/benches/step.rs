//! Step kernels under criterion: `cargo bench -p unrest-core --bench step`.
//!
//! * `epstein-run1 40x40`: the paper's Run 1 (vision 1.7, no citizen movement),
//!   the conventions of `scenarios/epstein-run1.toml`;
//! * `mesa-default 40x40`: Mesa's example at its defaults (von Neumann vision 7,
//!   movement), the conventions of `scenarios/mesa-default.toml`;
//! * `1M agents`: Run 2's inputs on a 1163×1163 torus, under the paper's random
//!   sequential activation and under tiled activation.
//!
//! Each measures one `World::step` on a world warmed up past its first steps,
//! so the counts of actives and jailed are near their working levels.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use std::hint::black_box;
use unrest_core::{Activation, CopAfterArrest, Neighbourhood, Params, RatioRule, StepLimit, World};

fn epstein_run1() -> Params {
    Params {
        citizen_density: 0.7,
        cop_density: 0.04,
        citizen_vision: 1.7,
        cop_vision: 1.7,
        legitimacy: 0.89,
        max_jail_term: StepLimit::Finite(15),
        movement: false,
        cop_movement: true,
        neighbourhood: Neighbourhood::Disk,
        ratio_rule: RatioRule::RoundHalfEven,
        cop_after_arrest: CopAfterArrest::TakeSite,
        ..Params::epstein()
    }
}

fn run2_million(activation: Activation) -> Params {
    Params {
        width: 1163,
        height: 1163,
        activation,
        ..Params::epstein()
    }
}

/// A world stepped `warm` times from seed 1.
fn warmed(p: Params, warm: u64) -> World {
    let mut w = World::new(p, vec![], 1).expect("valid parameters");
    w.run(warm, |_| {});
    w
}

fn agents(w: &World) -> u64 {
    let c = w.counts();
    u64::from(c.quiet + c.active + c.jailed + c.cops)
}

fn small_worlds(c: &mut Criterion) {
    let mut g = c.benchmark_group("step 40x40");
    for (name, p) in [("epstein-run1", epstein_run1()), ("mesa-default", Params::mesa())] {
        let mut w = warmed(p, 50);
        g.throughput(Throughput::Elements(agents(&w)));
        g.bench_function(name, |b| b.iter(|| black_box(w.step())));
    }
    g.finish();
}

fn million(c: &mut Criterion) {
    let mut g = c.benchmark_group("step 1M agents");
    g.sample_size(10);
    for (name, act) in [
        ("random-sequential", Activation::RandomSequential),
        ("tiled", Activation::Tiled),
    ] {
        let w = warmed(run2_million(act), 2);
        g.throughput(Throughput::Elements(agents(&w)));
        // A fresh clone per sample keeps every sample at the same point of the run.
        g.bench_function(name, |b| {
            b.iter_batched_ref(|| w.clone(), |w| black_box(w.step()), BatchSize::LargeInput)
        });
    }
    g.finish();
}

criterion_group!(benches, small_worlds, million);
criterion_main!(benches);
