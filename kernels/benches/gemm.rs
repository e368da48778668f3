//! gemm, single thread: rayo (every B form) side by side with the `gemm`
//! crate (`Parallelism::None`) and `matrixmultiply`, shape by shape, with this
//! machine's register-only FMA peak measured in the same run, an alignment
//! sweep, and m = 1 with B out of cache against a plain read loop over the
//! same bytes.
//!
//! ```sh
//! cargo bench -p rayo-kernels --bench gemm                       # everything
//! cargo bench -p rayo-kernels --bench gemm -- 128x384            # a filter
//! GEMM_ISA=avx2 cargo bench -p rayo-kernels --bench gemm         # another rayo backend
//! kernels/benches/gemm.sh                                        # + NumPy/OpenBLAS, one table
//! ```
//!
//! Shapes are `m x k x n` (A is m x k, B k x n). GFLOPS = 2mnk / median time
//! of a call. Criterion prints its own statistics per benchmark; the table at
//! the end (and the `RESULT` lines `gemm.sh` reads) use the median over every
//! timed batch criterion ran. Each contender of a shape runs right after the
//! others, so load that changes slowly hits them alike; on a busy machine
//! compare ratios, not absolute figures, and rerun.

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::collections::BTreeMap;
    use std::hint::black_box;
    use std::sync::Mutex;
    use std::time::{Duration, Instant};

    use criterion::{BenchmarkId, Criterion, Throughput};
    use rayo_kernels::{Backend, Layout, Mat, MatMut, PackedB, Rhs};

    /// Per-call nanoseconds of every batch, by benchmark id.
    static TIMES: Mutex<BTreeMap<String, Vec<f64>>> = Mutex::new(BTreeMap::new());

    /// Times `iters` calls of `f`, records the per-call time under `id`.
    fn timed(id: &str, iters: u64, mut f: impl FnMut()) -> Duration {
        let t = Instant::now();
        for _ in 0..iters {
            f();
        }
        let d = t.elapsed();
        TIMES
            .lock()
            .unwrap()
            .entry(id.to_string())
            .or_default()
            .push(d.as_nanos() as f64 / iters as f64);
        d
    }

    fn median(v: &[f64]) -> f64 {
        let mut v = v.to_vec();
        v.sort_by(|a, b| a.total_cmp(b));
        v[v.len() / 2]
    }

    /// Deterministic values in [-1, 1).
    fn data(n: usize, seed: u32) -> Vec<f32> {
        let mut x = seed.wrapping_mul(2_654_435_761) | 1;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                (x >> 8) as f32 / (1 << 23) as f32 - 1.0
            })
            .collect()
    }

    /// `len` elements starting `off` elements past a 64-byte boundary.
    struct Buf<T> {
        v: Vec<T>,
        start: usize,
        len: usize,
    }

    impl<T: Copy + Default> Buf<T> {
        fn new(src: &[T], off: usize) -> Buf<T> {
            let extra = 64 / std::mem::size_of::<T>() + off;
            let mut v = vec![T::default(); src.len() + extra];
            let start = v.as_ptr().align_offset(64) + off;
            v[start..start + src.len()].copy_from_slice(src);
            Buf {
                v,
                start,
                len: src.len(),
            }
        }
        fn s(&self) -> &[T] {
            &self.v[self.start..self.start + self.len]
        }
        fn m(&mut self) -> &mut [T] {
            let (s, l) = (self.start, self.len);
            &mut self.v[s..s + l]
        }
    }

    // ---- the FMA peak ---------------------------------------------------

    /// FMAs per `peak_*` call: 12 independent chains (more than latency x
    /// throughput on any core we know) of 1024 steps.
    const PEAK_STEPS: usize = 1024;
    const PEAK_CHAINS: usize = 12;

    #[target_feature(enable = "avx2,fma")]
    unsafe fn peak_avx2(x: f32) -> f32 {
        use std::arch::x86_64::*;
        let m = _mm256_set1_ps(0.999_999);
        let a = _mm256_set1_ps(1e-7);
        let mut acc = [_mm256_set1_ps(x); PEAK_CHAINS];
        for _ in 0..PEAK_STEPS {
            for v in acc.iter_mut() {
                *v = _mm256_fmadd_ps(*v, m, a);
            }
        }
        let mut s = _mm256_setzero_ps();
        for v in acc {
            s = _mm256_add_ps(s, v);
        }
        _mm256_cvtss_f32(s)
    }

    #[target_feature(enable = "avx512f")]
    unsafe fn peak_avx512(x: f32) -> f32 {
        use std::arch::x86_64::*;
        let m = _mm512_set1_ps(0.999_999);
        let a = _mm512_set1_ps(1e-7);
        let mut acc = [_mm512_set1_ps(x); PEAK_CHAINS];
        for _ in 0..PEAK_STEPS {
            for v in acc.iter_mut() {
                *v = _mm512_fmadd_ps(*v, m, a);
            }
        }
        let mut s = _mm512_setzero_ps();
        for v in acc {
            s = _mm512_add_ps(s, v);
        }
        _mm512_reduce_add_ps(s)
    }

    fn peaks(c: &mut Criterion) {
        let mut cs: Vec<Contender<'_>> = Vec::new();
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            // SAFETY: AVX2 and FMA detected above.
            cs.push((
                "fma-avx2".into(),
                Box::new(|| unsafe {
                    black_box(peak_avx2(black_box(1.0)));
                }),
            ));
        }
        if std::is_x86_feature_detected!("avx512f") {
            // SAFETY: AVX-512F detected above.
            cs.push((
                "fma-avx512".into(),
                Box::new(|| unsafe {
                    black_box(peak_avx512(black_box(1.0)));
                }),
            ));
        } else {
            println!("NOT RUN: peak/fma-avx512 (this CPU has no AVX-512F)");
        }
        // Criterion's throughput is per call; the two loops differ, so the
        // summary computes GFLOPS itself.
        run_group(c, "peak", (PEAK_STEPS * PEAK_CHAINS * 16) as u64, cs);
    }

    // ---- the shapes -----------------------------------------------------

    /// (m, k, n): the issue's shapes (all-MiniLM-L6-v2: hidden 384, FFN 1536).
    pub const SHAPES: [(usize, usize, usize); 11] = [
        (1, 384, 384),
        (1, 384, 1536),
        (1, 1536, 384),
        (16, 384, 384),
        (16, 384, 1536),
        (16, 1536, 384),
        (128, 384, 384),
        (128, 384, 1536),
        (128, 1536, 384),
        (512, 512, 512),
        (8, 64, 64),
    ];

    fn name((m, k, n): (usize, usize, usize)) -> String {
        format!("{m}x{k}x{n}")
    }

    /// One shape's operands, every form of B, all 64-byte aligned.
    struct Operands {
        m: usize,
        k: usize,
        n: usize,
        a: Buf<f32>,
        b: Buf<f32>,
        bt: Buf<f32>,
        b16: Buf<u16>,
        bt16: Buf<u16>,
        p32: Buf<f32>,
        p16: Buf<u16>,
    }

    impl Operands {
        fn new((m, k, n): (usize, usize, usize), off: usize) -> Operands {
            let a = data(m * k, 1);
            let b = data(k * n, 2);
            let bt: Vec<f32> = (0..n * k).map(|i| b[(i % k) * n + i / k]).collect();
            let h = |v: &[f32]| -> Vec<u16> {
                v.iter().map(|&x| rayo_kernels::f32_to_f16(x)).collect()
            };
            let len = PackedB::len(k, n).unwrap();
            let mut p32 = Buf::new(&vec![0.0f32; len], 0);
            PackedB::pack(Mat::new(&b, k, n), Layout::KxN, p32.m()).unwrap();
            let mut p16 = Buf::new(&vec![0u16; len], 0);
            PackedB::pack(Mat::new(&b, k, n), Layout::KxN, p16.m()).unwrap();
            Operands {
                m,
                k,
                n,
                a: Buf::new(&a, off),
                b: Buf::new(&b, off),
                bt: Buf::new(&bt, off),
                b16: Buf::new(&h(&b), off),
                bt16: Buf::new(&h(&bt), off),
                p32,
                p16,
            }
        }

        fn rhs(&self, form: &str) -> Rhs<'_> {
            let (k, n) = (self.k, self.n);
            match form {
                "f32-kxn" => Rhs::F32(Mat::new(self.b.s(), k, n), Layout::KxN),
                "f32-nxk" => Rhs::F32(Mat::new(self.bt.s(), n, k), Layout::NxK),
                "f16-kxn" => Rhs::F16(Mat::new(self.b16.s(), k, n), Layout::KxN),
                "f16-nxk" => Rhs::F16(Mat::new(self.bt16.s(), n, k), Layout::NxK),
                "packed-f32" => Rhs::Packed(PackedB::from_packed(self.p32.s(), k, n).unwrap()),
                "packed-f16" => Rhs::Packed(PackedB::from_packed(self.p16.s(), k, n).unwrap()),
                _ => unreachable!("{form}"),
            }
        }

        /// The `gemm` crate: C = 1 * A B (no read of C).
        fn gemm_crate(&self, nxk: bool, c: &mut Buf<f32>) {
            let (m, k, n) = (self.m, self.k, self.n);
            let (rhs, cs, rs) = if nxk {
                (self.bt.s().as_ptr(), k as isize, 1)
            } else {
                (self.b.s().as_ptr(), 1, n as isize)
            };
            // SAFETY: every pointer spans its matrix with the strides given.
            unsafe {
                gemm::gemm(
                    m,
                    n,
                    k,
                    c.m().as_mut_ptr(),
                    1,
                    n as isize,
                    false,
                    self.a.s().as_ptr(),
                    1,
                    k as isize,
                    rhs,
                    cs,
                    rs,
                    0.0,
                    1.0,
                    false,
                    false,
                    false,
                    gemm::Parallelism::None,
                )
            }
        }

        fn matrixmultiply(&self, nxk: bool, c: &mut Buf<f32>) {
            let (m, k, n) = (self.m, self.k, self.n);
            let (rhs, rs, cs) = if nxk {
                (self.bt.s().as_ptr(), 1, k as isize)
            } else {
                (self.b.s().as_ptr(), n as isize, 1)
            };
            // SAFETY: as above.
            unsafe {
                matrixmultiply::sgemm(
                    m,
                    k,
                    n,
                    1.0,
                    self.a.s().as_ptr(),
                    k as isize,
                    1,
                    rhs,
                    rs,
                    cs,
                    0.0,
                    c.m().as_mut_ptr(),
                    n as isize,
                    1,
                )
            }
        }
    }

    pub const FORMS: [&str; 6] = [
        "packed-f32",
        "packed-f16",
        "f32-kxn",
        "f32-nxk",
        "f16-kxn",
        "f16-nxk",
    ];

    fn rayo_gemm(
        be: Backend,
        a: &Buf<f32>,
        rhs: Rhs<'_>,
        c: &mut Buf<f32>,
        m: usize,
        k: usize,
        n: usize,
    ) {
        be.gemm(Mat::new(a.s(), m, k), rhs, None, MatMut::new(c.m(), m, n))
            .unwrap();
    }

    /// A named call to time.
    type Contender<'a> = (String, Box<dyn FnMut() + 'a>);

    fn interleaved() -> bool {
        std::env::var("GEMM_MODE").is_ok_and(|m| m == "interleaved")
    }

    fn env_usize(var: &str, default: usize) -> usize {
        std::env::var(var)
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(default)
    }

    /// Times every contender of `group`: with criterion, one after the
    /// other; with `GEMM_MODE=interleaved`, in rounds (each contender one
    /// ~2 ms batch per round, the order rotating), so every round sees the
    /// same machine state for all of them.
    fn run_group(c: &mut Criterion, group: &str, flops: u64, mut cs: Vec<Contender<'_>>) {
        if !interleaved() {
            let mut g = c.benchmark_group(group);
            g.throughput(Throughput::Elements(flops));
            for (name, f) in cs.iter_mut() {
                let id = format!("{group}/{name}");
                g.bench_function(BenchmarkId::new(name.as_str(), ""), |bch| {
                    bch.iter_custom(|iters| timed(&id, iters, &mut *f))
                });
            }
            g.finish();
            return;
        }
        let batch_ns = env_usize("GEMM_BATCH_US", 2000) as f64 * 1e3;
        let rounds = env_usize("GEMM_ROUNDS", 21);
        // Calls per batch, from a warm-up of ~batch_ns.
        let iters: Vec<u64> = cs
            .iter_mut()
            .map(|(_, f)| {
                f();
                let t = Instant::now();
                let mut n = 0u64;
                while (t.elapsed().as_nanos() as f64) < batch_ns {
                    f();
                    n += 1;
                }
                n.max(1)
            })
            .collect();
        let k = cs.len();
        for r in 0..rounds {
            for s in 0..k {
                let i = (r + s) % k;
                let id = format!("{group}/{}", cs[i].0);
                timed(&id, iters[i], &mut cs[i].1);
            }
        }
    }

    fn shapes(c: &mut Criterion, be: Backend, extra: Option<Backend>) {
        for shape in SHAPES {
            let (m, k, n) = shape;
            let ops = Operands::new(shape, 0);
            let group = format!("gemm-{}", name(shape));
            let mut cs: Vec<Contender<'_>> = Vec::new();
            for (tag, b) in std::iter::once(("rayo", be)).chain(extra.map(|e| ("rayo-avx2", e))) {
                for form in FORMS {
                    if tag != "rayo" && form.ends_with("kxn") {
                        continue;
                    }
                    let ops = &ops;
                    let mut cb = Buf::new(&vec![0.0f32; m * n], 0);
                    cs.push((
                        format!("{tag}-{form}"),
                        Box::new(move || rayo_gemm(b, &ops.a, ops.rhs(form), &mut cb, m, k, n)),
                    ));
                }
            }
            for nxk in [false, true] {
                let l = if nxk { "nxk" } else { "kxn" };
                let ops = &ops;
                let mut cb = Buf::new(&vec![0.0f32; m * n], 0);
                cs.push((
                    format!("gemm-crate-f32-{l}"),
                    Box::new(move || ops.gemm_crate(nxk, &mut cb)),
                ));
                let mut cb = Buf::new(&vec![0.0f32; m * n], 0);
                cs.push((
                    format!("matrixmultiply-f32-{l}"),
                    Box::new(move || ops.matrixmultiply(nxk, &mut cb)),
                ));
            }
            run_group(c, &group, (2 * m * k * n) as u64, cs);
        }
    }

    /// A and C (and unpacked B) starting 0, 4, 16, 32 bytes past a 64-byte
    /// boundary (packed B is always aligned).
    fn alignment(c: &mut Criterion, be: Backend) {
        for shape in [(128, 384, 384), (16, 384, 1536)] {
            let (m, k, n) = shape;
            let group = format!("align-{}", name(shape));
            let ops: Vec<Operands> = [0usize, 1, 4, 8]
                .iter()
                .map(|&o| Operands::new(shape, o))
                .collect();
            let mut cs: Vec<Contender<'_>> = Vec::new();
            for (op, off) in ops.iter().zip([0usize, 1, 4, 8]) {
                for form in ["packed-f32", "packed-f16", "f32-nxk"] {
                    let mut cb = Buf::new(&vec![0.0f32; m * n], off);
                    cs.push((
                        format!("{form}-off{}", off * 4),
                        Box::new(move || rayo_gemm(be, &op.a, op.rhs(form), &mut cb, m, k, n)),
                    ));
                }
            }
            run_group(c, &group, (2 * m * k * n) as u64, cs);
        }
    }

    // ---- m = 1 with B out of cache --------------------------------------

    /// Bytes of B copies the out-of-cache rows rotate through: twice a 32
    /// MiB L3.
    const ROTATE_BYTES: usize = 64 << 20;

    #[target_feature(enable = "avx2")]
    unsafe fn read_avx2(p: *const u8, bytes: usize) -> f32 {
        use std::arch::x86_64::*;
        let mut acc = [_mm256_setzero_ps(); 4];
        let mut i = 0;
        while i + 128 <= bytes {
            for (j, a) in acc.iter_mut().enumerate() {
                *a = _mm256_add_ps(*a, _mm256_loadu_ps(p.add(i + 32 * j) as *const f32));
            }
            i += 128;
        }
        let s = _mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3]));
        _mm256_cvtss_f32(s)
    }

    /// Copies of one B form, together larger than `ROTATE_BYTES`.
    enum Sets {
        F32(Vec<Buf<f32>>),
        F16(Vec<Buf<u16>>),
    }

    impl Sets {
        fn len(&self) -> usize {
            match self {
                Sets::F32(v) => v.len(),
                Sets::F16(v) => v.len(),
            }
        }
        fn bytes(&self, i: usize) -> (*const u8, usize) {
            match self {
                Sets::F32(v) => (v[i].s().as_ptr() as *const u8, v[i].s().len() * 4),
                Sets::F16(v) => (v[i].s().as_ptr() as *const u8, v[i].s().len() * 2),
            }
        }
    }

    fn gemv_cold(c: &mut Criterion, be: Backend) {
        for shape in [(1, 384, 1536), (1, 1536, 384)] {
            let (m, k, n) = shape;
            let group = format!("gemv-cold-{}", name(shape));
            let a = Buf::new(&data(k, 3), 0);
            let b = data(k * n, 4);
            let bt: Vec<f32> = (0..n * k).map(|i| b[(i % k) * n + i / k]).collect();
            let len = PackedB::len(k, n).unwrap();
            let mut p32 = Buf::new(&vec![0.0f32; len], 0);
            PackedB::pack(Mat::new(&b, k, n), Layout::KxN, p32.m()).unwrap();
            let mut p16 = Buf::new(&vec![0u16; len], 0);
            PackedB::pack(Mat::new(&b, k, n), Layout::KxN, p16.m()).unwrap();
            let forms = ["packed-f32", "packed-f16", "f32-nxk", "f32-kxn"];
            let sets: Vec<Sets> = forms
                .iter()
                .map(|form| {
                    let f16 = form.contains("f16");
                    let copies = ROTATE_BYTES.div_ceil(len * if f16 { 2 } else { 4 });
                    match *form {
                        "packed-f16" => {
                            Sets::F16((0..copies).map(|_| Buf::new(p16.s(), 0)).collect())
                        }
                        "packed-f32" => {
                            Sets::F32((0..copies).map(|_| Buf::new(p32.s(), 0)).collect())
                        }
                        "f32-nxk" => Sets::F32((0..copies).map(|_| Buf::new(&bt, 0)).collect()),
                        _ => Sets::F32((0..copies).map(|_| Buf::new(&b, 0)).collect()),
                    }
                })
                .collect();
            let mut cs: Vec<Contender<'_>> = Vec::new();
            for (form, set) in forms.iter().zip(&sets) {
                let form = *form;
                let a = &a;
                let mut cb = Buf::new(&vec![0.0f32; n], 0);
                let mut next = 0usize;
                cs.push((
                    format!("rayo-{form}"),
                    Box::new(move || {
                        next = (next + 1) % set.len();
                        let rhs = match (form, set) {
                            ("packed-f32", Sets::F32(v)) => {
                                Rhs::Packed(PackedB::from_packed(v[next].s(), k, n).unwrap())
                            }
                            ("packed-f16", Sets::F16(v)) => {
                                Rhs::Packed(PackedB::from_packed(v[next].s(), k, n).unwrap())
                            }
                            ("f32-nxk", Sets::F32(v)) => {
                                Rhs::F32(Mat::new(v[next].s(), n, k), Layout::NxK)
                            }
                            (_, Sets::F32(v)) => Rhs::F32(Mat::new(v[next].s(), k, n), Layout::KxN),
                            _ => unreachable!(),
                        };
                        rayo_gemm(be, a, rhs, &mut cb, m, k, n);
                    }),
                ));
                // The memory baseline: a plain AVX2 read of the same bytes.
                if form.starts_with("packed") {
                    let mut next = 0usize;
                    cs.push((
                        format!("read-{}", &form[7..]),
                        Box::new(move || {
                            next = (next + 1) % set.len();
                            let (p, bytes) = set.bytes(next);
                            // SAFETY: `bytes` bytes of one live copy; the
                            // bench only runs this where AVX2 is detected.
                            black_box(unsafe { read_avx2(p, bytes) });
                        }),
                    ));
                }
            }
            run_group(c, &group, (2 * m * k * n) as u64, cs);
        }
    }

    // ---- the table --------------------------------------------------------

    fn load() -> String {
        std::fs::read_to_string("/proc/loadavg")
            .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
            .unwrap_or_else(|_| "?".into())
    }

    fn summary(be: Backend) {
        let times = TIMES.lock().unwrap();
        let med = |id: &str| times.get(id).map(|v| median(v));
        // Median over rounds of the per-round ratio `den time / num time`
        // (interleaved mode: equal-length lists, round by round).
        let ratio = |num: &str, den: &str| -> Option<f64> {
            let (a, b) = (times.get(num)?, times.get(den)?);
            if !interleaved() || a.len() != b.len() {
                return Some(median(b) / median(a));
            }
            let r: Vec<f64> = a.iter().zip(b).map(|(x, y)| y / x).collect();
            Some(median(&r))
        };
        let chains = (PEAK_STEPS * PEAK_CHAINS) as f64;
        let p2 = med("peak/fma-avx2").map(|ns| chains * 16.0 / ns);
        let p5 = med("peak/fma-avx512").map(|ns| chains * 32.0 / ns);
        let peak = p5.unwrap_or(0.0).max(p2.unwrap_or(0.0));
        let mode = if interleaved() {
            "interleaved rounds"
        } else {
            "criterion, one after the other"
        };
        println!(
            "\n## gemm summary (rayo backend {}, {mode}, load average {})\n",
            be.name(),
            load()
        );
        let fmt = |x: Option<f64>| x.map_or("-".into(), |v| format!("{v:.1}"));
        println!("FMA peak GFLOPS: avx2 {}, avx512 {}", fmt(p2), fmt(p5));
        if let Some(p) = p2 {
            println!("RESULT peak/fma-avx2 {p:.2}");
        }
        if let Some(p) = p5 {
            println!("RESULT peak/fma-avx512 {p:.2}");
        }
        for (id, v) in times.iter() {
            let Some((group, what)) = id.split_once('/') else {
                continue;
            };
            let g = group.rsplit('-').next().unwrap_or("");
            let dims: Vec<f64> = g.split('x').filter_map(|d| d.parse().ok()).collect();
            if dims.len() != 3 {
                continue;
            }
            let ns = median(v);
            if what.starts_with("read-") {
                let bytes = dims[1] * dims[2] * if what.ends_with("f16") { 2.0 } else { 4.0 };
                println!("RESULT {id} {:.2} GB/s", bytes / ns);
            } else {
                println!("RESULT {id} {:.2}", 2.0 * dims[0] * dims[1] * dims[2] / ns);
            }
        }
        println!("\nGFLOPS (median); last columns: rayo packed f32 as % of the FMA peak, and its speed over the gemm crate (median of per-round ratios)\n");
        println!("| shape | rayo packed f32 | packed f16 | f32 kxn | f32 nxk | f16 kxn | f16 nxk | gemm crate kxn | gemm crate nxk | matrixmultiply kxn | % of peak | / gemm crate |");
        println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
        for shape in SHAPES {
            let group = format!("gemm-{}", name(shape));
            let (m, k, n) = shape;
            let flops = 2.0 * (m * k * n) as f64;
            let gf = |w: &str| med(&format!("{group}/{w}")).map(|ns| flops / ns);
            let r = gf("rayo-packed-f32");
            println!(
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                name(shape),
                fmt(r),
                fmt(gf("rayo-packed-f16")),
                fmt(gf("rayo-f32-kxn")),
                fmt(gf("rayo-f32-nxk")),
                fmt(gf("rayo-f16-kxn")),
                fmt(gf("rayo-f16-nxk")),
                fmt(gf("gemm-crate-f32-kxn")),
                fmt(gf("gemm-crate-f32-nxk")),
                fmt(gf("matrixmultiply-f32-kxn")),
                r.map_or("-".into(), |v| format!("{:.0}%", 100.0 * v / peak)),
                ratio(
                    &format!("{group}/rayo-packed-f32"),
                    &format!("{group}/gemm-crate-f32-kxn")
                )
                .map_or("-".into(), |x| format!("{x:.2}x")),
            );
        }
        for shape in [(1, 384, 1536), (1, 1536, 384)] {
            let group = format!("gemv-cold-{}", name(shape));
            let (_, k, n) = shape;
            let bw = |w: &str, bytes: f64| med(&format!("{group}/{w}")).map(|ns| bytes / ns);
            let (b32, b16) = ((k * n * 4) as f64, (k * n * 2) as f64);
            let (r32, r16) = (bw("read-f32", b32), bw("read-f16", b16));
            let (g32, g16) = (bw("rayo-packed-f32", b32), bw("rayo-packed-f16", b16));
            let pct = |x: Option<f64>, y: Option<f64>| match (x, y) {
                (Some(a), Some(b)) => format!("{:.0}%", 100.0 * a / b),
                _ => "-".into(),
            };
            println!(
                "\n{group} (B out of cache, GB/s of B): packed f32 {} ({} of a plain read, {}), packed f16 {} ({} of {}), f32 nxk {}, f32 kxn {}",
                fmt(g32),
                pct(g32, r32),
                fmt(r32),
                fmt(g16),
                pct(g16, r16),
                fmt(r16),
                fmt(bw("rayo-f32-nxk", b32)),
                fmt(bw("rayo-f32-kxn", b32)),
            );
        }
        for shape in [(128, 384, 384), (16, 384, 1536)] {
            let group = format!("align-{}", name(shape));
            let (m, k, n) = shape;
            let flops = 2.0 * (m * k * n) as f64;
            let mut line =
                format!("\n{group} GFLOPS by start offset (bytes past 64) of A, C and plain B:");
            for form in ["packed-f32", "packed-f16", "f32-nxk"] {
                line += &format!("\n  {form}:");
                for off in [0, 4, 16, 32] {
                    let g = med(&format!("{group}/{form}-off{off}")).map(|ns| flops / ns);
                    line += &format!(" +{off} {}", fmt(g));
                }
            }
            println!("{line}");
        }
    }

    pub fn main() {
        let be = match std::env::var("GEMM_ISA") {
            Ok(n) => Backend::by_name(&n).unwrap_or_else(|| panic!("no backend {n:?} here")),
            Err(_) => Backend::active(),
        };
        // Where AVX-512 is the default, also time the AVX2 path (Lambda's x86
        // fleet cannot be assumed to have AVX-512).
        let extra = (be.name() == "avx512")
            .then(|| Backend::by_name("avx2"))
            .flatten();
        println!("rayo gemm backend: {} (load average {})", be.name(), load());
        let only = std::env::var("GEMM_ONLY").unwrap_or_default();
        let mut c = Criterion::default()
            .warm_up_time(Duration::from_millis(300))
            .measurement_time(Duration::from_secs(1))
            .sample_size(20)
            .configure_from_args();
        // GEMM_ONLY=shapes,align,cold picks parts (the peak always runs).
        let want = |part: &str| only.is_empty() || only.split(',').any(|p| p == part);
        peaks(&mut c);
        if want("shapes") {
            shapes(&mut c, be, extra);
        }
        if want("align") {
            alignment(&mut c, be);
        }
        if want("cold") {
            gemv_cold(&mut c, be);
        }
        peaks(&mut c);
        c.final_summary();
        summary(be);
    }
}

fn main() {
    #[cfg(target_arch = "x86_64")]
    x86::main();
    #[cfg(not(target_arch = "x86_64"))]
    println!("NOT RUN: the gemm bench is x86_64 only");
}
