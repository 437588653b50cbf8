//! Worker threads started once and handed a job per call: the thread pool of the parallel
//! workspace.
//!
//! [`WorkerPool::run`] runs one job on every worker (the calling thread takes part as
//! worker 0) and returns when all have finished. A call allocates nothing: the job is
//! passed by reference.
//!
//! Waking a sleeping thread costs tens of microseconds (measured: about 130 µs a step on
//! a 2-core VM), more than a small training step takes, so between jobs a worker first
//! spins for [`SPIN`] on the job counter, and only then sleeps on a condition variable, as
//! OpenMP's and rayon's workers do. Training steps follow each other closely, so the next
//! job usually finds the workers awake.

use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use std::vec::Vec;

/// A job: called once per worker with the worker's index, `0..threads`.
type Job<'a> = dyn Fn(usize) + Sync + 'a;

/// How long a worker with nothing to do spins before it sleeps.
const SPIN: Duration = Duration::from_micros(500);

/// `threads - 1` threads (the caller is worker 0) that run one job at a time.
pub(crate) struct WorkerPool {
    shared: Arc<Shared>,
    workers: Vec<JoinHandle<()>>,
}

struct Shared {
    /// The job being run: a pointer to a `&Job` on the stack of [`WorkerPool::run`], with
    /// its lifetime erased (see there). Set before `generation` is advanced.
    job: AtomicPtr<&'static Job<'static>>,
    /// Counts posted jobs, so that a worker runs each exactly once.
    generation: AtomicU64,
    /// Spawned workers still running the current job.
    running: AtomicUsize,
    shutdown: AtomicBool,
    /// How long a thread with nothing to do spins: [`SPIN`], or zero when the pool has
    /// more threads than the processor has cores.
    spin: Duration,
    /// Workers asleep (or about to sleep) on `posted`.
    sleepers: AtomicUsize,
    /// Held to sleep on `posted` and to wake the sleepers.
    sleep: Mutex<()>,
    posted: Condvar,
    /// The payload of the first panic a spawned worker had in the current job.
    panic: Mutex<Option<std::boxed::Box<dyn std::any::Any + Send>>>,
}

impl WorkerPool {
    /// A pool of `threads` workers: spawns `threads - 1` threads (none for 1).
    pub(crate) fn new(threads: usize) -> std::io::Result<WorkerPool> {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let shared = Arc::new(Shared {
            job: AtomicPtr::new(core::ptr::null_mut()),
            generation: AtomicU64::new(0),
            running: AtomicUsize::new(0),
            shutdown: AtomicBool::new(false),
            spin: if threads <= cores { SPIN } else { Duration::ZERO },
            sleepers: AtomicUsize::new(0),
            sleep: Mutex::new(()),
            posted: Condvar::new(),
            panic: Mutex::new(None),
        });
        let mut pool = WorkerPool { shared, workers: Vec::with_capacity(threads.saturating_sub(1)) };
        for index in 1..threads {
            let shared = Arc::clone(&pool.shared);
            let worker = std::thread::Builder::new()
                .name(std::format!("staticnet-{index}"))
                .spawn(move || work(&shared, index))?;
            pool.workers.push(worker);
        }
        Ok(pool)
    }

    /// Workers in the pool, the calling thread included.
    pub(crate) fn threads(&self) -> usize {
        self.workers.len() + 1
    }

    /// Calls `job(i)` once for every worker `i` in `0..threads`, `job(0)` on this thread,
    /// and returns when every call has returned. A panic in any call is resumed here,
    /// after all the others have finished.
    pub(crate) fn run(&self, job: &Job<'_>) {
        if self.workers.is_empty() {
            job(0);
            return;
        }
        // SAFETY: only the lifetime changes (same layout). The workers reach `job` only
        // through `Shared::job`, which points to this local; each reads it after seeing
        // the new generation and decrements `running` after its call has returned. This
        // function returns only once `running` is zero, and the next call replaces the
        // pointer before advancing the generation, so no call outlives `job` or `erased`.
        let erased = unsafe { core::mem::transmute::<&Job<'_>, &'static Job<'static>>(job) };
        let shared = &*self.shared;
        shared.job.store(core::ptr::from_ref(&erased).cast_mut(), Ordering::Release);
        shared.running.store(self.workers.len(), Ordering::Release);
        shared.generation.fetch_add(1, Ordering::SeqCst);
        if shared.sleepers.load(Ordering::SeqCst) > 0 {
            let _held = lock(&shared.sleep);
            shared.posted.notify_all();
        }
        let own = catch_unwind(AssertUnwindSafe(|| job(0)));
        let started = Instant::now();
        while shared.running.load(Ordering::Acquire) > 0 {
            if started.elapsed() < shared.spin {
                core::hint::spin_loop();
            } else {
                std::thread::yield_now();
            }
        }
        let other = lock(&shared.panic).take();
        if let Err(payload) = own {
            resume_unwind(payload);
        }
        if let Some(payload) = other {
            resume_unwind(payload);
        }
    }
}

impl Drop for WorkerPool {
    fn drop(&mut self) {
        self.shared.shutdown.store(true, Ordering::SeqCst);
        {
            let _held = lock(&self.shared.sleep);
            self.shared.posted.notify_all();
        }
        for worker in self.workers.drain(..) {
            // A worker's panics are caught inside the job, so joining only fails if the
            // loop itself panicked; there is nothing left to do with that here.
            let _ = worker.join();
        }
    }
}

/// A worker's loop: wait for a job of a new generation, run it, report.
fn work(shared: &Shared, index: usize) {
    let mut seen = 0;
    loop {
        let Some(generation) = next_job(shared, seen) else { return };
        seen = generation;
        // SAFETY: `run` stored a pointer to its live `&Job` before advancing the generation
        // (Release, seen here by the Acquire in `next_job`), and keeps both alive until
        // `running` reaches zero, which this worker has not yet made it.
        let job = unsafe { *shared.job.load(Ordering::Acquire) };
        if let Err(payload) = catch_unwind(AssertUnwindSafe(|| job(index))) {
            lock(&shared.panic).get_or_insert(payload);
        }
        shared.running.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Waits for a generation after `seen`, spinning first, then asleep; `None` on shutdown.
fn next_job(shared: &Shared, seen: u64) -> Option<u64> {
    let started = Instant::now();
    loop {
        if shared.shutdown.load(Ordering::Acquire) {
            return None;
        }
        let generation = shared.generation.load(Ordering::Acquire);
        if generation != seen {
            return Some(generation);
        }
        if started.elapsed() < shared.spin {
            core::hint::spin_loop();
            continue;
        }
        // Announce the sleep, then look once more: `run` advances the generation before
        // reading `sleepers` (both SeqCst), so either it sees this sleeper and wakes it
        // (under `sleep`, which this thread holds until it waits), or this thread sees
        // the new generation.
        let held = lock(&shared.sleep);
        shared.sleepers.fetch_add(1, Ordering::SeqCst);
        if shared.generation.load(Ordering::SeqCst) == seen && !shared.shutdown.load(Ordering::SeqCst) {
            drop(shared.posted.wait(held).unwrap_or_else(PoisonError::into_inner));
        }
        shared.sleepers.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Locks a mutex of the pool; a poisoned one is taken anyway (no code panics while
/// holding one, and the data is valid either way).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    //! Small enough to run under miri: `cargo +nightly miri test -p staticnet-core --lib
    //! parallel::pool`.
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn every_worker_runs_each_job_once_with_borrowed_data() {
        let pool = WorkerPool::new(3).unwrap();
        assert_eq!(pool.threads(), 3);
        for round in 0..4 {
            // Borrowed per call: the pool must be done with it when `run` returns.
            let slots: Vec<Mutex<usize>> = (0..3).map(|_| Mutex::new(0)).collect();
            let calls = AtomicUsize::new(0);
            pool.run(&|i| {
                *slots[i].lock().unwrap() += i * 10 + round;
                calls.fetch_add(1, Ordering::Relaxed);
            });
            assert_eq!(calls.load(Ordering::Relaxed), 3);
            let got: Vec<usize> = slots.iter().map(|s| *s.lock().unwrap()).collect();
            assert_eq!(got, [round, 10 + round, 20 + round]);
            // Every other round finds the workers asleep (past their spin), the others
            // still spinning.
            if round % 2 == 1 {
                std::thread::sleep(SPIN * 4);
            }
        }
    }

    #[test]
    fn a_panic_in_a_worker_reaches_the_caller_after_the_others_finish() {
        let pool = WorkerPool::new(2).unwrap();
        let finished = AtomicUsize::new(0);
        let result = catch_unwind(AssertUnwindSafe(|| {
            pool.run(&|i| {
                if i == 1 {
                    panic!("worker 1 fails");
                }
                finished.fetch_add(1, Ordering::Relaxed);
            })
        }));
        let payload = result.expect_err("the worker's panic is resumed");
        assert_eq!(payload.downcast_ref::<&str>(), Some(&"worker 1 fails"));
        assert_eq!(finished.load(Ordering::Relaxed), 1);
        // The pool still works afterwards.
        let calls = AtomicUsize::new(0);
        pool.run(&|_| {
            calls.fetch_add(1, Ordering::Relaxed);
        });
        assert_eq!(calls.load(Ordering::Relaxed), 2);
    }

    #[test]
    fn one_thread_runs_the_job_on_the_caller() {
        let pool = WorkerPool::new(1).unwrap();
        let caller = std::thread::current().id();
        pool.run(&|i| {
            assert_eq!(i, 0);
            assert_eq!(std::thread::current().id(), caller);
        });
    }
}
