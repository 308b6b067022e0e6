//! Placeholder: the engine is being written.
#![no_std]
#[cfg(feature = "std")]
extern crate std;
