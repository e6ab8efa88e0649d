//! The second thread of `biased/owner-pair-contended`: a [`Hammer`]
//! looping one pair on another thread while the bench thread is timed, and
//! [`CpuWatch`], the same report for a member without one. Both report on
//! stderr how much of the time each thread was on a CPU, which a shared
//! machine does not promise.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// This thread's CPU time so far in ns: the first field of Linux's
/// `/proc/thread-self/schedstat` (`None` where there is none).
fn thread_cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// The share of `wall` a thread spent on a CPU, from two CPU times.
fn cpu_share(before: Option<u64>, after: Option<u64>, wall: Duration) -> String {
    match before.zip(after) {
        Some((b, a)) => format!("{:.0}%", (a - b) as f64 / wall.as_nanos() as f64 * 100.0),
        None => "?".to_string(),
    }
}

/// The bench thread's CPU share over a member with no second thread of
/// ours, reported as [`Hammer::stop`] reports a hammered one.
pub struct CpuWatch {
    started: Instant,
    cpu: Option<u64>,
}

impl CpuWatch {
    pub fn start() -> CpuWatch {
        CpuWatch {
            started: Instant::now(),
            cpu: thread_cpu_ns(),
        }
    }

    pub fn stop(self, what: &str) {
        let bench = cpu_share(self.cpu, thread_cpu_ns(), self.started.elapsed());
        eprintln!("{what}: no hammer; on a CPU {bench} (bench thread) of the time");
    }
}

/// A thread looping one pair until stopped.
pub struct Hammer {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<(u64, String)>,
    started: Instant,
    bench_cpu: Option<u64>,
}

impl Hammer {
    /// Starts `pair` in a loop on a new thread; returns once it runs.
    pub fn start(pair: impl Fn() + Send + 'static) -> Hammer {
        let stop = Arc::new(AtomicBool::new(false));
        let running = Arc::new(Barrier::new(2));
        let thread = {
            let (stop, running) = (Arc::clone(&stop), Arc::clone(&running));
            thread::spawn(move || {
                running.wait();
                let (t, cpu, mut n) = (Instant::now(), thread_cpu_ns(), 0u64);
                // Relaxed: the flag only ends the loop; nothing is published.
                while !stop.load(Ordering::Relaxed) {
                    pair();
                    n += 1;
                }
                (n, cpu_share(cpu, thread_cpu_ns(), t.elapsed()))
            })
        };
        running.wait();
        Hammer {
            stop,
            thread,
            started: Instant::now(),
            bench_cpu: thread_cpu_ns(),
        }
    }

    /// Stops the loop and reports on stderr how many pairs it ran and how
    /// much of the time each thread was on a CPU: on a shared machine the
    /// second thread, or the bench thread itself, may wait for one.
    pub fn stop(self, what: &str) {
        let bench = cpu_share(self.bench_cpu, thread_cpu_ns(), self.started.elapsed());
        self.stop.store(true, Ordering::Relaxed);
        let (n, hammer) = self.thread.join().expect("hammer panicked");
        eprintln!(
            "{what}: the hammer thread ran {n} pairs; on a CPU {hammer} (hammer), {bench} \
             (bench thread) of the time"
        );
    }
}
