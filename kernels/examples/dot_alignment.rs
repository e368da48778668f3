//! A stand-alone check of `rayo_kernels::dot` against trueno's AVX2 `dot` at 1,024 floats,
//! for every start alignment, outside `benches/versus.rs` (an independent
//! measurement had found rayo slower at 64-byte-aligned starts and on `Vec`'s own buffers).
//!
//! Both inputs start `off` bytes past a 64-byte boundary, `off` = 0, 4, ..., 60, then on two
//! freshly allocated `Vec<f32>`s (wherever malloc puts them; the offsets are printed). Each
//! round times a batch of calls of each contender back to back, in alternating order;
//! medians over rounds, and the median per-round ratio. rayo is called through the public
//! function (dispatch included), trueno through its kernel-level `Avx2Backend::dot`; also
//! rayo's `avx2` and `avx512` backends directly, where the CPU has them.
//!
//! ```sh
//! cargo run --release -p rayo-kernels --example dot_alignment            # N=1024
//! DOT_N=4096 DOT_ROUNDS=101 cargo run --release -p rayo-kernels --example dot_alignment
//! ```

#[cfg(target_arch = "x86_64")]
fn main() {
    x86::main()
}

#[cfg(not(target_arch = "x86_64"))]
fn main() {
    eprintln!("dot_alignment: the trueno comparison is x86_64-only; nothing run");
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::hint::black_box;
    use std::time::Instant;

    use rayo_kernels::Backend;
    use trueno::backends::avx2::Avx2Backend as T;
    use trueno::backends::VectorBackend;

    fn env(var: &str, default: usize) -> usize {
        std::env::var(var)
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(default)
    }

    fn load() -> String {
        std::fs::read_to_string("/proc/loadavg")
            .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
            .unwrap_or_else(|_| "?".into())
    }

    fn median(v: &mut [f64]) -> f64 {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    }

    type Contender<'a> = (&'a str, Box<dyn Fn(&[f32], &[f32]) -> f32 + 'a>);

    /// ns per call, `[round][contender]`.
    fn run(cs: &[Contender], a: &[f32], b: &[f32], rounds: usize, reps: usize) -> Vec<Vec<f64>> {
        for (_, f) in cs {
            for _ in 0..reps {
                black_box(f(black_box(a), black_box(b)));
            }
        }
        let mut t = vec![vec![0.0; cs.len()]; rounds];
        for (r, row) in t.iter_mut().enumerate() {
            for k in 0..cs.len() {
                let j = if r % 2 == 0 { k } else { cs.len() - 1 - k };
                let f = &cs[j].1;
                let s = Instant::now();
                for _ in 0..reps {
                    black_box(f(black_box(a), black_box(b)));
                }
                row[j] = s.elapsed().as_nanos() as f64 / reps as f64;
            }
        }
        t
    }

    pub(crate) fn main() {
        assert!(
            is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma"),
            "trueno's AVX2 kernel needs AVX2+FMA"
        );
        let n = env("DOT_N", 1024);
        let rounds = env("DOT_ROUNDS", 51);
        let reps = env("DOT_REPS", 2000);
        let mut cs: Vec<Contender> = vec![
            ("rayo dot", Box::new(|a, b| rayo_kernels::dot(a, b))),
            // SAFETY: AVX2+FMA asserted above; every call gets two slices of `n` elements.
            ("trueno avx2", Box::new(|a, b| unsafe { T::dot(a, b) })),
        ];
        for name in ["avx2", "avx512"] {
            if let Some(k) = Backend::by_name(name) {
                let label: &'static str = Box::leak(format!("rayo {name}").into_boxed_str());
                cs.push((label, Box::new(move |a, b| k.dot(a, b).unwrap_or(0.0))));
            }
        }
        println!(
            "# dot, n = {n}, {rounds} rounds x {reps} calls per contender; rayo's active backend: {}; load average {}",
            Backend::active().name(),
            load()
        );
        print!("| start | ");
        for (name, _) in &cs {
            print!("{name} ns | ");
        }
        println!("trueno / rayo dot (median per-round ratio, IQR) |");
        println!("|---|{}---|", "---|".repeat(cs.len()));
        let mut pool_a = vec![0.0f32; n + 64];
        let mut pool_b = vec![0.0f32; n + 64];
        for (i, (x, y)) in pool_a.iter_mut().zip(pool_b.iter_mut()).enumerate() {
            *x = ((i * 7919) % 1000) as f32 / 1000.0 - 0.5;
            *y = ((i * 104_729) % 1000) as f32 / 1000.0 - 0.5;
        }
        let base = |p: &[f32]| (64 - p.as_ptr() as usize % 64) % 64 / 4;
        let (ba, bb) = (base(&pool_a), base(&pool_b));
        let mut cases: Vec<(String, Vec<f32>, Vec<f32>)> = (0..16)
            .map(|k| {
                (
                    format!("{} B", 4 * k),
                    pool_a[ba + k..ba + k + n].to_vec(),
                    pool_b[bb + k..bb + k + n].to_vec(),
                )
            })
            .collect();
        // The copies above are fresh Vecs; run on the pools' slices instead, so the offsets
        // are exact. The Vec case uses two new allocations as they come.
        let fresh_a: Vec<f32> = pool_a[..n].to_vec();
        let fresh_b: Vec<f32> = pool_b[..n].to_vec();
        cases.push((
            format!(
                "Vec ({} B, {} B)",
                fresh_a.as_ptr() as usize % 64,
                fresh_b.as_ptr() as usize % 64
            ),
            fresh_a,
            fresh_b,
        ));
        for (k, (label, fa, fb)) in cases.iter().enumerate() {
            let (a, b): (&[f32], &[f32]) = if k < 16 {
                (&pool_a[ba + k..ba + k + n], &pool_b[bb + k..bb + k + n])
            } else {
                (fa, fb)
            };
            let t = run(&cs, a, b, rounds, reps);
            print!("| {label} | ");
            for j in 0..cs.len() {
                let mut v: Vec<f64> = t.iter().map(|r| r[j]).collect();
                print!("{:.1} | ", median(&mut v));
            }
            let mut ratio: Vec<f64> = t.iter().map(|r| r[1] / r[0]).collect();
            ratio.sort_by(f64::total_cmp);
            let q = |f: f64| ratio[((ratio.len() - 1) as f64 * f) as usize];
            println!("{:.3}x ({:.3}-{:.3}) |", q(0.5), q(0.25), q(0.75));
        }
        println!("\nload average at the end: {}", load());
    }
}
