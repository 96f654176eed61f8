//! The one helper every long call goes through: extract → detach → map.
//!
//! The work runs on a scoped thread inside a rayon pool sized by `n_jobs`
//! or `PAINPOINTS_NUM_THREADS`, with the GIL released. The calling thread
//! wakes every 100 ms to report progress to an optional Python callback and
//! to check for Ctrl-C / a Jupyter interrupt; on one it cancels the work,
//! waits for it to stop (it checks between small chunks) and re-raises.
//! Pools are cached per process id, so a child after `fork()` builds its
//! own instead of waiting on threads that do not exist in it, and only the
//! last few sizes asked for are kept (a loop over `n_jobs` values does not
//! leave a pool of idle threads behind for each).

use crate::control::Control;
use crate::error::Result as CoreResult;
use pyo3::prelude::*;
use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::Duration;

type PoolKey = (u32, usize);

/// Most worker threads a call may start (n_jobs is checked against the
/// same bound in Python; PAINPOINTS_NUM_THREADS is held to it here).
const MAX_THREADS: usize = 1024;

/// Pools of different sizes kept at once.
const CACHED_POOLS: usize = 4;

fn pool(threads: usize) -> PyResult<Arc<rayon::ThreadPool>> {
    static POOLS: OnceLock<Mutex<HashMap<PoolKey, Arc<rayon::ThreadPool>>>> = OnceLock::new();
    let pid = std::process::id();
    let pools = POOLS.get_or_init(|| Mutex::new(HashMap::new()));
    let mut guard = pools.lock().unwrap_or_else(|p| p.into_inner());
    guard.retain(|k, _| k.0 == pid);
    if let Some(p) = guard.get(&(pid, threads)) {
        return Ok(p.clone());
    }
    let p = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("painpoints-{i}"))
        .build()
        .map_err(|e| pyo3::exceptions::PyRuntimeError::new_err(format!("cannot start worker threads: {e}")))?;
    let p = Arc::new(p);
    if guard.len() >= CACHED_POOLS {
        // A pool still running a call lives on until that call ends.
        guard.clear();
    }
    guard.insert((pid, threads), p.clone());
    Ok(p)
}

/// Number of worker threads: `n_jobs` if given, else `PAINPOINTS_NUM_THREADS`,
/// else the number of CPUs.
pub fn thread_count(n_jobs: Option<i64>) -> PyResult<usize> {
    let cpus = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let from_env = || std::env::var("PAINPOINTS_NUM_THREADS").ok().and_then(|v| v.trim().parse::<i64>().ok());
    let n = n_jobs.or_else(from_env).unwrap_or(0);
    Ok(match n {
        0 => cpus,
        n if n < 0 => (cpus as i64 + 1 + n).max(1) as usize,
        n => (n as usize).min(MAX_THREADS),
    })
}

/// Run `work` without the GIL, interruptibly, reporting progress.
pub fn run<T, F>(py: Python<'_>, n_jobs: Option<i64>, progress: Option<&Bound<'_, PyAny>>, work: F) -> PyResult<T>
where
    T: Send,
    F: FnOnce(&Control) -> CoreResult<T> + Send,
{
    let threads = thread_count(n_jobs)?;
    let pool = pool(threads)?;
    let ctl = Control::new();
    let finished = (Mutex::new(false), Condvar::new());
    std::thread::scope(|s| {
        let ctl_ref = &ctl;
        let pool_ref = &pool;
        let finished_ref = &finished;
        let handle = s.spawn(move || {
            // Signal completion even if the work panics.
            struct Done<'a>(&'a (Mutex<bool>, Condvar));
            impl Drop for Done<'_> {
                fn drop(&mut self) {
                    *self.0 .0.lock().unwrap_or_else(|p| p.into_inner()) = true;
                    self.0 .1.notify_all();
                }
            }
            let _done = Done(finished_ref);
            pool_ref.install(|| work(ctl_ref))
        });
        let mut interrupted: Option<PyErr> = None;
        loop {
            let done = py.detach(|| {
                let guard = finished.0.lock().unwrap_or_else(|p| p.into_inner());
                if *guard {
                    return true;
                }
                let (guard, _) =
                    finished.1.wait_timeout(guard, Duration::from_millis(100)).unwrap_or_else(|p| p.into_inner());
                *guard
            });
            if let Some(cb) = progress {
                let (d, t) = ctl.progress();
                if let Err(e) = cb.call1((d, t)) {
                    ctl.cancel();
                    interrupted = Some(e);
                }
            }
            if done || interrupted.is_some() {
                break;
            }
            if let Err(e) = py.check_signals() {
                ctl.cancel();
                interrupted = Some(e);
                break;
            }
        }
        let result = py.detach(|| handle.join());
        if let Some(e) = interrupted {
            return Err(e);
        }
        match result {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(super::errors::to_py(py, e)),
            Err(_) => Err(pyo3::exceptions::PyRuntimeError::new_err(
                "painpoints hit an internal error; please report it with the input that caused it",
            )),
        }
    })
}
