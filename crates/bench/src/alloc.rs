//! A counting global allocator: live heap bytes (allocated minus freed) and their peak.
//!
//! The binary installs it with `#[global_allocator]`. Counting is off until [`measure`] turns it
//! on, so timed runs pay only one relaxed load per allocation; while it is on, every
//! allocation, reallocation and free updates two atomics.
//!
//! Only allocations made while counting is on are counted, and frees of blocks made before it
//! was on are still subtracted, so [`measure`] reports the live bytes *created* by the closure:
//! what it allocated and kept minus what it freed (of its own or older blocks). The closure
//! must therefore not free data that existed before it (the trace data is only borrowed).
#![allow(unsafe_code)] // GlobalAlloc is an unsafe trait; this module is the only unsafe code.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicIsize, Ordering::Relaxed};

/// The system allocator with optional counting.
pub struct CountingAlloc;

static ON: AtomicBool = AtomicBool::new(false);
static LIVE: AtomicIsize = AtomicIsize::new(0);
static PEAK: AtomicIsize = AtomicIsize::new(0);

#[inline]
fn add(delta: isize) {
    if ON.load(Relaxed) {
        let now = LIVE.fetch_add(delta, Relaxed) + delta;
        if delta > 0 {
            PEAK.fetch_max(now, Relaxed);
        }
    }
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged; the
// counters are plain atomics and never allocate.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged (the caller upholds `GlobalAlloc::alloc`'s contract).
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            add(layout.size() as isize);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            add(layout.size() as isize);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged.
        unsafe { System.dealloc(ptr, layout) };
        add(-(layout.size() as isize));
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded unchanged.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            add(new_size as isize - layout.size() as isize);
        }
        p
    }
}

/// What [`measure`] saw.
#[derive(Clone, Copy, Debug, Default)]
pub struct HeapDelta {
    /// Bytes allocated minus bytes freed during the closure: what its result keeps alive.
    pub live: i64,
    /// The highest `live` reached during the closure.
    pub peak: i64,
}

/// Runs `f` with counting on and returns its result with the live and peak heap bytes it
/// created. Counts nothing unless [`CountingAlloc`] is the global allocator (then both are 0).
///
/// Not reentrant, and other threads' allocations during `f` are counted too (the harness is
/// single-threaded).
pub fn measure<T>(f: impl FnOnce() -> T) -> (T, HeapDelta) {
    LIVE.store(0, Relaxed);
    PEAK.store(0, Relaxed);
    ON.store(true, Relaxed);
    let out = f();
    ON.store(false, Relaxed);
    let d = HeapDelta {
        live: LIVE.load(Relaxed) as i64,
        peak: PEAK.load(Relaxed) as i64,
    };
    (out, d)
}

/// Whether the running binary counts allocations (a probe allocation moved the counter).
pub fn is_counting() -> bool {
    let (_, d) = measure(|| std::hint::black_box(vec![0u8; 4096]));
    d.peak >= 4096
}
