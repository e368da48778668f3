//! Kernel instantiations that no table selects on this machine, against a
//! plain f64 reference: the AVX-512 tiling run on AVX2 registers. (tests/gemm.rs
//! covers every table.)

use super::{args, Layout, Mat, MatMut, PackedB, Rhs};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 40) as f32 / (1u64 << 23) as f32 - 1.0
    }
}

/// Runs `f` on `m x n x k` products in every B form (plain f32/f16 in both
/// layouts, packed f32/f16), with bias and accumulate alternating, and checks
/// each element within `(k + 2) 2^-23 sum |a b|` of an f64 reference.
fn check_with(f: unsafe fn(&super::Args), m: usize, n: usize, k: usize, rng: &mut Rng) {
    let a: Vec<f32> = (0..m * k).map(|_| rng.next()).collect();
    let b32: Vec<f32> = (0..k * n).map(|_| rng.next()).collect();
    let b16: Vec<u16> = b32.iter().map(|&x| crate::f16::f32_to_f16(x)).collect();
    let bt32: Vec<f32> = (0..n * k).map(|i| b32[(i % k) * n + i / k]).collect();
    let bt16: Vec<u16> = (0..n * k).map(|i| b16[(i % k) * n + i / k]).collect();
    let bias: Vec<f32> = (0..n).map(|_| rng.next()).collect();
    let len = PackedB::len(k, n).unwrap();
    let mut p32 = vec![0.0f32; len + 16];
    let mut p16 = vec![0u16; len + 32];
    let pk32 = PackedB::pack(
        Mat::new(&b32, k, n),
        Layout::KxN,
        &mut PackedB::aligned_mut(&mut p32)[..len],
    )
    .unwrap();
    let pk16 = PackedB::pack(
        Mat::new(&b16, k, n),
        Layout::KxN,
        &mut PackedB::aligned_mut(&mut p16)[..len],
    )
    .unwrap();
    let forms: [(Rhs<'_>, bool); 6] = [
        (Rhs::F32(Mat::new(&b32, k, n), Layout::KxN), false),
        (Rhs::F32(Mat::new(&bt32, n, k), Layout::NxK), false),
        (Rhs::F16(Mat::new(&b16, k, n), Layout::KxN), true),
        (Rhs::F16(Mat::new(&bt16, n, k), Layout::NxK), true),
        (Rhs::Packed(pk32), false),
        (Rhs::Packed(pk16), true),
    ];
    for (form, (rhs, half)) in forms.iter().enumerate() {
        let acc = form % 2 == 1;
        let with_bias = form % 3 != 0;
        let c0: Vec<f32> = (0..m * n).map(|_| rng.next()).collect();
        let mut c = c0.clone();
        let bias_arg = with_bias.then_some(&bias[..]);
        let x = args(
            &Mat::new(&a, m, k),
            rhs,
            bias_arg,
            &mut MatMut::new(&mut c, m, n),
            acc,
        )
        .unwrap();
        // SAFETY: `x` comes from `args` over live, checked buffers; the
        // callers check the CPU's features first.
        unsafe { f(&x) };
        for i in 0..m {
            for j in 0..n {
                let (mut want, mut mag) = (0.0f64, 0.0f64);
                for p in 0..k {
                    let bv = if *half {
                        crate::f16::f16_to_f32(b16[p * n + j]) as f64
                    } else {
                        b32[p * n + j] as f64
                    };
                    let t = a[i * k + p] as f64 * bv;
                    want += t;
                    mag += t.abs();
                }
                if with_bias {
                    want += bias[j] as f64;
                    mag += (bias[j] as f64).abs();
                }
                if acc {
                    want += c0[i * n + j] as f64;
                    mag += (c0[i * n + j] as f64).abs();
                }
                let got = c[i * n + j] as f64;
                let tol = (k as f64 + 2.0) * 2f64.powi(-23) * mag + 1e-37;
                assert!(
                    (got - want).abs() <= tol,
                    "{m}x{n}x{k} form {form}: C[{i}][{j}] = {got}, want {want}"
                );
            }
        }
    }
}

fn shapes() -> impl Iterator<Item = (usize, usize, usize)> {
    // Every row count of an 8-row tile, columns around one and two panels,
    // k across the 128-row block.
    let ms = [1, 2, 3, 5, 7, 8, 9, 15, 16, 17];
    let ns = [1, 15, 16, 17, 31, 32, 33, 47, 48, 63, 65];
    let ks = [1, 3, 127, 128, 129, 300];
    ms.into_iter().flat_map(move |m| {
        ns.into_iter()
            .flat_map(move |n| ks.into_iter().map(move |k| (m, n, k)))
    })
}

#[test]
fn avx512_tiling_on_avx2_registers() {
    if !crate::arch::x86_64::has_avx2_fma() {
        std::eprintln!("NOT RUN: two-panel tiling test (no AVX2+FMA+F16C here)");
        return;
    }
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for (m, n, k) in shapes() {
        check_with(
            crate::arch::x86_64::gemm_avx2::gemm_two_panels,
            m,
            n,
            k,
            &mut rng,
        );
    }
}
