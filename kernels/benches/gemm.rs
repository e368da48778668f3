//! gemm, single thread: rayo (every B form) side by side with the `gemm`
//! crate (`Parallelism::None`), `matrixmultiply` and, when `GEMM_PYTHON`
//! names a Python with NumPy, OpenBLAS in a second process, shape by shape,
//! with this machine's register-only FMA peak timed in the same rounds, an
//! alignment sweep, and m = 1 with B out of cache against plain read loops
//! over the same bytes.
//!
//! ```sh
//! cargo bench -p rayo-kernels --bench gemm                          # criterion
//! GEMM_MODE=interleaved cargo bench -p rayo-kernels --bench gemm    # rounds, ratios
//! GEMM_ISA=avx2 cargo bench -p rayo-kernels --bench gemm            # another rayo backend
//! GEMM_ONLY=shapes,align,cold GEMM_SHAPES=128x384x384,8x64x64       # parts
//! kernels/benches/gemm.sh                                           # + OpenBLAS, several runs, one table
//! ```
//!
//! Shapes are `m x k x n` (A is m x k, B k x n). GFLOPS = 2mnk / median time
//! of a call. In interleaved mode every contender of a shape (and the FMA
//! peak loop) runs one ~2 ms batch per round, the order rotating, so each
//! round sees one machine state for all of them; ratios are medians of
//! per-round ratios, which load that changes slowly cancels out of. The
//! `RESULT`/`RATIO` lines are what `gemm_table.py` combines across runs.

#[cfg(target_arch = "x86_64")]
#[path = "common/data.rs"]
mod data;

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::cell::RefCell;
    use std::collections::BTreeMap;
    use std::hint::black_box;
    use std::io::{BufRead, BufReader, Write};
    use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
    use std::rc::Rc;
    use std::sync::Mutex;
    use std::time::{Duration, Instant};

    use criterion::{BenchmarkId, Criterion, Throughput};
    use rayo_kernels::{Backend, Layout, Mat, MatMut, PackedB, Rhs};

    use super::data::data;

    /// Per-call nanoseconds of every batch, by benchmark id.
    static TIMES: Mutex<BTreeMap<String, Vec<f64>>> = Mutex::new(BTreeMap::new());

    fn record(id: &str, iters: u64, d: Duration) {
        TIMES
            .lock()
            .unwrap()
            .entry(id.to_string())
            .or_default()
            .push(d.as_nanos() as f64 / iters as f64);
    }

    fn median(v: &[f64]) -> f64 {
        let mut v = v.to_vec();
        v.sort_by(|a, b| a.total_cmp(b));
        v[v.len() / 2]
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
        fn zeros(len: usize, off: usize) -> Buf<T> {
            Buf::new(&vec![T::default(); len], off)
        }
        fn s(&self) -> &[T] {
            &self.v[self.start..self.start + self.len]
        }
        fn m(&mut self) -> &mut [T] {
            let (s, l) = (self.start, self.len);
            &mut self.v[s..s + l]
        }
    }

    /// A named thing to time: `f(iters)` makes `iters` calls and says how
    /// long they took (measured here, or by the OpenBLAS process).
    type Contender<'a> = (String, Box<dyn FnMut(u64) -> Duration + 'a>);

    /// A contender timed here around `iters` calls of `f`.
    fn local<'a>(name: impl Into<String>, mut f: impl FnMut() + 'a) -> Contender<'a> {
        (
            name.into(),
            Box::new(move |iters| {
                let t = Instant::now();
                for _ in 0..iters {
                    f();
                }
                t.elapsed()
            }),
        )
    }

    // ---- OpenBLAS, in a second process ---------------------------------

    /// `benches/gemm_numpy.py`, started once, answering timing requests.
    struct Peer {
        _child: Child,
        tx: ChildStdin,
        rx: BufReader<ChildStdout>,
    }

    impl Peer {
        /// `GEMM_PYTHON` with OPENBLAS_NUM_THREADS=1 and OpenBLAS's core
        /// type and L2 overrides removed for that process only.
        fn start() -> Option<(Rc<RefCell<Peer>>, String)> {
            let python = std::env::var("GEMM_PYTHON").ok()?;
            let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/gemm_numpy.py");
            let mut child = Command::new(&python)
                .arg(script)
                .env("OPENBLAS_NUM_THREADS", "1")
                .env_remove("OPENBLAS_CORETYPE")
                .env_remove("OPENBLAS_L2_SIZE")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .unwrap_or_else(|e| panic!("GEMM_PYTHON={python}: cannot start it: {e}"));
            let tx = child.stdin.take().unwrap();
            let rx = BufReader::new(child.stdout.take().unwrap());
            let mut p = Peer {
                _child: child,
                tx,
                rx,
            };
            let info = p.ask("info");
            let info = info.strip_prefix("info ").unwrap_or(&info).to_string();
            Some((Rc::new(RefCell::new(p)), info))
        }

        fn ask(&mut self, line: &str) -> String {
            writeln!(self.tx, "{line}").expect("OpenBLAS process gone");
            self.tx.flush().unwrap();
            let mut s = String::new();
            self.rx.read_line(&mut s).expect("OpenBLAS process gone");
            s.trim().to_string()
        }

        fn time(&mut self, (m, k, n): (usize, usize, usize), form: &str, iters: u64) -> Duration {
            let r = self.ask(&format!("time {m} {k} {n} {form} {iters}"));
            let ns: f64 = r
                .strip_prefix("ns ")
                .and_then(|x| x.parse().ok())
                .unwrap_or_else(|| panic!("OpenBLAS process answered {r:?}"));
            Duration::from_nanos((ns * iters as f64) as u64)
        }

        fn contender<'a>(
            p: &Rc<RefCell<Peer>>,
            name: &str,
            shape: (usize, usize, usize),
            form: &'static str,
        ) -> Contender<'a> {
            let p = Rc::clone(p);
            (
                name.into(),
                Box::new(move |iters| p.borrow_mut().time(shape, form, iters)),
            )
        }
    }

    impl Drop for Peer {
        fn drop(&mut self) {
            let _ = writeln!(self.tx, "quit");
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

    /// GFLOPS of one peak call at `ns`, by contender name.
    fn peak_gflops(name: &str, ns: f64) -> f64 {
        let lanes = if name.ends_with("avx512") { 16.0 } else { 8.0 };
        (PEAK_STEPS * PEAK_CHAINS) as f64 * 2.0 * lanes / ns
    }

    /// The FMA loops this CPU runs, as contenders (`fma-avx2`, `fma-avx512`).
    fn peak_contenders<'a>() -> Vec<Contender<'a>> {
        let mut cs = Vec::new();
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            // SAFETY: AVX2 and FMA detected above.
            cs.push(local("fma-avx2", || unsafe {
                black_box(peak_avx2(black_box(1.0)));
            }));
        }
        if std::is_x86_feature_detected!("avx512f") {
            // SAFETY: AVX-512F detected above.
            cs.push(local("fma-avx512", || unsafe {
                black_box(peak_avx512(black_box(1.0)));
            }));
        }
        cs
    }

    // ---- the shapes -----------------------------------------------------

    /// (m, k, n): the encoder's shapes (all-MiniLM-L6-v2: hidden 384, FFN 1536).
    pub(crate) const SHAPES: [(usize, usize, usize); 11] = [
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
            let mut p32 = Buf::zeros(len, 0);
            PackedB::pack(Mat::new(&b, k, n), Layout::KxN, p32.m()).unwrap();
            let mut p16 = Buf::zeros(len, 0);
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

    pub(crate) const FORMS: [&str; 6] = [
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
    /// ~2 ms batch per round, the order rotating).
    fn run_group(c: &mut Criterion, group: &str, flops: u64, mut cs: Vec<Contender<'_>>) {
        if !interleaved() {
            let mut g = c.benchmark_group(group);
            g.throughput(Throughput::Elements(flops));
            for (name, f) in cs.iter_mut() {
                let id = format!("{group}/{name}");
                g.bench_function(BenchmarkId::new(name.as_str(), ""), |bch| {
                    bch.iter_custom(|iters| {
                        let d = f(iters);
                        record(&id, iters, d);
                        d
                    })
                });
            }
            g.finish();
            return;
        }
        let batch = Duration::from_micros(env_usize("GEMM_BATCH_US", 2000) as u64);
        let rounds = env_usize("GEMM_ROUNDS", 21);
        // Calls per batch: double until a batch takes a tenth of the
        // target, then scale (one untimed call first warms caches).
        let iters: Vec<u64> = cs
            .iter_mut()
            .map(|(_, f)| {
                f(1);
                let mut n = 1u64;
                loop {
                    let d = f(n);
                    if d * 10 >= batch || n >= 1 << 30 {
                        let per = d.as_nanos().max(1) as f64 / n as f64;
                        break ((batch.as_nanos() as f64 / per) as u64).max(1);
                    }
                    n *= 2;
                }
            })
            .collect();
        let k = cs.len();
        for r in 0..rounds {
            for s in 0..k {
                let i = (r + s) % k;
                let d = (cs[i].1)(iters[i]);
                record(&format!("{group}/{}", cs[i].0), iters[i], d);
            }
        }
    }

    fn shapes(
        c: &mut Criterion,
        be: Backend,
        extra: Option<Backend>,
        peer: Option<&Rc<RefCell<Peer>>>,
    ) {
        // GEMM_SHAPES=128x384x384,16x384x1536 picks shapes.
        let pick = std::env::var("GEMM_SHAPES").unwrap_or_default();
        for shape in SHAPES {
            if !pick.is_empty() && !pick.split(',').any(|s| s == name(shape)) {
                continue;
            }
            let (m, k, n) = shape;
            let ops = Operands::new(shape, 0);
            let group = format!("gemm-{}", name(shape));
            let mut cs: Vec<Contender<'_>> = peak_contenders();
            for (tag, b) in std::iter::once(("rayo", be)).chain(extra.map(|e| ("rayo-avx2", e))) {
                for form in FORMS {
                    if tag != "rayo" && form.ends_with("kxn") {
                        continue;
                    }
                    let ops = &ops;
                    let mut cb = Buf::zeros(m * n, 0);
                    cs.push(local(format!("{tag}-{form}"), move || {
                        rayo_gemm(b, &ops.a, ops.rhs(form), &mut cb, m, k, n)
                    }));
                }
            }
            for nxk in [false, true] {
                let l = if nxk { "nxk" } else { "kxn" };
                let ops = &ops;
                let mut cb = Buf::zeros(m * n, 0);
                cs.push(local(format!("gemm-crate-f32-{l}"), move || {
                    ops.gemm_crate(nxk, &mut cb)
                }));
                let mut cb = Buf::zeros(m * n, 0);
                cs.push(local(format!("matrixmultiply-f32-{l}"), move || {
                    ops.matrixmultiply(nxk, &mut cb)
                }));
            }
            if let Some(p) = peer {
                cs.push(Peer::contender(p, "openblas-f32-kxn", shape, "f32-kxn"));
                cs.push(Peer::contender(p, "openblas-f32-nxk", shape, "f32-nxk"));
                cs.push(Peer::contender(
                    p,
                    "openblas-overhead",
                    (1, 1, 1),
                    "overhead",
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
                    let mut cb = Buf::zeros(m * n, off);
                    cs.push(local(format!("{form}-off{}", off * 4), move || {
                        rayo_gemm(be, &op.a, op.rhs(form), &mut cb, m, k, n)
                    }));
                }
            }
            run_group(c, &group, (2 * m * k * n) as u64, cs);
        }
    }

    // ---- m = 1 with B out of cache --------------------------------------

    /// Bytes of B copies the out-of-cache rows rotate through: twice a 32
    /// MiB L3.
    const ROTATE_BYTES: usize = 64 << 20;

    /// Sums `bytes` at `p` (a multiple of 128 per stream) read as `S`
    /// equal parts side by side: one part is one hardware-prefetch stream;
    /// several keep more cache misses in flight, as a gemv over `S` panels
    /// does.
    #[target_feature(enable = "avx2")]
    unsafe fn read_avx2<const S: usize>(p: *const u8, bytes: usize) -> f32 {
        // SAFETY: the caller's contract: the CPU has AVX2 and `p` is readable for `bytes`
        // bytes; every load below is at `s * part + i + 32 j` with `i + 128 <= part`.
        unsafe {
            use std::arch::x86_64::*;
            let part = bytes / S / 128 * 128;
            let mut acc = [[_mm256_setzero_ps(); 4]; S];
            let mut i = 0;
            while i < part {
                for (s, a) in acc.iter_mut().enumerate() {
                    let q = p.add(s * part + i) as *const f32;
                    for (j, v) in a.iter_mut().enumerate() {
                        *v = _mm256_add_ps(*v, _mm256_loadu_ps(q.add(8 * j)));
                    }
                }
                i += 128;
            }
            let mut t = _mm256_setzero_ps();
            for a in acc {
                t = _mm256_add_ps(t, _mm256_add_ps(_mm256_add_ps(a[0], a[1]), a[2]));
                t = _mm256_add_ps(t, a[3]);
            }
            _mm256_cvtss_f32(t)
        }
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
            let mut p32 = Buf::zeros(len, 0);
            PackedB::pack(Mat::new(&b, k, n), Layout::KxN, p32.m()).unwrap();
            let mut p16 = Buf::zeros(len, 0);
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
                let mut cb = Buf::zeros(n, 0);
                let mut next = 0usize;
                cs.push(local(format!("rayo-{form}"), move || {
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
                }));
                // The memory baselines: plain AVX2 reads of the same bytes,
                // one stream and four side by side.
                if form.starts_with("packed") {
                    let ty = &form[7..];
                    let mut next = 0usize;
                    cs.push(local(format!("read1-{ty}"), move || {
                        next = (next + 1) % set.len();
                        let (p, bytes) = set.bytes(next);
                        // SAFETY: `bytes` bytes of one live copy; the
                        // bench only runs this where AVX2 is detected.
                        black_box(unsafe { read_avx2::<1>(p, bytes) });
                    }));
                    let mut next = 0usize;
                    cs.push(local(format!("read4-{ty}"), move || {
                        next = (next + 1) % set.len();
                        let (p, bytes) = set.bytes(next);
                        // SAFETY: as above.
                        black_box(unsafe { read_avx2::<4>(p, bytes) });
                    }));
                }
            }
            run_group(c, &group, (2 * m * k * n) as u64, cs);
        }
        // The streaming read of DRAM: 256 MiB, far beyond the L3.
        let big = Buf::<f32>::new(&data(64 << 20, 5), 0);
        let big = &big;
        let cs = vec![
            local("read1", move || {
                // SAFETY: the whole live buffer; AVX2 detected by main.
                black_box(unsafe { read_avx2::<1>(big.s().as_ptr() as *const u8, 256 << 20) });
            }),
            local("read4", move || {
                // SAFETY: as above.
                black_box(unsafe { read_avx2::<4>(big.s().as_ptr() as *const u8, 256 << 20) });
            }),
        ];
        run_group(c, "dram-256MiB", 0, cs);
    }

    // ---- the summary ------------------------------------------------------

    fn load() -> String {
        std::fs::read_to_string("/proc/loadavg")
            .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
            .unwrap_or_else(|_| "?".into())
    }

    /// Median over rounds of `f(round)`, for ids timed in the same rounds
    /// (interleaved mode); else of the medians.
    fn per_round(
        times: &BTreeMap<String, Vec<f64>>,
        ids: &[&str],
        f: impl Fn(&[f64]) -> f64,
    ) -> Option<f64> {
        let vs: Vec<&Vec<f64>> = ids.iter().map(|id| times.get(*id)).collect::<Option<_>>()?;
        let n = vs[0].len();
        if !interleaved() || vs.iter().any(|v| v.len() != n) {
            let meds: Vec<f64> = vs.iter().map(|v| median(v)).collect();
            return Some(f(&meds));
        }
        let r: Vec<f64> = (0..n)
            .map(|i| f(&vs.iter().map(|v| v[i]).collect::<Vec<_>>()))
            .collect();
        Some(median(&r))
    }

    fn summary(be: Backend, peer_info: Option<&str>) {
        let times = TIMES.lock().unwrap();
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
        println!(
            "OpenBLAS: {}",
            peer_info.unwrap_or("not run (set GEMM_PYTHON)")
        );
        let best_peak = if times.keys().any(|k| k.ends_with("/fma-avx512")) {
            "fma-avx512"
        } else {
            "fma-avx2"
        };
        // GEMM_RAW=1: every batch's per-call ns, round by round.
        if std::env::var_os("GEMM_RAW").is_some() {
            for (id, v) in times.iter() {
                let ns: Vec<String> = v.iter().map(|x| format!("{x:.0}")).collect();
                println!("RAW {id} {}", ns.join(" "));
            }
        }
        // GFLOPS (or GB/s) of every contender, for gemm_table.py.
        for (id, v) in times.iter() {
            let Some((group, what)) = id.split_once('/') else {
                continue;
            };
            let ns = median(v);
            if what.starts_with("fma-") {
                println!("RESULT {id} {:.2}", peak_gflops(what, ns));
                continue;
            }
            if group.starts_with("dram-") {
                println!("RESULT {id} {:.2}", (256u64 << 20) as f64 / ns);
                continue;
            }
            let g = group.rsplit('-').next().unwrap_or("");
            let d: Vec<f64> = g.split('x').filter_map(|x| x.parse().ok()).collect();
            if d.len() != 3 || what == "openblas-overhead" {
                continue;
            }
            if group.starts_with("gemv-cold") {
                // GB/s of B.
                let bytes = d[1] * d[2] * if what.ends_with("f16") { 2.0 } else { 4.0 };
                println!("RESULT {id} {:.2}", bytes / ns);
            } else {
                println!("RESULT {id} {:.2}", 2.0 * d[0] * d[1] * d[2] / ns);
            }
        }
        if let Some(ns) = times
            .iter()
            .filter(|(k, _)| k.ends_with("/openblas-overhead"))
            .map(|(_, v)| median(v))
            .reduce(f64::min)
        {
            println!("RESULT openblas-overhead-ns {ns:.1}");
        }
        // Per-round ratios: speed-ups (other's time / rayo's) and % of peak.
        let mut ratios: Vec<(String, f64)> = Vec::new();
        for shape in SHAPES {
            let g = format!("gemm-{}", name(shape));
            let id = |w: &str| format!("{g}/{w}");
            let flops = 2.0 * (shape.0 * shape.1 * shape.2) as f64;
            let pk = |who: &str, peak: &str| {
                per_round(&times, &[&id(who), &id(peak)], |t| {
                    (flops / t[0]) / peak_gflops(peak, t[1])
                })
            };
            let speedup =
                |num: &str, den: &str| per_round(&times, &[&id(num), &id(den)], |t| t[1] / t[0]);
            // OpenBLAS with NumPy's per-call cost taken off its time.
            let vs_blas = |num: &str, blas: &str| {
                per_round(
                    &times,
                    &[&id(num), &id(blas), &id("openblas-overhead")],
                    |t| (t[1] - t[2]).max(1.0) / t[0],
                )
            };
            let mut put = |what: &str, v: Option<f64>| {
                if let Some(v) = v {
                    ratios.push((format!("{g}/{what}"), v));
                }
            };
            put("peak-frac", pk("rayo-packed-f32", best_peak));
            put("avx2-peak-frac", pk("rayo-avx2-packed-f32", "fma-avx2"));
            if be.name() == "avx2" {
                put("avx2-peak-frac", pk("rayo-packed-f32", "fma-avx2"));
            }
            for who in ["rayo-packed-f32", "rayo-packed-f16", "rayo-f32-nxk"] {
                let best_crate = per_round(
                    &times,
                    &[
                        &id(who),
                        &id("gemm-crate-f32-kxn"),
                        &id("gemm-crate-f32-nxk"),
                    ],
                    |t| t[1].min(t[2]) / t[0],
                );
                put(&format!("{who}/gemm-crate"), best_crate);
                put(&format!("{who}/openblas"), vs_blas(who, "openblas-f32-kxn"));
            }
            put(
                "rayo-f32-nxk/openblas-nxk",
                vs_blas("rayo-f32-nxk", "openblas-f32-nxk"),
            );
            put(
                "rayo-packed-f32/matrixmultiply",
                speedup("rayo-packed-f32", "matrixmultiply-f32-kxn"),
            );
            // f16 B's speed relative to f32 B (both packed).
            put("f16/f32", speedup("rayo-packed-f16", "rayo-packed-f32"));
        }
        for shape in [(1, 384, 1536), (1, 1536, 384)] {
            let g = format!("gemv-cold-{}", name(shape));
            let id = |w: &str| format!("{g}/{w}");
            for ty in ["f32", "f16"] {
                // rayo's GB/s over the faster plain read of the same bytes.
                let v = per_round(
                    &times,
                    &[
                        &id(&format!("rayo-packed-{ty}")),
                        &id(&format!("read1-{ty}")),
                        &id(&format!("read4-{ty}")),
                    ],
                    |t| t[1].min(t[2]) / t[0],
                );
                if let Some(v) = v {
                    ratios.push((format!("{g}/packed-{ty}/read"), v));
                }
            }
        }
        for (id, v) in &ratios {
            println!("RATIO {id} {v:.4}");
        }
        // A quick look; gemm.sh's table combines several runs.
        println!("\nGFLOPS (median); ratios are medians of per-round ratios\n");
        println!("| shape | rayo packed f32 | packed f16 | f32 nxk | gemm crate kxn | OpenBLAS kxn | % of peak | / OpenBLAS | / gemm crate |");
        println!("|---|---|---|---|---|---|---|---|---|");
        let fmt = |x: Option<f64>| x.map_or("-".into(), |v| format!("{v:.1}"));
        let rat = |id: String| ratios.iter().find(|(k, _)| *k == id).map(|(_, v)| *v);
        for shape in SHAPES {
            let g = format!("gemm-{}", name(shape));
            let flops = 2.0 * (shape.0 * shape.1 * shape.2) as f64;
            let gf = |w: &str| times.get(&format!("{g}/{w}")).map(|v| flops / median(v));
            println!(
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                name(shape),
                fmt(gf("rayo-packed-f32")),
                fmt(gf("rayo-packed-f16")),
                fmt(gf("rayo-f32-nxk")),
                fmt(gf("gemm-crate-f32-kxn")),
                fmt(gf("openblas-f32-kxn")),
                rat(format!("{g}/peak-frac")).map_or("-".into(), |v| format!("{:.0}%", 100.0 * v)),
                rat(format!("{g}/rayo-packed-f32/openblas"))
                    .map_or("-".into(), |v| format!("{v:.2}x")),
                rat(format!("{g}/rayo-packed-f32/gemm-crate"))
                    .map_or("-".into(), |v| format!("{v:.2}x")),
            );
        }
        for (id, v) in ratios.iter().filter(|(k, _)| k.starts_with("gemv-cold")) {
            println!("{id}: {:.0}% of the faster plain read", 100.0 * v);
        }
    }

    pub(crate) fn main() {
        let be = match std::env::var("GEMM_ISA") {
            Ok(n) => Backend::by_name(&n).unwrap_or_else(|| panic!("no backend {n:?} here")),
            Err(_) => Backend::active(),
        };
        if !(std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")) {
            println!("NOT RUN: the gemm bench needs AVX2 and FMA (its baselines use them)");
            return;
        }
        // Where AVX-512 is the default, also time the AVX2 path (Lambda's x86
        // fleet cannot be assumed to have AVX-512).
        let extra = (be.name() == "avx512")
            .then(|| Backend::by_name("avx2"))
            .flatten();
        let cpu = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|s| {
                let f = |key: &str| {
                    s.lines()
                        .find(|l| l.starts_with(key))
                        .and_then(|l| l.split(':').nth(1))
                        .map(|v| v.trim().to_string())
                };
                Some(format!(
                    "{}, family {} model {}",
                    f("model name")?,
                    f("cpu family")?,
                    f("model\t")?
                ))
            })
            .unwrap_or_else(|| "?".into());
        println!(
            "rayo gemm backend: {} (CPU {cpu}; AVX-512F {}; load average {})",
            be.name(),
            std::is_x86_feature_detected!("avx512f"),
            load()
        );
        let peer = Peer::start();
        if let Some((_, info)) = &peer {
            println!("OpenBLAS process: {info}");
        }
        let only = std::env::var("GEMM_ONLY").unwrap_or_default();
        let mut c = Criterion::default()
            .warm_up_time(Duration::from_millis(300))
            .measurement_time(Duration::from_secs(1))
            .sample_size(20)
            .configure_from_args();
        let want = |part: &str| only.is_empty() || only.split(',').any(|p| p == part);
        if want("shapes") {
            shapes(&mut c, be, extra, peer.as_ref().map(|(p, _)| p));
        }
        if want("align") {
            alignment(&mut c, be);
        }
        if want("cold") {
            gemv_cold(&mut c, be);
        }
        c.final_summary();
        summary(be, peer.as_ref().map(|(_, i)| i.as_str()));
    }
}

fn main() {
    #[cfg(target_arch = "x86_64")]
    x86::main();
    #[cfg(not(target_arch = "x86_64"))]
    println!("NOT RUN: the gemm bench is x86_64 only");
}
