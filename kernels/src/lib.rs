//! f32 compute kernels for rayo: `no_std`, no allocation, one-time CPU dispatch.
#![no_std]
