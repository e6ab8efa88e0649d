//! The benches' own threads: a [`Helper`] that runs jobs sent to it (an
//! owner that stays alive, or the second timed thread), and
//! [`two_threads`], which times the same pair on two threads at once.

use std::sync::{mpsc, Arc, Barrier};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

type Job = Box<dyn FnOnce() + Send>;

/// A thread that runs the jobs sent to it one at a time, so measurements
/// never pay for a spawn. An object it creates stays owned by a live
/// thread until the helper is dropped.
pub struct Helper {
    jobs: Option<mpsc::Sender<Job>>,
    thread: Option<JoinHandle<()>>,
}

impl Helper {
    pub fn spawn() -> Helper {
        let (jobs, rx) = mpsc::channel::<Job>();
        let thread = thread::spawn(move || rx.into_iter().for_each(|job| job()));
        Helper {
            jobs: Some(jobs),
            thread: Some(thread),
        }
    }

    /// Runs `f` on the helper and waits for its result.
    pub fn run<R: Send + 'static>(&self, f: impl FnOnce() -> R + Send + 'static) -> R {
        self.start(f).recv().expect("helper job panicked")
    }

    /// Runs `f` on the helper; its result arrives on the returned receiver.
    pub fn start<R: Send + 'static>(
        &self,
        f: impl FnOnce() -> R + Send + 'static,
    ) -> mpsc::Receiver<R> {
        let (tx, rx) = mpsc::channel();
        let job: Job = Box::new(move || drop(tx.send(f())));
        self.jobs
            .as_ref()
            .expect("helper running")
            .send(job)
            .unwrap();
        rx
    }
}

impl Drop for Helper {
    fn drop(&mut self) {
        drop(self.jobs.take());
        if let Some(t) = self.thread.take() {
            t.join().expect("helper thread panicked");
        }
    }
}

/// Times `iters` pairs on this thread and `iters` on `helper`, started
/// together; returns the wall time until both are done.
pub fn two_threads(
    helper: &Helper,
    iters: u64,
    pair: impl Fn() + Clone + Send + 'static,
) -> Duration {
    let start = Arc::new(Barrier::new(2));
    let done = {
        let (start, pair) = (Arc::clone(&start), pair.clone());
        helper.start(move || {
            start.wait();
            for _ in 0..iters {
                pair();
            }
        })
    };
    start.wait();
    let t = Instant::now();
    for _ in 0..iters {
        pair();
    }
    done.recv().expect("helper job panicked");
    t.elapsed()
}
