//! `OBJMODEL_BENCH_QUICK=1` (`scripts/bench --quick`, the CI smoke run):
//! every bench shrinks its sizes and times, so the whole suite runs in
//! minutes and only checks that each member still works.

use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::BenchmarkGroup;

/// Whether this is the smoke run.
pub fn quick() -> bool {
    std::env::var_os("OBJMODEL_BENCH_QUICK").is_some_and(|v| v == "1")
}

/// `full`, or `small` in the smoke run.
pub fn size(full: usize, small: usize) -> usize {
    if quick() {
        small
    } else {
        full
    }
}

/// Sets a group's warm-up (1 s) and measurement time (`measurement`), or
/// 0.1 s and 0.2 s in the smoke run.
pub fn group_times(g: &mut BenchmarkGroup<'_, WallTime>, measurement: Duration) {
    if quick() {
        g.warm_up_time(Duration::from_millis(100));
        g.measurement_time(Duration::from_millis(200));
    } else {
        g.warm_up_time(Duration::from_secs(1));
        g.measurement_time(measurement);
    }
}
