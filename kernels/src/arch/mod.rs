//! Per-ISA backends. Each instantiates the algorithms of [`crate::generic`]
//! for its vector type inside `#[target_feature]` wrappers and publishes them
//! as one [`crate::backend::Table`].

/// Defines the table's functions for vector type `$V`, each compiled with
/// `$feat`, and a `TABLE` static named `$name`. With `elementwise: path`,
/// the memory-bound element-wise ops are taken from that module instead of
/// being compiled again (wider registers do not make them faster).
macro_rules! backend {
    ($name:literal, $V:ty, $feat:literal) => {
        backend!(@common $V, $feat);
        backend!(@elementwise $V, $feat);
        backend!(@table $name, self);
    };
    ($name:literal, $V:ty, $feat:literal, elementwise: $ew:path) => {
        backend!(@common $V, $feat);
        use $ew as ew;
        backend!(@table $name, ew);
    };
    // With `large: path` as well, reductions over inputs of at least
    // `LARGE_INPUT_BYTES` (`LARGE_PAIR_BYTES` for two inputs; consts in the
    // invoking module) call that module's versions instead (measured faster
    // from L3/DRAM, see avx512.rs).
    ($name:literal, $V:ty, $feat:literal, elementwise: $ew:path, large: $lg:path) => {
        mod own {
            use super::*;
            backend!(@common $V, $feat);
        }
        use $ew as ew;
        use $lg as lg;
        backend!(@large $feat, own, lg,
            sum(a) -> f64, sum_abs(a) -> f64, sum_sq(a) -> f64, max(a) -> f32, min(a) -> f32,
            argmax(a) -> usize, argmin(a) -> usize;
            dot(a, b) -> f64, dist_sq(a, b) -> f64, dot3(a, b) -> [f64; 3]);
        use own::{exp, sigmoid, tanh, gelu_tanh, exp_shift};
        // SAFETY: as for the reductions in `@large`.
        #[target_feature(enable = $feat)]
        pub(crate) unsafe fn matvec(m: *const f32, rows: usize, cols: usize, x: *const f32, out: *mut f32) {
            if rows * cols * 4 >= LARGE_INPUT_BYTES {
                lg::matvec(m, rows, cols, x, out)
            } else {
                own::matvec(m, rows, cols, x, out)
            }
        }
        backend!(@table $name, ew);
    };
    (@large $feat:literal, $own:ident, $lg:ident,
     $($f1:ident(a) -> $r1:ty),*; $($f2:ident(a, b) -> $r2:ty),*) => {
        $(
            // SAFETY: callers uphold `Table`'s contract; a CPU with `$feat`
            // also has the `large` module's ISA (see the dispatcher).
            #[target_feature(enable = $feat)]
            pub(crate) unsafe fn $f1(a: *const f32, n: usize) -> $r1 {
                if n * 4 >= LARGE_INPUT_BYTES {
                    $lg::$f1(a, n)
                } else {
                    $own::$f1(a, n)
                }
            }
        )*
        $(
            // SAFETY: as above.
            #[target_feature(enable = $feat)]
            pub(crate) unsafe fn $f2(a: *const f32, b: *const f32, n: usize) -> $r2 {
                if n * 8 >= LARGE_PAIR_BYTES {
                    $lg::$f2(a, b, n)
                } else {
                    $own::$f2(a, b, n)
                }
            }
        )*
    };
    (@elementwise $V:ty, $feat:literal) => {
        use crate::vector::Vector;

        #[target_feature(enable = $feat)]
        pub(crate) unsafe fn add(a: *const f32, b: *const f32, out: *mut f32, n: usize) {
            g::map::<$V, 2, _>(&g::Add, [a, b], out, n)
        }
        #[target_feature(enable = $feat)]
        pub(crate) unsafe fn sub(a: *const f32, b: *const f32, out: *mut f32, n: usize) {
            g::map::<$V, 2, _>(&g::Sub, [a, b], out, n)
        }
        #[target_feature(enable = $feat)]
        pub(crate) unsafe fn mul(a: *const f32, b: *const f32, out: *mut f32, n: usize) {
            g::map::<$V, 2, _>(&g::Mul, [a, b], out, n)
        }
        #[target_feature(enable = $feat)]
        pub(crate) unsafe fn div(a: *const f32, b: *const f32, out: *mut f32, n: usize) {
            g::map::<$V, 2, _>(&g::Div, [a, b], out, n)
        }
        #[target_feature(enable = $feat)]
        pub(crate) unsafe fn scale(a: *const f32, s: f32, out: *mut f32, n: usize) {
            g::map::<$V, 1, _>(&g::Scale(<$V>::splat(s)), [a], out, n)
        }
        #[target_feature(enable = $feat)]
        pub(crate) unsafe fn axpy(alpha: f32, x: *const f32, y: *mut f32, n: usize) {
            g::map::<$V, 2, _>(&g::Axpy(<$V>::splat(alpha)), [x, y], y, n)
        }
        #[target_feature(enable = $feat)]
        pub(crate) unsafe fn fma(a: *const f32, b: *const f32, c: *const f32, out: *mut f32, n: usize) {
            g::map::<$V, 3, _>(&g::Fma, [a, b, c], out, n)
        }
        #[target_feature(enable = $feat)]
        pub(crate) unsafe fn clamp(a: *const f32, lo: f32, hi: f32, out: *mut f32, n: usize) {
            g::map::<$V, 1, _>(&g::Clamp(<$V>::splat(lo), <$V>::splat(hi)), [a], out, n)
        }
        #[target_feature(enable = $feat)]
        pub(crate) unsafe fn abs(a: *const f32, out: *mut f32, n: usize) {
            g::map::<$V, 1, _>(&g::Abs, [a], out, n)
        }
        #[target_feature(enable = $feat)]
        pub(crate) unsafe fn relu(a: *const f32, out: *mut f32, n: usize) {
            g::map::<$V, 1, _>(&g::Relu, [a], out, n)
        }
    };
    (@table $name:literal, $ew:ident) => {
        pub(crate) static TABLE: crate::backend::Table = crate::backend::Table {
            name: $name,
            sum,
            sum_abs,
            sum_sq,
            dot,
            dist_sq,
            dot3,
            matvec,
            max,
            min,
            argmax,
            argmin,
            add: $ew::add,
            sub: $ew::sub,
            mul: $ew::mul,
            div: $ew::div,
            scale: $ew::scale,
            axpy: $ew::axpy,
            fma: $ew::fma,
            clamp: $ew::clamp,
            abs: $ew::abs,
            relu: $ew::relu,
            exp,
            sigmoid,
            tanh,
            gelu_tanh,
            exp_shift,
        };
    };
    (@common $V:ty, $feat:literal) => {
        use crate::generic as g;

        // SAFETY (all functions below): callers uphold `Table`'s contract,
        // which includes that the CPU supports `$feat`.
        #[target_feature(enable = $feat)]
        pub(crate) unsafe fn sum(a: *const f32, n: usize) -> f64 {
            g::reduce::<$V, 1, 1>(&g::Sum, [a], n)[0]
        }
        #[target_feature(enable = $feat)]
        pub(crate) unsafe fn sum_abs(a: *const f32, n: usize) -> f64 {
            g::reduce::<$V, 1, 1>(&g::SumAbs, [a], n)[0]
        }
        #[target_feature(enable = $feat)]
        pub(crate) unsafe fn sum_sq(a: *const f32, n: usize) -> f64 {
            g::reduce::<$V, 1, 1>(&g::SumSq, [a], n)[0]
        }
        #[target_feature(enable = $feat)]
        pub(crate) unsafe fn dot(a: *const f32, b: *const f32, n: usize) -> f64 {
            g::reduce::<$V, 2, 1>(&g::Dot, [a, b], n)[0]
        }
        #[target_feature(enable = $feat)]
        pub(crate) unsafe fn dist_sq(a: *const f32, b: *const f32, n: usize) -> f64 {
            g::reduce::<$V, 2, 1>(&g::DistSq, [a, b], n)[0]
        }
        #[target_feature(enable = $feat)]
        pub(crate) unsafe fn dot3(a: *const f32, b: *const f32, n: usize) -> [f64; 3] {
            g::reduce::<$V, 2, 3>(&g::Dot3, [a, b], n)
        }
        #[target_feature(enable = $feat)]
        pub(crate) unsafe fn matvec(m: *const f32, rows: usize, cols: usize, x: *const f32, out: *mut f32) {
            g::matvec::<$V>(m, rows, cols, x, out)
        }
        #[target_feature(enable = $feat)]
        pub(crate) unsafe fn max(a: *const f32, n: usize) -> f32 {
            g::extreme::<$V, g::Max>(a, n)
        }
        #[target_feature(enable = $feat)]
        pub(crate) unsafe fn min(a: *const f32, n: usize) -> f32 {
            g::extreme::<$V, g::Min>(a, n)
        }
        #[target_feature(enable = $feat)]
        pub(crate) unsafe fn argmax(a: *const f32, n: usize) -> usize {
            g::arg_extreme::<$V, g::Max>(a, n)
        }
        #[target_feature(enable = $feat)]
        pub(crate) unsafe fn argmin(a: *const f32, n: usize) -> usize {
            g::arg_extreme::<$V, g::Min>(a, n)
        }
        #[target_feature(enable = $feat)]
        pub(crate) unsafe fn exp(a: *const f32, out: *mut f32, n: usize) {
            g::map::<$V, 1, _>(&g::Exp, [a], out, n)
        }
        #[target_feature(enable = $feat)]
        pub(crate) unsafe fn sigmoid(a: *const f32, out: *mut f32, n: usize) {
            g::map::<$V, 1, _>(&g::Sigmoid, [a], out, n)
        }
        #[target_feature(enable = $feat)]
        pub(crate) unsafe fn tanh(a: *const f32, out: *mut f32, n: usize) {
            g::map::<$V, 1, _>(&g::Tanh, [a], out, n)
        }
        #[target_feature(enable = $feat)]
        pub(crate) unsafe fn gelu_tanh(a: *const f32, out: *mut f32, n: usize) {
            g::map::<$V, 1, _>(&g::GeluTanh, [a], out, n)
        }
        #[target_feature(enable = $feat)]
        pub(crate) unsafe fn exp_shift(a: *const f32, m: f32, out: *mut f32, n: usize) -> f64 {
            g::exp_shift::<$V>(a, m, out, n)
        }

    };
}

#[cfg(target_arch = "x86_64")]
pub(crate) mod x86_64;

#[cfg(target_arch = "aarch64")]
pub(crate) mod aarch64;

// The transformer ops.
pub(crate) mod nn;
