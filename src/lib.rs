//! Placeholder: the engine is being written.
#![no_std]
