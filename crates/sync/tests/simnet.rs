//! The simulated network's properties on many seeds (see `weft_testkit::simnet`).
//!
//! Every failure prints its seed; `SEED=<n> cargo test -p weft-sync --test tests simnet` replays
//! just that seed. `SIMNET_SEEDS=<n>` changes how many seeds each test plays.

use weft_testkit::simnet::{run, SimConfig, SimFailure, Topology};

fn seeds(default: u64) -> Vec<u64> {
    if let Some(seed) = std::env::var("SEED").ok().and_then(|s| s.parse().ok()) {
        return vec![seed];
    }
    let n = std::env::var("SIMNET_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default);
    (0..n).collect()
}

fn check_all(name: &str, seeds: &[u64], config: impl Fn(u64) -> SimConfig) {
    let mut failures: Vec<SimFailure> = Vec::new();
    let mut worst_rounds = 0;
    for &seed in seeds {
        match run(seed, &config(seed)) {
            Ok(report) => worst_rounds = worst_rounds.max(report.rounds_to_converge),
            Err(f) => failures.push(f),
        }
    }
    eprintln!(
        "{name}: {} seeds, {} failed, at most {worst_rounds} rounds to converge",
        seeds.len(),
        failures.len()
    );
    if let Some(first) = failures.first() {
        let list: Vec<String> = failures
            .iter()
            .take(20)
            .map(|f| f.seed.to_string())
            .collect();
        panic!(
            "{name}: {} of {} seeds failed (seeds {}{}); the first:\n{first}\nreplay with SEED={} cargo test -p weft-sync --test tests {name}",
            failures.len(),
            seeds.len(),
            list.join(", "),
            if failures.len() > 20 { ", ..." } else { "" },
            first.seed
        );
    }
}

#[test]
fn simnet_mesh_converges_on_every_seed() {
    check_all(
        "simnet_mesh_converges_on_every_seed",
        &seeds(2000),
        |seed| SimConfig {
            peers: 3 + (seed % 3) as usize,
            // Every other seed sends most updates in parts of at most 24 bytes.
            chunk_len: if seed % 2 == 0 { 24 } else { 16 * 1024 },
            // Every other pair of seeds mixes in a peer without compact changes.
            older_peers: (seed / 2 % 2) as usize,
            // Every other four seeds forward changes through update feeds.
            feeds: seed / 4 % 2 == 1,
            ..SimConfig::default()
        },
    );
}

#[test]
fn simnet_line_converges_through_the_middle() {
    // A-B-C: A and C never connect; everything between them goes through B.
    check_all(
        "simnet_line_converges_through_the_middle",
        &seeds(500),
        |seed| SimConfig {
            topology: Topology::Line,
            feeds: seed % 2 == 1,
            ..SimConfig::default()
        },
    );
}
