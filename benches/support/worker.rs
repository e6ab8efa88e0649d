//! objmodel's side of a member timed against another process: a thread of
//! its own that builds its state once, then serves requests of K timed
//! steps with their total time, as [`Python`](super::cpython::Python)
//! serves CPython's side. A thread per member starts each from a fresh
//! heap and collector (both are per thread), as each CPython member starts
//! from a fresh process, and the build stays out of the timing.

use std::sync::mpsc::{channel, Receiver, Sender};
use std::thread::{self, Builder, JoinHandle};
use std::time::Duration;

/// A thread answering each request of K steps with their total time.
pub struct Worker {
    requests: Option<Sender<u64>>,
    replies: Receiver<Duration>,
    thread: Option<JoinHandle<()>>,
}

impl Worker {
    /// Starts `serve` on a thread from `builder`. `serve` receives the
    /// step counts and sends one total time per request; it returns when
    /// the requests end (the worker is dropped).
    pub fn spawn(
        builder: Builder,
        serve: impl FnOnce(Receiver<u64>, Sender<Duration>) + Send + 'static,
    ) -> Worker {
        let (requests, inbox) = channel::<u64>();
        let (outbox, replies) = channel::<Duration>();
        let thread = builder
            .spawn(move || serve(inbox, outbox))
            .expect("spawn a bench worker thread");
        Worker {
            requests: Some(requests),
            replies,
            thread: Some(thread),
        }
    }

    /// The total time of `iters` steps.
    pub fn run(&mut self, iters: u64) -> Duration {
        let sent = self.requests.as_ref().map(|r| r.send(iters));
        match (sent, self.replies.recv()) {
            (Some(Ok(())), Ok(elapsed)) => elapsed,
            _ => {
                self.join();
                unreachable!("the worker exited without a reply or a panic")
            }
        }
    }

    /// Ends the worker; re-raises its panic, if any.
    fn join(&mut self) {
        self.requests = None;
        if let Some(t) = self.thread.take() {
            if let Err(panic) = t.join() {
                std::panic::resume_unwind(panic);
            }
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        if !thread::panicking() {
            self.join();
        }
    }
}
