//! The scalar reference: plain loops that are obviously right, used on CPUs
//! without a SIMD backend and as the oracle every backend is tested against.
//! Sums accumulate in `f64` (more accurate than any SIMD backend, and slow).
//! The activations run the same approximation as the SIMD backends, through
//! the one-lane `f32` vector.

use crate::backend::Table;
use crate::generic as g;

// SAFETY (all functions below): callers uphold `Table`'s contract (pointers
// valid for `n` elements, `n >= 1` for the extremes).

unsafe fn sum(a: *const f32, n: usize) -> f64 {
    let mut s = 0.0;
    for i in 0..n {
        s += *a.add(i) as f64;
    }
    s
}
unsafe fn sum_abs(a: *const f32, n: usize) -> f64 {
    let mut s = 0.0;
    for i in 0..n {
        s += (*a.add(i)).abs() as f64;
    }
    s
}
unsafe fn sum_sq(a: *const f32, n: usize) -> f64 {
    dot(a, a, n)
}
unsafe fn dot(a: *const f32, b: *const f32, n: usize) -> f64 {
    let mut s = 0.0;
    for i in 0..n {
        s += *a.add(i) as f64 * *b.add(i) as f64;
    }
    s
}
unsafe fn dist_sq(a: *const f32, b: *const f32, n: usize) -> f64 {
    let mut s = 0.0;
    for i in 0..n {
        let d = *a.add(i) as f64 - *b.add(i) as f64;
        s += d * d;
    }
    s
}
unsafe fn matvec(m: *const f32, rows: usize, cols: usize, x: *const f32, out: *mut f32) {
    for r in 0..rows {
        *out.add(r) = dot(m.add(r * cols), x, cols) as f32;
    }
}
unsafe fn dot3(a: *const f32, b: *const f32, n: usize) -> [f64; 3] {
    [dot(a, b, n), dot(a, a, n), dot(b, b, n)]
}
/// NumPy's rule: the first NaN wins; otherwise the first strict best.
unsafe fn arg_best(a: *const f32, n: usize, better: fn(f32, f32) -> bool) -> usize {
    let mut best = 0;
    for i in 0..n {
        let x = *a.add(i);
        if x.is_nan() {
            return i;
        }
        if better(x, *a.add(best)) {
            best = i;
        }
    }
    best
}
unsafe fn argmax(a: *const f32, n: usize) -> usize {
    arg_best(a, n, |x, b| x > b)
}
unsafe fn argmin(a: *const f32, n: usize) -> usize {
    arg_best(a, n, |x, b| x < b)
}
unsafe fn max(a: *const f32, n: usize) -> f32 {
    *a.add(argmax(a, n))
}
unsafe fn min(a: *const f32, n: usize) -> f32 {
    *a.add(argmin(a, n))
}
unsafe fn zip(a: *const f32, b: *const f32, out: *mut f32, n: usize, f: fn(f32, f32) -> f32) {
    for i in 0..n {
        *out.add(i) = f(*a.add(i), *b.add(i));
    }
}
unsafe fn add(a: *const f32, b: *const f32, out: *mut f32, n: usize) {
    zip(a, b, out, n, |x, y| x + y)
}
unsafe fn sub(a: *const f32, b: *const f32, out: *mut f32, n: usize) {
    zip(a, b, out, n, |x, y| x - y)
}
unsafe fn mul(a: *const f32, b: *const f32, out: *mut f32, n: usize) {
    zip(a, b, out, n, |x, y| x * y)
}
unsafe fn div(a: *const f32, b: *const f32, out: *mut f32, n: usize) {
    zip(a, b, out, n, |x, y| x / y)
}
unsafe fn scale(a: *const f32, s: f32, out: *mut f32, n: usize) {
    for i in 0..n {
        *out.add(i) = *a.add(i) * s;
    }
}
unsafe fn axpy(alpha: f32, x: *const f32, y: *mut f32, n: usize) {
    for i in 0..n {
        *y.add(i) += alpha * *x.add(i);
    }
}
unsafe fn fma(a: *const f32, b: *const f32, c: *const f32, out: *mut f32, n: usize) {
    for i in 0..n {
        *out.add(i) = *a.add(i) * *b.add(i) + *c.add(i);
    }
}
unsafe fn clamp(a: *const f32, lo: f32, hi: f32, out: *mut f32, n: usize) {
    for i in 0..n {
        let x = *a.add(i);
        let t = if x < lo { lo } else { x };
        *out.add(i) = if t > hi { hi } else { t };
    }
}
unsafe fn abs(a: *const f32, out: *mut f32, n: usize) {
    for i in 0..n {
        *out.add(i) = (*a.add(i)).abs();
    }
}
unsafe fn relu(a: *const f32, out: *mut f32, n: usize) {
    for i in 0..n {
        let x = *a.add(i);
        *out.add(i) = if x < 0.0 { 0.0 } else { x };
    }
}
unsafe fn exp(a: *const f32, out: *mut f32, n: usize) {
    g::map::<f32, 1, _>(&g::Exp, [a], out, n)
}
unsafe fn sigmoid(a: *const f32, out: *mut f32, n: usize) {
    g::map::<f32, 1, _>(&g::Sigmoid, [a], out, n)
}
unsafe fn tanh(a: *const f32, out: *mut f32, n: usize) {
    g::map::<f32, 1, _>(&g::Tanh, [a], out, n)
}
unsafe fn gelu_tanh(a: *const f32, out: *mut f32, n: usize) {
    g::map::<f32, 1, _>(&g::GeluTanh, [a], out, n)
}
unsafe fn exp_shift(a: *const f32, m: f32, out: *mut f32, n: usize) -> f64 {
    g::exp_shift::<f32>(a, m, out, n)
}

pub(crate) static TABLE: Table = Table {
    name: "scalar",
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
    add,
    sub,
    mul,
    div,
    scale,
    axpy,
    fma,
    clamp,
    abs,
    relu,
    exp,
    sigmoid,
    tanh,
    gelu_tanh,
    exp_shift,
};
