//! The Rust side of `./report.sh`'s kernels-vs-NumPy table: a worker that
//! times rayo's kernels on request, so the driver (`scripts/report/part1.py`)
//! can interleave it with the NumPy worker op by op and share the noise.
//!
//! Protocol, one line each way (the NumPy worker speaks the same):
//!
//! ```text
//! > info                      < backend avx512
//! > run OP N CALLS BATCHES    < ok NS NS ...   (one total per batch of CALLS calls)
//! > quit
//! ```
//!
//! OP is dot, sum, max, add, mul or scale; N the element count. Each batch is
//! `Instant::now()` around CALLS calls, as the Python side does with
//! `perf_counter_ns()` around a loop: the same method on both sides.
//! Build: `cargo build --release -p rayo-kernels --example report_timing`.

use std::collections::HashMap;
use std::hint::black_box;
use std::io::{self, BufRead, Write};
use std::time::Instant;

#[path = "../benches/common/data.rs"]
mod data;
use data::data;

/// An f32 buffer placed as NumPy places its arrays: from 4 MiB up, aligned to 2 MiB and
/// advised to use transparent huge pages (NumPy's `NUMPY_MADVISE_HUGEPAGE`, on by default),
/// so at 4M elements both sides pay the same TLB cost and the kernels are what differs.
struct Buf {
    ptr: *mut f32,
    len: usize,
    layout: std::alloc::Layout,
}

const HUGE: usize = 2 << 20;
const MADV_HUGEPAGE: i32 = 14;

extern "C" {
    // std links the C library on Linux already; no crate is needed for one call.
    fn madvise(addr: *mut std::ffi::c_void, len: usize, advice: i32) -> i32;
}

impl Buf {
    fn from(values: &[f32]) -> Buf {
        let len = values.len().max(1);
        let bytes = len * 4;
        let align = if bytes >= 4 << 20 { HUGE } else { 64 };
        let size = bytes.div_ceil(align) * align;
        let Ok(layout) = std::alloc::Layout::from_size_align(size, align) else {
            eprintln!("report_timing: cannot lay out {len} f32s");
            std::process::exit(1);
        };
        // SAFETY: the layout has a non-zero size (len >= 1).
        let ptr = unsafe { std::alloc::alloc(layout) } as *mut f32;
        if ptr.is_null() {
            std::alloc::handle_alloc_error(layout);
        }
        if align == HUGE {
            // SAFETY: [ptr, ptr + size) is one live allocation owned by this Buf; madvise only
            // changes how the kernel backs it. A failure (THP off) just leaves 4 KiB pages.
            unsafe { madvise(ptr.cast(), size, MADV_HUGEPAGE) };
        }
        // SAFETY: ptr is valid for len f32s (size >= len * 4, aligned to at least 64) and not
        // aliased; every element is written here, which also faults every page in now.
        unsafe {
            for i in 0..len {
                ptr.add(i).write(values.get(i).copied().unwrap_or(0.0));
            }
        }
        Buf { ptr, len, layout }
    }

    fn slice(&self) -> &[f32] {
        // SAFETY: ptr holds len initialised f32s for as long as self lives.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }

    fn slice_mut(&mut self) -> &mut [f32] {
        // SAFETY: as in `slice`, and &mut self makes this the only reference.
        unsafe { std::slice::from_raw_parts_mut(self.ptr, self.len) }
    }
}

impl Drop for Buf {
    fn drop(&mut self) {
        // SAFETY: ptr was allocated with exactly this layout and is freed once.
        unsafe { std::alloc::dealloc(self.ptr.cast(), self.layout) }
    }
}

/// The arrays of one size, kept for the whole run (sizes alternate between requests, and
/// allocating again would put page faults inside the timed batches).
struct Arrays {
    a: Buf,
    b: Buf,
    out: Buf,
}

impl Arrays {
    fn of(n: usize) -> Arrays {
        Arrays {
            a: Buf::from(&data(n, 1)),
            b: Buf::from(&data(n, 2)),
            out: Buf::from(&data(n, 3)),
        }
    }
}

/// Times `batches` batches of `calls` calls of `op`; the total ns of each batch.
fn run(op: &str, arr: &mut Arrays, calls: u64, batches: u64) -> Result<Vec<u128>, String> {
    let (a, b, out) = (arr.a.slice(), arr.b.slice(), arr.out.slice_mut());
    let mut totals = Vec::with_capacity(batches as usize);
    // One loop per op, so the timed loop holds a direct call, not a match.
    macro_rules! time {
        ($call:expr) => {{
            for _ in 0..batches {
                let t = Instant::now();
                for _ in 0..calls {
                    $call;
                }
                totals.push(t.elapsed().as_nanos());
            }
        }};
    }
    match op {
        "dot" => time!(black_box(rayo_kernels::dot(black_box(a), black_box(b)))),
        "sum" => time!(black_box(rayo_kernels::sum(black_box(a)))),
        "max" => time!(black_box(rayo_kernels::max(black_box(a)))),
        "add" => time!(rayo_kernels::add(
            black_box(a),
            black_box(b),
            black_box(&mut *out)
        )),
        "mul" => time!(rayo_kernels::mul(
            black_box(a),
            black_box(b),
            black_box(&mut *out)
        )),
        "scale" => time!(rayo_kernels::scale(
            black_box(a),
            black_box(1.5),
            black_box(&mut *out)
        )),
        other => return Err(format!("unknown op `{other}`")),
    }
    Ok(totals)
}

fn number(word: Option<&str>, what: &str, line: &str) -> Result<u64, String> {
    let w = word.ok_or_else(|| format!("missing {what} in `{line}`"))?;
    w.parse()
        .map_err(|_| format!("{what} `{w}` is not a whole number in `{line}`"))
}

fn answer(line: &str, arrays: &mut HashMap<usize, Arrays>) -> Result<String, String> {
    let mut words = line.split_whitespace();
    match words.next() {
        Some("info") => Ok(format!(
            "backend {}",
            rayo_kernels::Backend::active().name()
        )),
        Some("run") => {
            let op = words
                .next()
                .ok_or_else(|| format!("missing op in `{line}`"))?;
            let n = number(words.next(), "N", line)? as usize;
            let calls = number(words.next(), "CALLS", line)?;
            let batches = number(words.next(), "BATCHES", line)?;
            if n == 0 || calls == 0 || batches == 0 {
                return Err(format!(
                    "N, CALLS and BATCHES must be at least 1 in `{line}`"
                ));
            }
            let arr = arrays.entry(n).or_insert_with(|| Arrays::of(n));
            let totals = run(op, arr, calls, batches)?;
            let mut s = String::from("ok");
            for t in totals {
                s.push(' ');
                s.push_str(&t.to_string());
            }
            Ok(s)
        }
        _ => Err(format!("unknown request `{line}`")),
    }
}

fn main() {
    let stdin = io::stdin();
    let mut stdout = io::stdout().lock();
    let mut arrays = HashMap::new();
    for line in stdin.lock().lines() {
        let Ok(line) = line else { break };
        if line.trim() == "quit" {
            break;
        }
        let reply = match answer(line.trim(), &mut arrays) {
            Ok(s) => s,
            Err(e) => format!("error {e}"),
        };
        if writeln!(stdout, "{reply}")
            .and_then(|()| stdout.flush())
            .is_err()
        {
            break;
        }
    }
}
