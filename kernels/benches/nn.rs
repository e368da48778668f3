//! The transformer ops at all-MiniLM-L6-v2's shapes (hidden 384 = 12 heads x 32, FFN 1536),
//! against the strongest peer in the same process where one exists (trueno 0.19: its
//! `gelu`, `blis::layer_norm`, `blis::softmax_1d_alloc`, `blis::fused_attention_decode`),
//! one thread. NumPy/OpenBLAS figures for the same shapes: `benches/nn_numpy.py`.
//!
//! ```sh
//! cargo bench -p rayo-kernels --bench nn -- --warm-up-time 0.5 --measurement-time 2
//! cargo bench -p rayo-kernels --bench nn -- attention     # the seq-length sweep only
//! ```
//!
//! Attention's throughput is counted in flops (4 * tokens^2 * hidden: two products of
//! 2 * tokens^2 * hidden each), so criterion's "elem/s" reads as flop/s. Three ways are
//! timed at tokens 8, 16, 32, 64, 128, 256: `rayo` (`rayo_kernels::attention`, its own
//! tiled loop), `rayo-composed` (the same maths from rayo's public vector ops: a `dot` per
//! score, `softmax_rows`, an `axpy` per weighted value row: what the tiles buy), and
//! `trueno-decode` (trueno's fused one-query attention, called once per query and head on
//! per-head contiguous K/V copied out beforehand). After the gemm merge, add the gemm
//! route as a fourth `bench_function` in `attention_group` (strided A/C over the fused QKV
//! rows) and compare: that is the decision issue 16 leaves for then.

#[path = "common/data.rs"]
mod data;

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::data::data;
    use criterion::{BenchmarkId, Criterion, Throughput};
    use rayo_kernels::AttentionShape;
    use std::hint::black_box;

    const HIDDEN: usize = 384;
    const HEADS: usize = 12;
    const HEAD_DIM: usize = 32;
    const TOKENS: usize = 128;
    const FFN: usize = 1536;

    pub fn elementwise(c: &mut Criterion) {
        let n = TOKENS * FFN;
        let a: Vec<f32> = data(n, 1).iter().map(|x| 4.0 * x).collect();
        let mut o = vec![0.0f32; n];
        let mut g = c.benchmark_group("gelu/128x1536");
        g.throughput(Throughput::Elements(n as u64));
        g.bench_function("rayo-erf", |b| {
            b.iter(|| rayo_kernels::gelu(black_box(&a), &mut o))
        });
        g.bench_function("rayo-tanh", |b| {
            b.iter(|| rayo_kernels::gelu_tanh(black_box(&a), &mut o))
        });
        g.bench_function("trueno-tanh", |b| {
            use trueno::backends::avx2::Avx2Backend as T;
            use trueno::backends::VectorBackend;
            // SAFETY: equal lengths; the bench runs on AVX2 machines (checked in main).
            b.iter(|| unsafe { T::gelu(black_box(&a), &mut o) })
        });
        g.finish();
    }

    pub fn rows(c: &mut Criterion) {
        let x: Vec<f32> = data(TOKENS * HIDDEN, 2).iter().map(|v| 3.0 * v).collect();
        let gamma: Vec<f32> = data(HIDDEN, 3).iter().map(|v| 1.0 + 0.1 * v).collect();
        let beta = data(HIDDEN, 4);
        let mut o = vec![0.0f32; x.len()];
        let mut g = c.benchmark_group("layer_norm/128x384");
        g.throughput(Throughput::Elements(x.len() as u64));
        g.bench_function("rayo", |b| {
            b.iter(|| rayo_kernels::layer_norm(black_box(&x), &gamma, &beta, 1e-12, &mut o))
        });
        g.bench_function("trueno", |b| {
            b.iter(|| {
                for (row, out) in x.chunks(HIDDEN).zip(o.chunks_mut(HIDDEN)) {
                    trueno::blis::norms::layer_norm(black_box(row), &gamma, &beta, 1e-12, out).ok();
                }
            })
        });
        g.finish();

        let scores: Vec<f32> = data(HEADS * TOKENS * TOKENS, 5)
            .iter()
            .map(|v| 8.0 * v)
            .collect();
        let mut so = vec![0.0f32; scores.len()];
        let mut g = c.benchmark_group("softmax_rows/12x128x128");
        g.throughput(Throughput::Elements(scores.len() as u64));
        g.bench_function("rayo", |b| {
            b.iter(|| rayo_kernels::softmax_rows(black_box(&scores), TOKENS, &mut so))
        });
        g.bench_function("trueno-alloc", |b| {
            b.iter(|| {
                for row in scores.chunks(TOKENS) {
                    black_box(trueno::blis::softmax::softmax_1d_alloc(black_box(row)));
                }
            })
        });
        g.finish();

        let mut g = c.benchmark_group("pooling/128x384");
        g.throughput(Throughput::Elements(x.len() as u64));
        let keep = vec![true; TOKENS];
        let mut pooled = vec![0.0f32; HIDDEN];
        g.bench_function("rayo-mean_rows_masked", |b| {
            b.iter(|| rayo_kernels::mean_rows_masked(black_box(&x), &keep, &mut pooled))
        });
        g.bench_function("rayo-normalize_l2", |b| {
            b.iter(|| rayo_kernels::normalize_l2(black_box(&x), HIDDEN, &mut o))
        });
        let mut y = x.clone();
        g.bench_function("rayo-add_bias", |b| {
            b.iter(|| rayo_kernels::add_bias(black_box(&mut y), &beta))
        });
        g.finish();
    }

    /// Attention built from rayo's public vector ops, the way one would without a tiled
    /// kernel: a `dot` per score, `softmax_rows` per query, an `axpy` per value row.
    #[allow(clippy::too_many_arguments)]
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

    pub fn attention_group(c: &mut Criterion) {
        let mut g = c.benchmark_group("attention/12x32");
        for t in [8usize, 16, 32, 64, 128, 256] {
            let qkv: Vec<f32> = data(t * 3 * HIDDEN, 6).iter().map(|v| 2.0 * v).collect();
            let shape = AttentionShape::new(t, HEADS, HEAD_DIM).with_qkv_stride(3 * HIDDEN);
            let mut out = vec![0.0f32; t * HIDDEN];
            let mut scratch = vec![0.0f32; shape.scratch_len()];
            g.throughput(Throughput::Elements((4 * t * t * HIDDEN) as u64));
            g.bench_with_input(BenchmarkId::new("rayo", t), &t, |b, _| {
                b.iter(|| {
                    rayo_kernels::attention(
                        &shape,
                        black_box(&qkv),
                        &qkv[HIDDEN..],
                        &qkv[2 * HIDDEN..],
                        &mut out,
                        &mut scratch,
                    )
                })
            });
            let mut row = vec![0.0f32; t];
            g.bench_with_input(BenchmarkId::new("rayo-composed", t), &t, |b, _| {
                b.iter(|| composed(t, black_box(&qkv), &mut out, &mut row))
            });
            // Per-head contiguous K and V for trueno's API, copied out untimed.
            let split = |off: usize| -> Vec<Vec<f32>> {
                (0..HEADS)
                    .map(|h| {
                        (0..t)
                            .flat_map(|j| {
                                qkv[j * 3 * HIDDEN + off + h * HEAD_DIM..][..HEAD_DIM].to_vec()
                            })
                            .collect()
                    })
                    .collect()
            };
            let (ks, vs) = (split(HIDDEN), split(2 * HIDDEN));
            g.bench_with_input(BenchmarkId::new("trueno-decode", t), &t, |b, _| {
                b.iter(|| {
                    for h in 0..HEADS {
                        for i in 0..t {
                            let q = &qkv[i * 3 * HIDDEN + h * HEAD_DIM..][..HEAD_DIM];
                            let o = &mut out[i * HIDDEN + h * HEAD_DIM..][..HEAD_DIM];
                            trueno::blis::attention::fused_attention_decode(
                                black_box(q),
                                &ks[h],
                                &vs[h],
                                HEAD_DIM,
                                t,
                                o,
                            );
                        }
                    }
                })
            });
        }
        g.finish();
    }
}

#[cfg(target_arch = "x86_64")]
fn main() {
    assert!(
        is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma"),
        "the trueno comparison needs AVX2+FMA"
    );
    eprintln!(
        "rayo backend: {}; load average: {}",
        rayo_kernels::Backend::active().name(),
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
    );
    let mut c = criterion::Criterion::default().configure_from_args();
    x86::elementwise(&mut c);
    x86::rows(&mut c);
    x86::attention_group(&mut c);
    c.final_summary();
}

#[cfg(not(target_arch = "x86_64"))]
fn main() {
    eprintln!("kernels nn bench: x86_64-only (the trueno comparison); nothing run");
}
