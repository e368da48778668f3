//! Interleaved A/B comparison, rayo vs trueno, robust on a noisy machine.
//!
//! Criterion (`benches/kernels.rs`) measures rayo and trueno minutes apart; on
//! a shared 2-vCPU guest the load changes in between, and one op's two numbers
//! can swing 2x. Here every round times rayo and trueno back to back on the
//! same 64-byte-aligned buffers (cycling through every order of the
//! contenders), and the report is the median over rounds of the per-round
//! ratio: load that changes between rounds cancels out. One process can still
//! sit a few percent off for its whole life: compare several runs with
//! `versus_table.py run1.txt run2.txt run3.txt`.
//!
//! It also measures the machine's streaming memory bandwidth, the figure the
//! 4M cells are held against: plain AVX2 loops that read, write, copy and
//! triad (one, two, three inputs into one output, with regular and with
//! non-temporal stores), both at 4M-element arrays (the op's own working set)
//! and at 64M-element arrays (256 MiB each, far beyond the 32 MiB L3: DRAM).
//!
//! ```sh
//! cargo bench -p rayo-kernels --bench versus                     # everything
//! KERNELS_VS_OPS=add,sum KERNELS_VS_SIZES=1K cargo bench -p rayo-kernels --bench versus
//! KERNELS_VS_ROUNDS=41 KERNELS_VS_MISALIGN=1 cargo bench -p rayo-kernels --bench versus
//! ```
//! `KERNELS_VS_MISALIGN=k` starts every buffer `k` floats past a 64-byte
//! boundary (default 0). `KERNELS_VS_DRAM=0` skips the 256 MiB baselines.
//! After the table, `dot` at 1K runs at every start alignment and on fresh `Vec`s
//! (`KERNELS_VS_DOT_SWEEP=0` skips it).

#[path = "common/data.rs"]
mod data;

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::data;
    use std::hint::black_box;
    use std::time::Instant;

    use trueno::backends::avx2::Avx2Backend as T;
    use trueno::backends::VectorBackend;

    use data::SIZES;
    /// Elements per array for the DRAM baselines: 256 MiB.
    const DRAM_N: usize = 1 << 26;
    /// Target wall time of one timed batch.
    const BATCH_NS: f64 = 400_000.0;
    /// Wall time a cell of few-call batches may take with extra rounds.
    const LONG_CELL_NS: f64 = 1.5e9;
    /// Wall time any other cell may take with extra rounds.
    const CELL_NS: f64 = 0.5e9;

    fn env_list(var: &str) -> Option<Vec<String>> {
        std::env::var(var)
            .ok()
            .map(|s| s.split(',').map(|w| w.trim().to_string()).collect())
    }

    fn env_usize(var: &str, default: usize) -> usize {
        match std::env::var(var) {
            Ok(s) => s.parse().unwrap_or_else(|_| {
                eprintln!("{var}={s:?} is not a number; using {default}");
                default
            }),
            Err(_) => default,
        }
    }

    /// A heap buffer whose slice starts `misalign` floats past a 64-byte
    /// boundary, so both libraries see the same, known alignment (malloc's
    /// 16-byte alignment otherwise changes from run to run and decides
    /// trueno's non-temporal path and both libraries' split loads).
    struct Buf {
        v: Vec<f32>,
        start: usize,
        n: usize,
    }

    impl Buf {
        fn new(n: usize, seed: u32, misalign: usize) -> Buf {
            let mut v = vec![0.0f32; n + 16 + misalign];
            let skip = (64 - v.as_ptr() as usize % 64) % 64 / 4;
            let start = skip + misalign;
            data::fill(&mut v[start..start + n], seed);
            Buf { v, start, n }
        }
        fn s(&self) -> &[f32] {
            &self.v[self.start..self.start + self.n]
        }
        fn m(&mut self) -> &mut [f32] {
            &mut self.v[self.start..self.start + self.n]
        }
    }

    /// A buffer's slice with an unchecked lifetime, for closures that only
    /// use it while the buffer lives and no other borrow of it is in use.
    unsafe fn slice_of(b: *mut Buf) -> &'static mut [f32] {
        // SAFETY: the caller's promise above.
        unsafe {
            let s = (*b).m();
            std::slice::from_raw_parts_mut(s.as_mut_ptr(), s.len())
        }
    }

    /// Nanoseconds per call of `f`, over `reps` calls.
    #[inline(never)]
    fn time<F: FnMut()>(f: &mut F, reps: usize) -> f64 {
        let t = Instant::now();
        for _ in 0..reps {
            f();
        }
        t.elapsed().as_nanos() as f64 / reps as f64
    }

    fn median(v: &mut [f64]) -> f64 {
        v.sort_by(|a, b| a.total_cmp(b));
        let k = v.len();
        if k % 2 == 1 {
            v[k / 2]
        } else {
            (v[k / 2 - 1] + v[k / 2]) / 2.0
        }
    }

    /// Nanoseconds per call, `t[round][contender]`.
    struct Outcome {
        t: Vec<Vec<f64>>,
    }

    impl Outcome {
        /// Median ns per call of contender `j`.
        fn ns(&self, j: usize) -> f64 {
            median(&mut self.t.iter().map(|r| r[j]).collect::<Vec<_>>())
        }
        /// Median, 25th and 75th percentile over rounds of `f(round)`.
        fn stat(&self, f: impl Fn(&[f64]) -> f64) -> (f64, f64, f64) {
            let mut v: Vec<f64> = self.t.iter().map(|r| f(r)).collect();
            let m = median(&mut v);
            (m, v[v.len() / 4], v[(3 * v.len()) / 4])
        }
    }

    /// Runs the contenders interleaved for `rounds` rounds, cycling through
    /// every order of them, each timed over a batch of calls of about `BATCH_NS`.
    fn duel(rounds: usize, fs: &mut [&mut dyn FnMut()]) -> Outcome {
        // Warm up (page faults, caches, the dispatcher) and calibrate.
        let mut reps = Vec::new();
        // Nanoseconds one round takes: each contender's untimed call and batch.
        let mut per_round = 0.0;
        for f in fs.iter_mut() {
            f();
            let one = time(f, 1).max(1.0);
            let r = ((BATCH_NS / one) as usize).clamp(1, 1 << 20);
            per_round += time(f, r) * (r + 1) as f64;
            reps.push(r);
        }
        let k = fs.len();
        let rounds = more_rounds(rounds, &reps, per_round);
        // Every order of the contenders in turn, not only rotations: with
        // three contenders, rotating keeps the cyclic order, so each one
        // always ran right after the same other one.
        let orders = permutations(k);
        let mut t = Vec::new();
        for round in 0..rounds {
            let mut row = vec![0.0; k];
            for &j in &orders[round % orders.len()] {
                // One untimed call first: a batch can be a single call (4M),
                // and it should not pay for the cache state the previous
                // contender left (dirty lines, or lines it just evicted).
                fs[j]();
                row[j] = time(&mut fs[j], reps[j]);
            }
            t.push(row);
        }
        Outcome { t }
    }

    /// All orders of `0..k`, in lexicographic order.
    fn permutations(k: usize) -> Vec<Vec<usize>> {
        let mut p: Vec<usize> = (0..k).collect();
        let mut all = vec![p.clone()];
        // Next permutation: find the last ascent, swap with the last larger
        // element after it, reverse the tail.
        while let Some(i) = (1..k).rev().find(|&i| p[i - 1] < p[i]) {
            let j = (i..k).rev().find(|&j| p[j] > p[i - 1]).unwrap_or(i);
            p.swap(i - 1, j);
            p[i..].reverse();
            all.push(p.clone());
        }
        all
    }

    /// Rounds for a duel: up to 32x the asked rounds, within `CELL_NS` of
    /// wall time per cell, or `LONG_CELL_NS` where the batches are a handful
    /// of calls (4M). One call per timing is noisy (an A/A duel of one
    /// function, 301 rounds, gave medians 0.97x-1.00x from run to run); and
    /// 31 rounds of a 1K cell last ~25 ms, so one burst of load from the
    /// machine's other tenants could move a whole cell (`norm_l2` 1K read
    /// 0.87x in one run and 1.16x-1.31x in eight others).
    fn more_rounds(rounds: usize, reps: &[usize], per_round_ns: f64) -> usize {
        let budget = if reps.iter().any(|&r| r > 4) {
            CELL_NS
        } else {
            LONG_CELL_NS
        };
        let fit = (budget / per_round_ns.max(1.0)) as usize;
        rounds.max(fit.min(rounds * 32))
    }

    // ---- memory baselines: plain AVX2 loops over aligned arrays ----------

    #[target_feature(enable = "avx2")]
    unsafe fn read_avx2(ins: &[&[f32]]) -> f32 {
        use std::arch::x86_64::*;
        let n = ins[0].len();
        let mut acc = [_mm256_setzero_ps(); 4];
        for a in ins {
            let p = a.as_ptr();
            let mut i = 0;
            while i + 32 <= n {
                for (k, s) in acc.iter_mut().enumerate() {
                    // SAFETY: i + 8k + 8 <= n.
                    *s = _mm256_add_ps(*s, unsafe { _mm256_loadu_ps(p.add(i + 8 * k)) });
                }
                i += 32;
            }
        }
        let s = _mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3]));
        _mm256_cvtss_f32(s)
    }

    /// `out = sum of ins` (0..=3 inputs; 0 inputs writes a constant), with
    /// regular or non-temporal stores. `out` must be 32-byte aligned for `nt`.
    #[target_feature(enable = "avx2")]
    unsafe fn map_avx2(ins: &[&[f32]], out: &mut [f32], nt: bool) {
        use std::arch::x86_64::*;
        let n = out.len();
        let o = out.as_mut_ptr();
        assert!(
            !nt || (o as usize).is_multiple_of(32),
            "NT baseline needs an aligned output"
        );
        let ps: Vec<*const f32> = ins.iter().map(|a| a.as_ptr()).collect();
        let mut i = 0;
        while i + 16 <= n {
            let mut v0 = _mm256_set1_ps(1.0);
            let mut v1 = v0;
            for p in &ps {
                // SAFETY: every input has n elements and i + 16 <= n.
                unsafe {
                    v0 = _mm256_add_ps(v0, _mm256_loadu_ps(p.add(i)));
                    v1 = _mm256_add_ps(v1, _mm256_loadu_ps(p.add(i + 8)));
                }
            }
            // SAFETY: out has n elements, i + 16 <= n; aligned when nt.
            unsafe {
                if nt {
                    _mm256_stream_ps(o.add(i), v0);
                    _mm256_stream_ps(o.add(i + 8), v1);
                } else {
                    _mm256_storeu_ps(o.add(i), v0);
                    _mm256_storeu_ps(o.add(i + 8), v1);
                }
            }
            i += 16;
        }
        if nt {
            _mm_sfence();
        }
    }

    /// A baseline: `reads` input arrays, and (if `write`) one output.
    struct Base {
        bufs: Vec<Buf>,
        out: Buf,
    }

    impl Base {
        fn new(n: usize, reads: usize) -> Base {
            Base {
                bufs: (0..reads).map(|k| Buf::new(n, 10 + k as u32, 0)).collect(),
                out: Buf::new(n, 9, 0),
            }
        }
        fn read(&self) -> f32 {
            let ins: Vec<&[f32]> = self.bufs.iter().map(|b| b.s()).collect();
            // SAFETY: AVX2 checked in main.
            unsafe { read_avx2(&ins) }
        }
        fn map(&mut self, nt: bool) {
            let ins: Vec<&[f32]> = self.bufs.iter().map(|b| b.s()).collect();
            // SAFETY: AVX2 checked in main; out is 64-byte aligned.
            unsafe { map_avx2(&ins, self.out.m(), nt) }
        }
    }

    /// Best of regular and NT stores for a read:write mix, GB/s, measured
    /// interleaved. Returns (regular, nt) GB/s.
    fn baseline(n: usize, reads: usize, write: bool, rounds: usize) -> (f64, Option<f64>) {
        let mut b = Base::new(n, reads);
        let bytes = ((reads + write as usize) * n * 4) as f64;
        if !write {
            let r = duel(
                rounds,
                &mut [&mut || {
                    black_box(b.read());
                }],
            );
            return (bytes / r.ns(0), None);
        }
        let bp: *mut Base = &mut b;
        // The two closures run one after the other, never at once, and each
        // borrows `b` only for the duration of its call.
        let r = duel(
            rounds,
            &mut [
                // SAFETY: `bp` points to `b`, alive for the duel; no other borrow is live.
                &mut || unsafe { (*bp).map(false) },
                // SAFETY: as above.
                &mut || unsafe { (*bp).map(true) },
            ],
        );
        (bytes / r.ns(0), Some(bytes / r.ns(1)))
    }

    fn print_baselines(rounds: usize) {
        println!("\n## Memory baselines (GB/s, median of {rounds} rounds; AVX2 loops, aligned)\n");
        println!("| pattern | arrays x elements | regular stores | non-temporal stores |");
        println!("|---|---|---|---|");
        // `KERNELS_VS_BASE_SIZES=1M,2M,4M,8M`: where non-temporal stores start to pay.
        let mut sizes: Vec<(String, usize)> = match env_list("KERNELS_VS_BASE_SIZES") {
            Some(l) => l
                .iter()
                .filter_map(|w| {
                    Some((w.clone(), w.strip_suffix('M')?.parse::<usize>().ok()? << 20))
                })
                .collect(),
            None => vec![("4M".into(), 1 << 22)],
        };
        if env_usize("KERNELS_VS_DRAM", 1) != 0 {
            sizes.push(("64M (256 MiB)".into(), DRAM_N));
        }
        for (label, n) in sizes {
            let r = if n > 1 << 23 { rounds.min(7) } else { rounds };
            for (name, reads, write) in [
                ("read 1", 1, false),
                ("read 2", 2, false),
                ("write", 0, true),
                ("copy 1:1", 1, true),
                ("triad 2:1", 2, true),
                ("quad 3:1", 3, true),
            ] {
                let arrays = reads + write as usize;
                let (reg, nt) = baseline(n, reads, write, r);
                let nt = nt.map_or("–".to_string(), |x| format!("{x:.1}"));
                println!("| {name} | {arrays} x {label} | {reg:.1} | {nt} |");
            }
        }
    }

    // ---- the ops ----------------------------------------------------------

    struct Row {
        op: &'static str,
        size: &'static str,
        rayo_gbs: f64,
        trueno_gbs: Option<f64>,
        /// Median (25th, 75th percentile) over rounds of trueno time / rayo time.
        ratio: Option<(f64, f64, f64)>,
        /// 4M only: rayo's speed as a fraction of the plain loop's with the
        /// same read:write mix on the same buffers (median over rounds, where
        /// each round's plain loop is the faster of regular and NT stores),
        /// and the loop's name.
        of_base: Option<((f64, f64, f64), &'static str)>,
    }

    /// An op's read:write mix: (input arrays, writes an output, the plain
    /// loop's name). The plain loop runs on the op's own buffers.
    fn mix_of(op: &str) -> (usize, bool, &'static str) {
        match op {
            "sum" | "mean" | "norm_l1" | "norm_l2" | "max" | "min" | "argmax" | "argmin" => {
                (1, false, "read")
            }
            "dot" | "cosine" | "euclidean" => (2, false, "read 2 arrays"),
            "add" | "sub" | "mul" | "div" => (2, true, "triad 2:1"),
            "fma" => (3, true, "quad 3:1"),
            "axpy" => (2, true, "y += x"),
            // softmax reads a twice (max, then exp) and writes out twice
            // (exp, then scale in place); held against one copy.
            _ => (1, true, "copy 1:1"),
        }
    }

    /// Times rayo, trueno (if any) and, at 4M, the plain loops with the op's
    /// read:write mix on the same buffers, all interleaved in the same rounds.
    #[allow(clippy::too_many_arguments)]
    fn run_op(
        rows: &mut Vec<Row>,
        op: &'static str,
        size: &'static str,
        n: usize,
        streams: usize,
        rounds: usize,
        rayo: &mut dyn FnMut(),
        trueno: Option<&mut dyn FnMut()>,
        bufs: [*mut Buf; 4],
    ) {
        let bytes = (streams * n * 4) as f64;
        let with_base = n >= 1 << 22;
        let (reads, write, base_name) = mix_of(op);
        // SAFETY (all closures below): the buffers outlive the duel, and the
        // contenders run one at a time, so no two borrows are live at once.
        let ins = move || -> Vec<&'static [f32]> {
            (0..reads)
                // SAFETY: the buffer outlives the duel; no `&mut` to it is live meanwhile.
                .map(|k| unsafe { &*slice_of(bufs[k]) })
                .collect()
        };
        let o = bufs[3];
        let out = move || -> &'static mut [f32] {
            // axpy's y is buffer 3 and also its second input.
            // SAFETY: the buffer outlives the duel, and the contender that takes this `&mut`
            // runs alone, so no other borrow of it is live.
            unsafe { slice_of(o) }
        };
        let mut base_read = || {
            // SAFETY: AVX2 checked in main.
            black_box(unsafe { read_avx2(&ins()) });
        };
        let mut base_reg = || {
            let mut i = ins();
            if op == "axpy" {
                // SAFETY: as for `ins`: buffer 3 outlives the duel, read here only.
                i[1] = unsafe { &*slice_of(o) };
            }
            // SAFETY: AVX2 checked in main; `out` does not partially overlap an input.
            unsafe { map_avx2(&i, out(), false) }
        };
        let mut base_nt = || {
            // SAFETY: as above; the buffers are 64-byte aligned unless
            // KERNELS_VS_MISALIGN is set (then NT is skipped).
            unsafe { map_avx2(&ins(), out(), true) }
        };
        // SAFETY: `bufs[3]` points to a live buffer; only its address is read.
        let aligned = unsafe { ((*bufs[3]).m().as_ptr() as usize).is_multiple_of(32) };
        let mut fs: Vec<&mut dyn FnMut()> = vec![rayo];
        let has_t = trueno.is_some();
        if let Some(t) = trueno {
            fs.push(t);
        }
        let first_base = fs.len();
        if with_base {
            if !write {
                fs.push(&mut base_read);
            } else {
                fs.push(&mut base_reg);
                // In place (axpy) has no separate output to stream to.
                if aligned && op != "axpy" {
                    fs.push(&mut base_nt);
                }
            }
        }
        let r = duel(rounds, &mut fs);
        let nf = fs.len();
        let row = Row {
            op,
            size,
            rayo_gbs: bytes / r.ns(0),
            trueno_gbs: has_t.then(|| bytes / r.ns(1)),
            ratio: has_t.then(|| r.stat(|t| t[1] / t[0])),
            // The baseline moves the same bytes as the op, so the ratio of
            // speeds is the inverse ratio of times.
            of_base: with_base.then(|| {
                let best =
                    move |t: &[f64]| t[first_base..nf].iter().copied().fold(f64::MAX, f64::min);
                (r.stat(|t| best(t) / t[0]), base_name)
            }),
        };
        print_row(&row);
        rows.push(row);
    }

    fn print_row(r: &Row) {
        let t = r.trueno_gbs.map_or("–".into(), |x| format!("{x:.1}"));
        let ratio = r.ratio.map_or("–".into(), |(m, lo, hi)| {
            format!("{m:.2}x ({lo:.2}-{hi:.2})")
        });
        let base = r.of_base.map_or(String::new(), |((m, lo, hi), name)| {
            format!(
                "{:.0}% ({:.0}-{:.0}) of {name}",
                m * 100.0,
                lo * 100.0,
                hi * 100.0
            )
        });
        println!(
            "| {} | {} | {:.1} | {t} | {ratio} | {base} |",
            r.op, r.size, r.rayo_gbs
        );
    }

    /// `KERNELS_VS_ISA=avx512,avx2`: rayo's own backends against each other
    /// (which instruction set pays for which op and size on this CPU).
    fn isa(pair: &str, sizes: &[(&'static str, usize)], rounds: usize, misalign: usize) {
        let names: Vec<&str> = pair.split(',').collect();
        let (Some(x), Some(y)) = (
            names
                .first()
                .and_then(|n| rayo_kernels::Backend::by_name(n)),
            names.get(1).and_then(|n| rayo_kernels::Backend::by_name(n)),
        ) else {
            println!("\nKERNELS_VS_ISA={pair}: need two backends this CPU has");
            return;
        };
        println!("\n## {x:?} vs {y:?} (speed-up of {x:?})\n");
        println!("| op | size | {x:?} GB/s | {y:?} GB/s | speed-up |");
        println!("|---|---|---|---|---|");
        for &(size, n) in sizes {
            let a = Buf::new(n, 1, misalign);
            let b = Buf::new(n, 2, misalign);
            let mut o = Buf::new(n, 4, misalign);
            let (a, b) = (a.s(), b.s());
            let o = o.m();
            let op_ptr: *mut [f32] = o;
            type Run<'a> = Box<dyn Fn(rayo_kernels::Backend) + 'a>;
            let ops: Vec<(&str, usize, Run)> = vec![
                (
                    "sum",
                    1,
                    Box::new(|k| {
                        black_box(k.sum(a));
                    }),
                ),
                (
                    "dot",
                    2,
                    Box::new(|k| {
                        black_box(k.dot(a, b).ok());
                    }),
                ),
                (
                    "norm_l2",
                    1,
                    Box::new(|k| {
                        black_box(k.norm_l2(a));
                    }),
                ),
                (
                    "max",
                    1,
                    Box::new(|k| {
                        black_box(k.max(a));
                    }),
                ),
                (
                    "argmax",
                    1,
                    Box::new(|k| {
                        black_box(k.argmax(a));
                    }),
                ),
                // SAFETY: one contender runs at a time; `o` outlives the duel.
                (
                    "add",
                    3,
                    Box::new(|k| {
                        // SAFETY: one contender runs at a time; `o` outlives the duel.
                        black_box(k.add(a, b, unsafe { &mut *op_ptr }).ok());
                    }),
                ),
                (
                    "exp",
                    2,
                    Box::new(|k| {
                        // SAFETY: as for `add`.
                        black_box(k.exp(a, unsafe { &mut *op_ptr }).ok());
                    }),
                ),
                // A square matrix of n elements; bytes counted: the matrix.
                (
                    "matvec",
                    1,
                    Box::new(|k| {
                        let side = (n as f64).sqrt() as usize;
                        // SAFETY: as for `add`.
                        let o = unsafe { &mut *op_ptr };
                        let (m, x) = (&a[..side * side], &b[..side]);
                        black_box(k.matvec(m, side, side, x, &mut o[..side]).ok());
                    }),
                ),
            ];
            for (op, streams, f) in &ops {
                let r = duel(rounds, &mut [&mut || f(x), &mut || f(y)]);
                let bytes = (streams * n * 4) as f64;
                let (m, lo, hi) = r.stat(|t| t[1] / t[0]);
                println!(
                    "| {op} | {size} | {:.1} | {:.1} | {m:.2}x ({lo:.2}-{hi:.2}) |",
                    bytes / r.ns(0),
                    bytes / r.ns(1)
                );
            }
        }
    }

    /// `dot` at 1K for every start alignment (an independent check had found rayo
    /// slower at 64-byte-aligned starts and on `Vec`'s own buffers, which the table above,
    /// all buffers at one offset, never showed): both inputs 0, 4, ..., 60 bytes past a
    /// 64-byte boundary; the first aligned and the second 16 bytes past (two `Vec`s as
    /// malloc often places them); and two fresh `Vec`s wherever malloc puts them.
    fn dot_sweep(rounds: usize) {
        let n = 1024;
        println!("\n## dot, 1K, every start alignment (rayo speed-up over trueno, IQR)\n");
        println!("| a, b start (bytes past 64) | rayo GB/s | trueno GB/s | rayo speed-up |");
        println!("|---|---|---|---|");
        let mut cases: Vec<(String, Buf, Buf)> = (0..16)
            .map(|k| {
                (
                    format!("{0}, {0}", 4 * k),
                    Buf::new(n, 1, k),
                    Buf::new(n, 2, k),
                )
            })
            .collect();
        cases.push(("0, 16".into(), Buf::new(n, 1, 0), Buf::new(n, 2, 4)));
        cases.push(("16, 0".into(), Buf::new(n, 1, 4), Buf::new(n, 2, 0)));
        let fresh = |seed| Buf {
            v: super::data::data(n, seed),
            start: 0,
            n,
        };
        let (fa, fb) = (fresh(1), fresh(2));
        let label = format!(
            "Vec: {}, {}",
            fa.s().as_ptr() as usize % 64,
            fb.s().as_ptr() as usize % 64
        );
        cases.push((label, fa, fb));
        let (mut slower, mut tied) = (Vec::new(), 0);
        for (label, a, b) in &cases {
            let (a, b) = (a.s(), b.s());
            let r = duel(
                rounds,
                &mut [
                    &mut || {
                        black_box(rayo_kernels::dot(black_box(a), black_box(b)));
                    },
                    &mut || {
                        // SAFETY: equal lengths; AVX2+FMA checked in main.
                        black_box(unsafe { T::dot(black_box(a), black_box(b)) });
                    },
                ],
            );
            let bytes = (2 * n * 4) as f64;
            let (m, lo, hi) = r.stat(|t| t[1] / t[0]);
            if m < 0.99 {
                slower.push(format!("{label} {m:.3}x"));
            } else if m < 1.01 {
                tied += 1;
            }
            println!(
                "| {label} | {:.1} | {:.1} | {m:.2}x ({lo:.2}-{hi:.2}) |",
                bytes / r.ns(0),
                bytes / r.ns(1)
            );
        }
        println!(
            "\ndot 1K over {} alignments: {} faster, {tied} tied, {} slower: {}",
            cases.len(),
            cases.len() - tied - slower.len(),
            slower.len(),
            if slower.is_empty() {
                "none".into()
            } else {
                slower.join(", ")
            }
        );
    }

    pub(crate) fn main() {
        assert!(
            is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma"),
            "the trueno comparison needs AVX2+FMA"
        );
        let rounds = env_usize("KERNELS_VS_ROUNDS", 21).max(1);
        let misalign = env_usize("KERNELS_VS_MISALIGN", 0) % 16;
        let ops = env_list("KERNELS_VS_OPS");
        let want = |op: &str| ops.as_ref().is_none_or(|l| l.iter().any(|w| w == op));
        let sizes: Vec<(&'static str, usize)> = match env_list("KERNELS_VS_SIZES") {
            // Named sizes, or any element count (e.g. `8,100`).
            Some(l) => l
                .iter()
                .filter_map(|w| {
                    SIZES.iter().copied().find(|(s, _)| s == w).or_else(|| {
                        let n = w.parse().ok()?;
                        Some((&*Box::leak(w.clone().into_boxed_str()), n))
                    })
                })
                .collect(),
            None => SIZES.to_vec(),
        };
        println!(
            "# rayo ({}) vs trueno 0.19 (AVX2), interleaved, at least {rounds} rounds \
             (up to 32x that to fill ~0.5 s per cell, ~1.5 s for cells of one-call batches), \
             buffers {misalign} floats past 64-byte alignment\n",
            rayo_kernels::Backend::active().name()
        );
        println!(
            "GB/s = bytes touched (inputs + outputs) / median time; ratio = median over rounds \
             of trueno time / rayo time (> 1: rayo faster), interquartile range in brackets.\n"
        );
        println!("| op | size | rayo GB/s | trueno GB/s | rayo speed-up | 4M: rayo vs memory |");
        println!("|---|---|---|---|---|---|");
        let mut rows = Vec::new();
        for &(size, n) in &sizes {
            let mut a = Buf::new(n, 1, misalign);
            let mut b = Buf::new(n, 2, misalign);
            let mut c = Buf::new(n, 3, misalign);
            let mut o = Buf::new(n, 4, misalign);
            let bufs: [*mut Buf; 4] = [&mut a, &mut b, &mut c, &mut o];
            let op_ptr: *mut Buf = &mut o;
            // SAFETY: the inputs are only read from here on (through these
            // slices and the baselines' raw pointers).
            let (a, b, c) = unsafe { ((*bufs[0]).s(), (*bufs[1]).s(), (*bufs[2]).s()) };
            // The two contenders of a duel run one after the other, never at
            // once, so handing both a `&mut` to the output is sound in practice;
            // the raw pointer keeps the borrow checker out of that.
            macro_rules! out {
                () => {
                    // SAFETY: see above; one closure runs at a time.
                    unsafe { (*op_ptr).m() }
                };
            }
            macro_rules! duel_op {
                ($op:literal, $streams:expr, rayo: $ours:expr $(, trueno: $theirs:expr)?) => {
                    if want($op) {
                        #[allow(unused_mut, unused_assignments)]
                        let mut theirs: Option<&mut dyn FnMut()> = None;
                        $(
                            #[allow(unused_unsafe)]
                            let mut f = || {
                                // SAFETY: equal lengths by construction, AVX2+FMA checked.
                                black_box(unsafe { $theirs });
                            };
                            theirs = Some(&mut f);
                        )?
                        run_op(
                            &mut rows,
                            $op,
                            size,
                            n,
                            $streams,
                            rounds,
                            &mut || {
                                black_box($ours);
                            },
                            theirs,
                            bufs,
                        );
                    }
                };
            }
            duel_op!("sum", 1, rayo: rayo_kernels::sum(a), trueno: T::sum(a));
            duel_op!("mean", 1, rayo: rayo_kernels::mean(a), trueno: T::sum(a) / a.len() as f32);
            duel_op!("dot", 2, rayo: rayo_kernels::dot(a, b), trueno: T::dot(a, b));
            duel_op!("norm_l1", 1, rayo: rayo_kernels::norm_l1(a), trueno: T::norm_l1(a));
            duel_op!("norm_l2", 1, rayo: rayo_kernels::norm_l2(a), trueno: T::norm_l2(a));
            duel_op!("max", 1, rayo: rayo_kernels::max(a), trueno: T::max(a));
            duel_op!("min", 1, rayo: rayo_kernels::min(a), trueno: T::min(a));
            duel_op!("argmax", 1, rayo: rayo_kernels::argmax(a), trueno: T::argmax(a));
            duel_op!("argmin", 1, rayo: rayo_kernels::argmin(a), trueno: T::argmin(a));
            duel_op!("add", 3, rayo: rayo_kernels::add(a, b, out!()), trueno: T::add(a, b, out!()));
            duel_op!("sub", 3, rayo: rayo_kernels::sub(a, b, out!()), trueno: T::sub(a, b, out!()));
            duel_op!("mul", 3, rayo: rayo_kernels::mul(a, b, out!()), trueno: T::mul(a, b, out!()));
            duel_op!("div", 3, rayo: rayo_kernels::div(a, b, out!()), trueno: T::div(a, b, out!()));
            duel_op!("scale", 2, rayo: rayo_kernels::scale(a, 1.5, out!()),
                trueno: T::scale(a, 1.5, out!()));
            duel_op!("fma", 4, rayo: rayo_kernels::fma(a, b, c, out!()),
                trueno: T::fma(a, b, c, out!()));
            duel_op!("clamp", 2, rayo: rayo_kernels::clamp(a, -0.5, 0.5, out!()),
                trueno: T::clamp(a, -0.5, 0.5, out!()));
            duel_op!("abs", 2, rayo: rayo_kernels::abs(a, out!()), trueno: T::abs(a, out!()));
            duel_op!("relu", 2, rayo: rayo_kernels::relu(a, out!()), trueno: T::relu(a, out!()));
            duel_op!("exp", 2, rayo: rayo_kernels::exp(a, out!()), trueno: T::exp(a, out!()));
            duel_op!("sigmoid", 2, rayo: rayo_kernels::sigmoid(a, out!()),
                trueno: T::sigmoid(a, out!()));
            duel_op!("tanh", 2, rayo: rayo_kernels::tanh(a, out!()), trueno: T::tanh(a, out!()));
            duel_op!("gelu_tanh", 2, rayo: rayo_kernels::gelu_tanh(a, out!()), trueno: T::gelu(a, out!()));
            // trueno has no kernel-level softmax or matvec: its `Vector` /
            // `Matrix` API allocates the result (inputs built outside the timing).
            if want("softmax") {
                let ta = trueno::Vector::from_slice(a);
                run_op(
                    &mut rows,
                    "softmax",
                    size,
                    n,
                    2,
                    rounds,
                    &mut || rayo_kernels::softmax(a, out!()),
                    Some(&mut || {
                        black_box(ta.softmax().ok());
                    }),
                    bufs,
                );
            }
            if want("matvec") {
                // A square matrix with n elements; bytes counted: the matrix.
                let side = (n as f64).sqrt() as usize;
                let (m, x) = (&a[..side * side], &b[..side]);
                let tm = trueno::Matrix::from_slice(side, side, m).expect("square shape");
                let tx = trueno::Vector::from_slice(x);
                // rayo reads trueno's own copy of the matrix: with a copy each,
                // the two 16 MiB matrices at 4M evicted each other from the
                // shared L3 and the per-round ratio swung 0.6x-1.9x (IQR);
                // on one matrix both see the same cache state. That copy is
                // wherever trueno's allocator put it, not `KERNELS_VS_MISALIGN`.
                let m = tm.as_slice();
                let mut o = vec![0.0f32; side];
                let mut ours = || rayo_kernels::matvec(m, side, side, x, &mut o);
                let mut theirs = || {
                    black_box(tm.matvec(&tx).ok());
                };
                let r = duel(rounds, &mut [&mut ours, &mut theirs]);
                let bytes = (side * side * 4) as f64;
                let row = Row {
                    op: "matvec",
                    size,
                    rayo_gbs: bytes / r.ns(0),
                    trueno_gbs: Some(bytes / r.ns(1)),
                    ratio: Some(r.stat(|t| t[1] / t[0])),
                    of_base: None,
                };
                print_row(&row);
                rows.push(row);
            }
            duel_op!("axpy", 3, rayo: rayo_kernels::axpy(0.5, a, out!()));
            duel_op!("cosine", 2, rayo: rayo_kernels::cosine(a, b));
            duel_op!("euclidean", 2, rayo: rayo_kernels::euclidean(a, b));
        }
        // Within 1% either way is a tie: the interquartile ranges of repeated
        // runs are about that wide, and store-bound ops hit the same limit.
        let list = |keep: &dyn Fn(f64) -> bool| -> Vec<String> {
            rows.iter()
                .filter_map(|r| r.ratio.filter(|x| keep(x.0)).map(|x| (r, x.0)))
                .map(|(r, x)| format!("{} {} {x:.3}x", r.op, r.size))
                .collect()
        };
        let duels = rows.iter().filter(|r| r.ratio.is_some()).count();
        let tied = list(&|x| (0.99..1.01).contains(&x));
        let slower = list(&|x| x < 0.99);
        println!(
            "\nrayo vs trueno over {duels} cells: {} faster (>= 1.01x), {} tied (0.99-1.01x), {} slower",
            duels - tied.len() - slower.len(),
            tied.len(),
            slower.len()
        );
        println!(
            "tied: {}",
            if tied.is_empty() {
                "none".into()
            } else {
                tied.join(", ")
            }
        );
        println!(
            "slower: {}",
            if slower.is_empty() {
                "none".into()
            } else {
                slower.join(", ")
            }
        );
        if env_usize("KERNELS_VS_DOT_SWEEP", 1) != 0 && want("dot") {
            dot_sweep(rounds);
        }
        if let Ok(pair) = std::env::var("KERNELS_VS_ISA") {
            isa(&pair, &sizes, rounds, misalign);
        }
        if env_usize("KERNELS_VS_BASELINES", 1) != 0 {
            print_baselines(rounds);
        }
    }
}

#[cfg(target_arch = "x86_64")]
fn main() {
    x86::main()
}

#[cfg(not(target_arch = "x86_64"))]
fn main() {
    eprintln!("kernels versus bench: the trueno comparison is x86_64-only; nothing run");
}
