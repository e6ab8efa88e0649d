//! Where `print` and `--trace` write: standard output, or a buffer the
//! tests read.

use core::cell::RefCell;
use std::io::Write;

std::thread_local! {
    static CAPTURE: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Starts capturing this thread's output in a buffer.
#[cfg_attr(not(test), allow(dead_code))]
pub fn capture() {
    CAPTURE.with(|c| *c.borrow_mut() = Some(String::new()));
}

/// Stops capturing and returns what was written.
#[cfg_attr(not(test), allow(dead_code))]
pub fn take() -> String {
    CAPTURE.with(|c| c.borrow_mut().take()).unwrap_or_default()
}

/// Writes `s` to the buffer, or to standard output.
pub fn write_str(s: &str) {
    let captured = CAPTURE.with(|c| match c.borrow_mut().as_mut() {
        Some(buf) => {
            buf.push_str(s);
            true
        }
        None => false,
    });
    if !captured {
        let mut stdout = std::io::stdout().lock();
        // A closed pipe is not the program's error.
        let _ = stdout.write_all(s.as_bytes());
    }
}

/// Flushes standard output.
pub fn flush() {
    let _ = std::io::stdout().flush();
}
