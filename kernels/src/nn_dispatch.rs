//! One-time dispatch for the transformer ops, one atomic pointer per op.
//!
//! The pattern is the [`crate::backend`] one (start at a function that detects the CPU,
//! stores the best kernel and forwards; afterwards one relaxed load and an indirect call)
//! but per op instead of per table: a table keeps all of its entries, for every backend,
//! in any binary that calls one of them, and these ops are only for the binaries that run
//! a transformer. Each op's first call runs the CPU check again (a few `cpuid`s, once).

use core::sync::atomic::{AtomicPtr, Ordering};

use crate::generic_nn::AttnRaw;

// Function pointers travel through `AtomicPtr<()>`; that needs them to be pointer-sized.
const _: () = assert!(core::mem::size_of::<fn()>() == core::mem::size_of::<*mut ()>());

#[allow(dead_code)] // a build with one candidate never asks
fn always() -> bool {
    true
}

macro_rules! nn_ops {
    ($($op:ident($($arg:ident: $ty:ty),*);)*) => {$(
        pub(crate) mod $op {
            use super::*;

            pub(crate) type F = unsafe fn($($ty),*);

            /// Every backend of this op compiled for the target, best first, in the order
            /// and with the support checks of `crate::backend`'s candidates.
            const CANDIDATES: &[(&str, F, fn() -> bool)] = &[
                #[cfg(all(target_arch = "x86_64", feature = "avx512"))]
                ("avx512", crate::arch::nn::avx512::$op, crate::arch::x86_64::has_avx512f),
                #[cfg(all(target_arch = "x86_64", feature = "avx2"))]
                ("avx2", crate::arch::nn::avx2::$op, crate::arch::x86_64::has_avx2_fma),
                #[cfg(all(target_arch = "x86_64", feature = "sse2"))]
                ("sse2", crate::arch::nn::sse2::$op, always),
                #[cfg(all(target_arch = "aarch64", feature = "neon"))]
                ("neon", crate::arch::nn::neon::$op, always),
                #[cfg(any(
                    feature = "reference",
                    not(any(
                        all(target_arch = "x86_64", feature = "sse2"),
                        all(target_arch = "aarch64", feature = "neon")
                    ))
                ))]
                ("scalar", crate::scalar_nn::$op, always),
            ];

            const ONLY_ONE: bool = CANDIDATES.len() == 1;

            /// Holds an `F`: [`detect`] until the first call (unless there is one candidate).
            static ACTIVE: AtomicPtr<()> = AtomicPtr::new(if ONLY_ONE {
                CANDIDATES[0].1 as *mut ()
            } else {
                detect as F as *mut ()
            });

            // SAFETY: the caller upholds the op's contract (the same for every backend).
            unsafe fn detect($($arg: $ty),*) {
                let mut f = CANDIDATES[CANDIDATES.len() - 1].1;
                for &(_, k, supported) in CANDIDATES {
                    if supported() {
                        f = k;
                        break;
                    }
                }
                // Racing first calls store the same pointer; no ordering needed.
                ACTIVE.store(f as *mut (), Ordering::Relaxed);
                // SAFETY: the caller upholds the op's contract, the same for every backend;
                // `f` is the first candidate this CPU supports, or the last, which needs
                // nothing beyond the target's baseline.
                unsafe { f($($arg),*) }
            }

            /// The active kernel.
            #[inline(always)]
            pub(crate) fn active() -> F {
                // SAFETY: ACTIVE only ever holds values made from an `F` (above).
                unsafe { core::mem::transmute::<*mut (), F>(ACTIVE.load(Ordering::Relaxed)) }
            }

            /// The kernel of the backend called `name`, if compiled in (the caller got the
            /// name from a `Backend`, so the CPU supports it).
            pub(crate) fn by_name(name: &str) -> Option<F> {
                CANDIDATES.iter().find(|c| c.0 == name).map(|c| c.1)
            }
        }
    )*};
}

nn_ops! {
    gelu(a: *const f32, out: *mut f32, n: usize);
    layer_norm(x: *const f32, rows: usize, cols: usize, gamma: *const f32, beta: *const f32,
        eps: f32, out: *mut f32);
    softmax_rows(x: *const f32, rows: usize, cols: usize, out: *mut f32);
    add_bias(x: *mut f32, rows: usize, cols: usize, bias: *const f32);
    mean_rows_masked(x: *const f32, rows: usize, cols: usize, keep: *const bool, out: *mut f32);
    normalize_l2(x: *const f32, rows: usize, cols: usize, out: *mut f32);
    attention(a: &AttnRaw);
}
