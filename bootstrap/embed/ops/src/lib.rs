//! rayo-embed's hot loops, in a crate of their own so that Lambda builds compile them at
//! opt-level 3 while the rest of the function stays size-optimised (see the root
//! Cargo.toml): the encoder's numeric operations ([`ops`], the adapter to `rayo-kernels`),
//! the weight file's [`checksum`], and IEEE half precision conversion ([`half`]).
#![forbid(unsafe_code)]

pub mod checksum;
pub mod half;
pub mod ops;
