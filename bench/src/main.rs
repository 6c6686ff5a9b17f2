//! `cargo run --release -p claw-bench -- <benchmark>`: benchmarks whose figures go to docs/performance.md.
fn main() {}
