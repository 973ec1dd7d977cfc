//! Ctrl-C for the long experiments (`validate`, `sweep`, `compare`,
//! `calibrate`): the work runs on a worker thread with a cancel flag while
//! the calling thread, the GIL released, waits for it in short slices and
//! asks Python for pending signals between them. On Ctrl-C the flag is set,
//! the work stops at its next check (between runs, or between the steps of a
//! country run), the worker is joined, and `KeyboardInterrupt` is raised.
//! The library calls write nothing on the way out but whole files (a
//! sweep's journal parts), so an interrupted sweep resumes.

use pyo3::prelude::*;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

/// How long the caller waits, the GIL released, between two looks at signals.
const SLICE: Duration = Duration::from_millis(50);

/// Runs `work` (given the cancel flag) on a worker thread, raising
/// `KeyboardInterrupt` (or whatever a signal handler raises) once it has
/// stopped if a signal arrives meanwhile.
pub fn interruptible<T, F>(py: Python<'_>, work: F) -> PyResult<T>
where
    T: Send,
    F: FnOnce(Arc<AtomicBool>) -> T + Send,
{
    let cancel = Arc::new(AtomicBool::new(false));
    let flag = cancel.clone();
    std::thread::scope(|scope| {
        let (tx, rx) = mpsc::channel();
        scope.spawn(move || {
            let _ = tx.send(work(flag));
        });
        let mut rx = rx;
        loop {
            let (got, back) = py.detach(move || (rx.recv_timeout(SLICE), rx));
            rx = back;
            match got {
                Ok(result) => return Ok(result),
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                // The worker panicked; the scope re-raises its panic on exit.
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    return Err(crate::runtime_error("the experiment's worker thread panicked"))
                }
            }
            if let Err(signal) = py.check_signals() {
                cancel.store(true, Ordering::Relaxed);
                // Wait for the work to stop, so nothing runs on after the raise.
                py.detach(move || {
                    let _ = rx.recv();
                });
                return Err(signal);
            }
        }
    })
}
