//! The few byte-level helpers that rayo's Lambda binaries and its host tools all need, written
//! once: standard base64 ([`base64`]), JSON string literals ([`json`]) and the Gregorian date
//! of a day count ([`date`]).
//!
//! `no_std` with `alloc`, no dependencies, every function small and `#[inline]`: a binary links
//! only what it calls, so the bootstrap pays for none of what it does not use.
#![no_std]

extern crate alloc;

pub mod base64;
pub mod date;
pub mod json;
