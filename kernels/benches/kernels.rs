//! `cargo bench -p rayo-kernels`: every op at 1K, 16K, 256K and 4M elements, in
//! bytes touched per second, next to trueno (its default x86 backend, AVX2,
//! through its kernel-level `VectorBackend` API where it has the op) and next
//! to plain memory read/copy baselines measured in the same run.
//!
//! Short runs: `cargo bench -p rayo-kernels --bench kernels -- --warm-up-time 0.5 --measurement-time 1`.
//! Fewer sizes: `KERNELS_BENCH_SIZES=1K,16K cargo bench -p rayo-kernels`.
//! One op: `cargo bench -p rayo-kernels --bench kernels -- '^sum/'`.

#[path = "common/data.rs"]
mod data;

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::hint::black_box;

    use criterion::{BenchmarkId, Criterion, Throughput};
    use trueno::backends::avx2::Avx2Backend as T;
    use trueno::backends::VectorBackend;

    use super::data::SIZES;

    fn sizes() -> Vec<(&'static str, usize)> {
        match std::env::var("KERNELS_BENCH_SIZES") {
            Ok(list) => SIZES
                .iter()
                .copied()
                .filter(|(name, _)| list.split(',').any(|w| w.trim() == *name))
                .collect(),
            Err(_) => SIZES.to_vec(),
        }
    }

    use super::data::data;

    /// Benchmarks `rayo` (and `trueno`, if given) for one op at every size.
    /// `streams` is how many n-element f32 arrays the op reads plus writes.
    macro_rules! op {
        ($c:expr, $name:literal, $streams:expr,
         |$a:ident, $b:ident, $d:ident, $o:ident| rayo: $ours:expr, trueno: $theirs:expr) => {{
            let mut g = $c.benchmark_group($name);
            g.sample_size(20);
            for (label, n) in sizes() {
                let $a = data(n, 1);
                let $b = data(n, 2);
                let $d = data(n, 3);
                let mut out = vec![0.0f32; n];
                g.throughput(Throughput::Bytes(($streams * n * 4) as u64));
                g.bench_function(BenchmarkId::new("rayo", label), |bn| {
                    bn.iter(|| {
                        let $o = &mut out[..];
                        black_box($ours)
                    })
                });
                #[allow(unused_unsafe)]
                g.bench_function(BenchmarkId::new("trueno", label), |bn| {
                    bn.iter(|| {
                        let $o = &mut out[..];
                        // SAFETY: trueno's preconditions (equal lengths, AVX2+FMA
                        // present) are checked in `main`/by construction.
                        black_box(unsafe { $theirs })
                    })
                });
            }
            g.finish();
        }};
        ($c:expr, $name:literal, $streams:expr,
         |$a:ident, $b:ident, $d:ident, $o:ident| rayo: $ours:expr) => {{
            let mut g = $c.benchmark_group($name);
            g.sample_size(20);
            for (label, n) in sizes() {
                let $a = data(n, 1);
                let $b = data(n, 2);
                let $d = data(n, 3);
                let mut out = vec![0.0f32; n];
                g.throughput(Throughput::Bytes(($streams * n * 4) as u64));
                g.bench_function(BenchmarkId::new("rayo", label), |bn| {
                    bn.iter(|| {
                        let $o = &mut out[..];
                        black_box($ours)
                    })
                });
            }
            g.finish();
        }};
    }

    fn memory(c: &mut Criterion) {
        let mut g = c.benchmark_group("memory");
        g.sample_size(20);
        for (label, n) in sizes() {
            let src: Vec<u64> = (0..n / 2).map(|i| i as u64).collect();
            let mut dst = vec![0u64; n / 2];
            // Reading n f32 (n/2 u64): an integer fold the compiler vectorises.
            g.throughput(Throughput::Bytes((n * 4) as u64));
            g.bench_function(BenchmarkId::new("read", label), |bn| {
                bn.iter(|| {
                    let mut acc = [0u64; 8];
                    for ch in black_box(&src).chunks_exact(8) {
                        for k in 0..8 {
                            acc[k] = acc[k].wrapping_add(ch[k]);
                        }
                    }
                    black_box(acc)
                })
            });
            // memcpy: n f32 read plus n written.
            g.throughput(Throughput::Bytes((2 * n * 4) as u64));
            g.bench_function(BenchmarkId::new("copy", label), |bn| {
                bn.iter(|| dst.copy_from_slice(black_box(&src)))
            });
        }
        g.finish();
    }

    pub(crate) fn main() {
        assert!(
            is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma"),
            "the trueno comparison needs AVX2+FMA"
        );
        eprintln!("rayo backend: {}", rayo_kernels::Backend::active().name());
        let mut c = Criterion::default().configure_from_args();
        memory(&mut c);
        isa(&mut c);

        op!(c, "sum", 1, |a, _b, _d, _o| rayo: rayo_kernels::sum(&a), trueno: T::sum(&a));
        op!(c, "mean", 1, |a, _b, _d, _o| rayo: rayo_kernels::mean(&a),
            trueno: T::sum(&a) / a.len() as f32);
        op!(c, "dot", 2, |a, b, _d, _o| rayo: rayo_kernels::dot(&a, &b), trueno: T::dot(&a, &b));
        op!(c, "norm_l1", 1, |a, _b, _d, _o| rayo: rayo_kernels::norm_l1(&a), trueno: T::norm_l1(&a));
        op!(c, "norm_l2", 1, |a, _b, _d, _o| rayo: rayo_kernels::norm_l2(&a), trueno: T::norm_l2(&a));
        op!(c, "max", 1, |a, _b, _d, _o| rayo: rayo_kernels::max(&a), trueno: T::max(&a));
        op!(c, "min", 1, |a, _b, _d, _o| rayo: rayo_kernels::min(&a), trueno: T::min(&a));
        op!(c, "argmax", 1, |a, _b, _d, _o| rayo: rayo_kernels::argmax(&a), trueno: T::argmax(&a));
        op!(c, "argmin", 1, |a, _b, _d, _o| rayo: rayo_kernels::argmin(&a), trueno: T::argmin(&a));
        op!(c, "add", 3, |a, b, _d, o| rayo: rayo_kernels::add(&a, &b, o), trueno: T::add(&a, &b, o));
        op!(c, "sub", 3, |a, b, _d, o| rayo: rayo_kernels::sub(&a, &b, o), trueno: T::sub(&a, &b, o));
        op!(c, "mul", 3, |a, b, _d, o| rayo: rayo_kernels::mul(&a, &b, o), trueno: T::mul(&a, &b, o));
        op!(c, "div", 3, |a, b, _d, o| rayo: rayo_kernels::div(&a, &b, o), trueno: T::div(&a, &b, o));
        op!(c, "scale", 2, |a, _b, _d, o| rayo: rayo_kernels::scale(&a, 1.5, o),
            trueno: T::scale(&a, 1.5, o));
        op!(c, "fma", 4, |a, b, d, o| rayo: rayo_kernels::fma(&a, &b, &d, o),
            trueno: T::fma(&a, &b, &d, o));
        op!(c, "clamp", 2, |a, _b, _d, o| rayo: rayo_kernels::clamp(&a, -0.5, 0.5, o),
            trueno: T::clamp(&a, -0.5, 0.5, o));
        op!(c, "abs", 2, |a, _b, _d, o| rayo: rayo_kernels::abs(&a, o), trueno: T::abs(&a, o));
        op!(c, "relu", 2, |a, _b, _d, o| rayo: rayo_kernels::relu(&a, o), trueno: T::relu(&a, o));
        op!(c, "exp", 2, |a, _b, _d, o| rayo: rayo_kernels::exp(&a, o), trueno: T::exp(&a, o));
        op!(c, "sigmoid", 2, |a, _b, _d, o| rayo: rayo_kernels::sigmoid(&a, o),
            trueno: T::sigmoid(&a, o));
        op!(c, "tanh", 2, |a, _b, _d, o| rayo: rayo_kernels::tanh(&a, o), trueno: T::tanh(&a, o));
        op!(c, "gelu_tanh", 2, |a, _b, _d, o| rayo: rayo_kernels::gelu_tanh(&a, o), trueno: T::gelu(&a, o));
        softmax(&mut c);
        // axpy reads x and y and writes y; trueno has no axpy.
        op!(c, "axpy", 3, |a, _b, _d, o| rayo: rayo_kernels::axpy(0.5, &a, o));
        op!(c, "cosine", 2, |a, b, _d, _o| rayo: rayo_kernels::cosine(&a, &b));
        op!(c, "euclidean", 2, |a, b, _d, _o| rayo: rayo_kernels::euclidean(&a, &b));
        matvec(&mut c);
        c.final_summary();
    }

    /// rayo's own backends side by side (which ISA pays on this CPU).
    fn isa(c: &mut Criterion) {
        let mut g = c.benchmark_group("isa");
        g.sample_size(20);
        for (label, n) in sizes() {
            let a = data(n, 1);
            let b = data(n, 2);
            let mut out = vec![0.0f32; n];
            for bk in rayo_kernels::Backend::names().filter_map(rayo_kernels::Backend::by_name) {
                if bk.name() == "scalar" {
                    continue;
                }
                let name = bk.name();
                let mut run = |op: &str, streams: usize, f: &mut dyn FnMut(&mut [f32])| {
                    g.throughput(Throughput::Bytes((streams * n * 4) as u64));
                    g.bench_function(BenchmarkId::new(format!("{op}-{name}"), label), |bn| {
                        bn.iter(|| f(black_box(&mut out)))
                    });
                };
                run("sum", 1, &mut |_| {
                    black_box(bk.sum(&a));
                });
                run("dot", 2, &mut |_| {
                    black_box(bk.dot(&a, &b).ok());
                });
                run("norm_l2", 1, &mut |_| {
                    black_box(bk.norm_l2(&a));
                });
                run("max", 1, &mut |_| {
                    black_box(bk.max(&a));
                });
                run("add", 3, &mut |o| bk.add(&a, &b, o).unwrap_or(()));
                run("mul", 3, &mut |o| bk.mul(&a, &b, o).unwrap_or(()));
                run("scale", 2, &mut |o| bk.scale(&a, 1.5, o).unwrap_or(()));
                run("exp", 2, &mut |o| bk.exp(&a, o).unwrap_or(()));
                let side = (n as f64).sqrt() as usize;
                run("matvec", 1, &mut |o| {
                    bk.matvec(&a[..side * side], side, side, &b[..side], &mut o[..side])
                        .unwrap_or(())
                });
            }
        }
        g.finish();
    }

    /// trueno has no kernel-level softmax: its `Vector` API (input built
    /// outside the timing) allocates the result.
    fn softmax(c: &mut Criterion) {
        let mut g = c.benchmark_group("softmax");
        g.sample_size(20);
        for (label, n) in sizes() {
            let a = data(n, 1);
            let mut out = vec![0.0f32; n];
            g.throughput(Throughput::Bytes((2 * n * 4) as u64));
            g.bench_function(BenchmarkId::new("rayo", label), |bn| {
                bn.iter(|| rayo_kernels::softmax(black_box(&a), &mut out))
            });
            let ta = trueno::Vector::from_slice(&a);
            g.bench_function(BenchmarkId::new("trueno", label), |bn| {
                bn.iter(|| black_box(ta.softmax()))
            });
        }
        g.finish();
    }

    /// Square row-major matrices with as many elements as each size.
    fn matvec(c: &mut Criterion) {
        let mut g = c.benchmark_group("matvec");
        g.sample_size(20);
        for (label, n) in sizes() {
            let side = (n as f64).sqrt() as usize;
            let m = data(side * side, 1);
            let x = data(side, 2);
            let mut out = vec![0.0f32; side];
            g.throughput(Throughput::Bytes((side * side * 4) as u64));
            g.bench_function(BenchmarkId::new("rayo", label), |bn| {
                bn.iter(|| rayo_kernels::matvec(black_box(&m), side, side, &x, &mut out))
            });
            let tm = trueno::Matrix::from_slice(side, side, &m).expect("shape is square");
            let tx = trueno::Vector::from_slice(&x);
            g.bench_function(BenchmarkId::new("trueno", label), |bn| {
                bn.iter(|| black_box(tm.matvec(&tx)))
            });
        }
        g.finish();
    }
}

#[cfg(target_arch = "x86_64")]
fn main() {
    x86::main()
}

#[cfg(not(target_arch = "x86_64"))]
fn main() {
    eprintln!("kernels bench: the trueno comparison is x86_64-only; nothing run");
}
