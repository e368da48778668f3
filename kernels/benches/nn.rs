//! The transformer ops at all-MiniLM-L6-v2's shapes (hidden 384 = 12 heads x 32, FFN 1536,
//! 128 tokens), interleaved against the strongest peer in the same process, one thread.
//!
//! The peer is trueno 0.19 (kernel level): its AVX2 `gelu` (tanh form: it has no erf GELU),
//! `blis::norms::layer_norm` and `blis::softmax::softmax_1d_alloc` per row,
//! `blis::attention::fused_attention_decode` per query and head; where it has no such op,
//! the op built from its AVX2 vector kernels (`add` per row for `add_bias`, `add` + `scale`
//! for the masked mean, `norm_l2` + `scale` per row for `normalize_l2`). NumPy/OpenBLAS on
//! the same shapes, from a second process: `benches/nn_numpy.py`.
//!
//! ```sh
//! cargo bench -p rayo-kernels --bench nn                               # everything
//! NN_GROUPS=attention NN_TOKENS=8,128 cargo bench -p rayo-kernels --bench nn
//! NN_ROUNDS=61 cargo bench -p rayo-kernels --bench nn                  # more rounds
//! ```
//!
//! Each round times every contender back to back over a batch of calls of ~2 ms, cycling
//! through every order of the contenders; a cell's figure is the median over rounds, its
//! ratio the median over rounds of (contender time / rayo's time) with the interquartile
//! range (above 1: rayo is faster). The load average is printed with every table.
//!
//! Attention is timed three ways at 8..256 tokens, on a fused QKV projection (rows of
//! 3 x 384): `rayo` (`rayo_kernels::attention`, its own tiled loop), `rayo composed` (the
//! same maths from rayo's public vector ops: a `dot` per score, `softmax_rows`, an `axpy`
//! per weighted value row: what the tiles buy) and `trueno decode`. Its throughput is
//! counted as 4 * tokens^2 * hidden flops (two products of 2 * tokens^2 * hidden). Still to
//! do: add the gemm route (Q Kt and P V per head with strided A/C over the
//! fused rows) as a fourth contender in `attention` and compare: that decides which route
//! `attention` takes.

#[path = "common/data.rs"]
mod data;

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::data::data;
    use rayo_kernels::AttentionShape;
    use std::hint::black_box;
    use std::time::Instant;
    use trueno::backends::avx2::Avx2Backend as T;
    use trueno::backends::VectorBackend;

    const HIDDEN: usize = 384;
    const HEADS: usize = 12;
    const HEAD_DIM: usize = 32;
    const TOKENS: usize = 128;
    const FFN: usize = 1536;
    /// Target wall time of one timed batch.
    const BATCH_NS: f64 = 2e6;

    fn env_list(var: &str) -> Option<Vec<String>> {
        std::env::var(var)
            .ok()
            .map(|s| s.split(',').map(|w| w.trim().to_string()).collect())
    }

    fn load() -> String {
        std::fs::read_to_string("/proc/loadavg")
            .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
            .unwrap_or_else(|_| "?".into())
    }

    fn quantile(v: &mut [f64], q: f64) -> f64 {
        v.sort_by(f64::total_cmp);
        v[((v.len() - 1) as f64 * q).round() as usize]
    }

    /// Nanoseconds per call of `f` over `reps` calls.
    #[inline(never)]
    fn time(f: &mut dyn FnMut(), reps: usize) -> f64 {
        let t = Instant::now();
        for _ in 0..reps {
            f();
        }
        t.elapsed().as_nanos() as f64 / reps as f64
    }

    /// All orders of `0..k`: with three contenders, rotations alone would keep each one
    /// always right after the same other one.
    fn orders(k: usize) -> Vec<Vec<usize>> {
        if k == 0 {
            return vec![vec![]];
        }
        let mut all = vec![];
        for p in orders(k - 1) {
            for at in 0..k {
                let mut q = p.clone();
                q.insert(at, k - 1);
                all.push(q);
            }
        }
        all
    }

    /// One table row per contender: ns per call (`t[round][contender]`), the throughput
    /// from `work` units per call, and the ratio to contender 0 (rayo).
    struct Group {
        title: String,
        unit: &'static str,
        work: f64,
        names: Vec<&'static str>,
        fs: Vec<Box<dyn FnMut()>>,
    }

    impl Group {
        fn new(title: String, unit: &'static str, work: f64) -> Group {
            Group {
                title,
                unit,
                work,
                names: vec![],
                fs: vec![],
            }
        }
        fn add(&mut self, name: &'static str, f: impl FnMut() + 'static) {
            self.names.push(name);
            self.fs.push(Box::new(f));
        }
        fn run(mut self, rounds: usize) {
            let k = self.fs.len();
            let mut reps = vec![];
            for f in self.fs.iter_mut() {
                f();
                let one = time(f.as_mut(), 1).max(1.0);
                let r = ((BATCH_NS / one) as usize).max(1);
                reps.push(((BATCH_NS / time(f.as_mut(), r).max(1.0)) as usize).max(1));
            }
            let ord = orders(k);
            let mut t = vec![vec![0.0; k]; rounds];
            for (round, row) in t.iter_mut().enumerate() {
                for &j in &ord[round % ord.len()] {
                    (self.fs[j])();
                    row[j] = time(self.fs[j].as_mut(), reps[j]);
                }
            }
            println!("\n### {} (load average {})\n", self.title, load());
            println!(
                "| contender | time per call | {} | time / rayo's (IQR) |",
                self.unit
            );
            println!("|---|---|---|---|");
            for j in 0..k {
                let mut ns: Vec<f64> = t.iter().map(|r| r[j]).collect();
                let med = quantile(&mut ns, 0.5);
                let mut ratio: Vec<f64> = t.iter().map(|r| r[j] / r[0]).collect();
                let (lo, m, hi) = (
                    quantile(&mut ratio, 0.25),
                    quantile(&mut ratio, 0.5),
                    quantile(&mut ratio, 0.75),
                );
                let time = if med >= 1e6 {
                    format!("{:.2} ms", med / 1e6)
                } else {
                    format!("{:.1} us", med / 1e3)
                };
                println!(
                    "| {} | {time} | {:.2} | {m:.2}x ({lo:.2}-{hi:.2}) |",
                    self.names[j],
                    self.work / med
                );
            }
        }
    }

    /// A buffer that lives as long as the closures timing it (the bench's whole run). Every
    /// contender writes to its own.
    fn shared(v: Vec<f32>) -> &'static mut [f32] {
        Box::leak(v.into_boxed_slice())
    }

    fn gelu(rounds: usize) {
        let n = TOKENS * FFN;
        let a: &'static [f32] = shared(data(n, 1).iter().map(|x| 4.0 * x).collect());
        let mut g = Group::new(
            format!("gelu, {TOKENS} x {FFN} (the FFN activation), inputs in [-4, 4)"),
            "Gelem/s",
            n as f64,
        );
        let (o1, o2, o3) = (
            shared(vec![0.0; n]),
            shared(vec![0.0; n]),
            shared(vec![0.0; n]),
        );
        g.add("rayo gelu (erf)", move || {
            rayo_kernels::gelu(black_box(a), o1)
        });
        g.add("rayo gelu_tanh", move || {
            rayo_kernels::gelu_tanh(black_box(a), o2)
        });
        // SAFETY: equal lengths; AVX2+FMA checked in main.
        g.add("trueno gelu (tanh form)", move || unsafe {
            T::gelu(black_box(a), o3)
        });
        g.run(rounds);
    }

    fn layer_norm(rounds: usize) {
        let x: &'static [f32] = shared(
            data(TOKENS * HIDDEN, 2)
                .iter()
                .map(|v| 3.0 * v + 0.5)
                .collect(),
        );
        let gamma: &'static [f32] = shared(data(HIDDEN, 3).iter().map(|v| 1.0 + 0.1 * v).collect());
        let beta: &'static [f32] = shared(data(HIDDEN, 4));
        let mut g = Group::new(
            format!("layer_norm, {TOKENS} x {HIDDEN}, eps 1e-12"),
            "Gelem/s",
            x.len() as f64,
        );
        let (o1, o2) = (shared(vec![0.0; x.len()]), shared(vec![0.0; x.len()]));
        g.add("rayo", move || {
            rayo_kernels::layer_norm(black_box(x), gamma, beta, 1e-12, o1)
        });
        g.add("trueno (per row)", move || {
            for (row, out) in x.chunks(HIDDEN).zip(o2.chunks_mut(HIDDEN)) {
                trueno::blis::norms::layer_norm(black_box(row), gamma, beta, 1e-12, out).ok();
            }
        });
        g.run(rounds);
    }

    fn softmax(rounds: usize) {
        let n = HEADS * TOKENS * TOKENS;
        let s: &'static [f32] = shared(data(n, 5).iter().map(|v| 8.0 * v).collect());
        let mut g = Group::new(
            format!(
                "softmax_rows, {HEADS} x {TOKENS} rows of {TOKENS} (attention scores), in [-8, 8)"
            ),
            "Gelem/s",
            n as f64,
        );
        let o1 = shared(vec![0.0; n]);
        g.add("rayo", move || {
            rayo_kernels::softmax_rows(black_box(s), TOKENS, o1)
        });
        g.add("trueno (per row, allocates)", move || {
            for row in s.chunks(TOKENS) {
                black_box(trueno::blis::softmax::softmax_1d_alloc(black_box(row)));
            }
        });
        g.run(rounds);
    }

    fn pooling(rounds: usize) {
        let x: &'static [f32] = shared(data(TOKENS * HIDDEN, 6));
        let bias: &'static [f32] = shared(data(HIDDEN, 7));
        // Sentence-transformers' mask for a 100-token sentence padded to 128.
        let keep: &'static [bool] = Box::leak((0..TOKENS).map(|t| t < 100).collect());
        let buf = || shared(vec![0.0; TOKENS * HIDDEN]);

        let mut g = Group::new(
            format!("add_bias, {TOKENS} x {HIDDEN}"),
            "Gelem/s",
            x.len() as f64,
        );
        let (o1, o2) = (shared(x.to_vec()), buf());
        g.add("rayo (in place)", move || {
            rayo_kernels::add_bias(black_box(o1), bias)
        });
        g.add("trueno add per row (into out)", move || {
            for (row, o) in x.chunks(HIDDEN).zip(o2.chunks_mut(HIDDEN)) {
                // SAFETY: equal lengths; AVX2+FMA checked in main.
                unsafe { T::add(black_box(row), bias, o) };
            }
        });
        g.run(rounds);

        let mut g = Group::new(
            format!("mean_rows_masked, {TOKENS} x {HIDDEN}, 100 rows kept"),
            "Gelem/s",
            (100 * HIDDEN) as f64,
        );
        let (o1, a2) = (shared(vec![0.0; HIDDEN]), shared(vec![0.0; 2 * HIDDEN]));
        g.add("rayo", move || {
            rayo_kernels::mean_rows_masked(black_box(x), keep, o1)
        });
        g.add("trueno add per kept row + scale", move || {
            let (s, t) = a2.split_at_mut(HIDDEN);
            s.fill(0.0);
            let mut cur = (s, t);
            for (row, _) in x.chunks(HIDDEN).zip(keep).filter(|(_, &k)| k) {
                // SAFETY: equal lengths; AVX2+FMA checked in main.
                unsafe { T::add(cur.0, black_box(row), cur.1) };
                cur = (cur.1, cur.0);
            }
            // SAFETY: as above.
            unsafe { T::scale(cur.0, 1.0 / 100.0, cur.1) };
        });
        g.run(rounds);

        let mut g = Group::new(
            format!("normalize_l2, {TOKENS} rows of {HIDDEN}"),
            "Gelem/s",
            x.len() as f64,
        );
        let (o1, o2) = (buf(), buf());
        g.add("rayo", move || {
            rayo_kernels::normalize_l2(black_box(x), HIDDEN, o1)
        });
        g.add("trueno norm_l2 + scale per row", move || {
            for (row, o) in x.chunks(HIDDEN).zip(o2.chunks_mut(HIDDEN)) {
                // SAFETY: as above.
                unsafe {
                    let n = T::norm_l2(black_box(row)).max(1e-12);
                    T::scale(row, 1.0 / n, o);
                }
            }
        });
        g.run(rounds);
    }

    /// Attention from rayo's public vector ops, the way one would write it without a tiled
    /// kernel: a `dot` per score, `softmax_rows` per query, an `axpy` per value row.
    fn composed(t: usize, qkv: &[f32], out: &mut [f32], row: &mut [f32]) {
        let stride = 3 * HIDDEN;
        let scale = 1.0 / (HEAD_DIM as f32).sqrt();
        for h in 0..HEADS {
            let c = h * HEAD_DIM;
            for i in 0..t {
                let q = &qkv[i * stride + c..][..HEAD_DIM];
                for (j, s) in row[..t].iter_mut().enumerate() {
                    let k = &qkv[j * stride + HIDDEN + c..][..HEAD_DIM];
                    *s = rayo_kernels::dot(q, k) * scale;
                }
                rayo_kernels::softmax_rows_in_place(&mut row[..t], t);
                let o = &mut out[i * HIDDEN + c..][..HEAD_DIM];
                o.fill(0.0);
                for (j, &p) in row[..t].iter().enumerate() {
                    let v = &qkv[j * stride + 2 * HIDDEN + c..][..HEAD_DIM];
                    rayo_kernels::axpy(p, v, o);
                }
            }
        }
    }

    fn attention(rounds: usize) {
        let tokens: Vec<usize> = env_list("NN_TOKENS")
            .map(|v| v.iter().filter_map(|s| s.parse().ok()).collect())
            .unwrap_or_else(|| vec![8, 16, 32, 64, 128, 256]);
        for t in tokens {
            let qkv: &'static [f32] =
                shared(data(t * 3 * HIDDEN, 8).iter().map(|v| 2.0 * v).collect());
            let shape = AttentionShape::new(t, HEADS, HEAD_DIM).with_qkv_stride(3 * HIDDEN);
            let scratch = shared(vec![0.0; shape.scratch_len()]);
            let row = shared(vec![0.0; t]);
            // Per-head contiguous K and V for trueno's API, copied out untimed.
            let split = |off: usize| -> &'static [f32] {
                shared(
                    (0..HEADS)
                        .flat_map(|h| {
                            (0..t).flat_map(move |j| {
                                qkv[j * 3 * HIDDEN + off + h * HEAD_DIM..][..HEAD_DIM].to_vec()
                            })
                        })
                        .collect(),
                )
            };
            let (ks, vs) = (split(HIDDEN), split(2 * HIDDEN));
            let mut g = Group::new(
                format!("attention, {t} tokens, {HEADS} heads x {HEAD_DIM}, fused QKV rows"),
                "GFLOPS",
                (4 * t * t * HIDDEN) as f64,
            );
            let out = || shared(vec![0.0; t * HIDDEN]);
            let (o1, o2, o3) = (out(), out(), out());
            g.add("rayo", move || {
                rayo_kernels::attention(
                    &shape,
                    black_box(qkv),
                    &qkv[HIDDEN..],
                    &qkv[2 * HIDDEN..],
                    o1,
                    scratch,
                )
            });
            g.add("rayo composed", move || {
                composed(t, black_box(qkv), o2, row)
            });
            g.add("trueno decode per query", move || {
                let per = t * HEAD_DIM;
                for h in 0..HEADS {
                    for i in 0..t {
                        let q = &qkv[i * 3 * HIDDEN + h * HEAD_DIM..][..HEAD_DIM];
                        let o = &mut o3[i * HIDDEN + h * HEAD_DIM..][..HEAD_DIM];
                        trueno::blis::attention::fused_attention_decode(
                            black_box(q),
                            &ks[h * per..][..per],
                            &vs[h * per..][..per],
                            HEAD_DIM,
                            t,
                            o,
                        );
                    }
                }
            });
            g.run(rounds);
        }
    }

    pub(crate) fn main() {
        assert!(
            is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma"),
            "the trueno comparison needs AVX2+FMA"
        );
        let rounds = std::env::var("NN_ROUNDS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(21);
        let groups = env_list("NN_GROUPS");
        let want = |g: &str| groups.as_ref().is_none_or(|v| v.iter().any(|w| w == g));
        println!(
            "# rayo transformer ops vs trueno 0.19 (AVX2 kernels), one thread, {rounds} rounds; \
             rayo backend: {}; CPU: {}; load average at start {}",
            rayo_kernels::Backend::active().name(),
            cpu_model(),
            load()
        );
        if want("gelu") {
            gelu(rounds);
        }
        if want("layer_norm") {
            layer_norm(rounds);
        }
        if want("softmax") {
            softmax(rounds);
        }
        if want("pooling") {
            pooling(rounds);
        }
        if want("attention") {
            attention(rounds);
        }
    }

    fn cpu_model() -> String {
        let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let field = |k: &str| {
            info.lines()
                .find(|l| l.starts_with(k))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_string())
                .unwrap_or_else(|| "?".into())
        };
        format!(
            "{} (family {} model {})",
            field("model name"),
            field("cpu family"),
            field("model\t")
        )
    }
}

#[cfg(target_arch = "x86_64")]
fn main() {
    x86::main()
}

#[cfg(not(target_arch = "x86_64"))]
fn main() {
    eprintln!("kernels nn bench: x86_64-only (the trueno comparison); nothing run");
}
