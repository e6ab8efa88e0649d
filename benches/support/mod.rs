//! What several benches share, written once: the bench size switch, the
//! `python3` pipe driver behind every `baseline/cpython-3.11` member, the
//! worker thread that serves timed requests, the C-API object types the
//! benches allocate, and the counting pairs.
//!
//! Each bench includes this directory as its own module
//! (`#[path = "../support/mod.rs"] mod support;` from a bench directory,
//! `mod support;` from a single-file bench), so every bench compiles the
//! same code and none links to another.

// A bench uses only the parts it needs; the rest is dead in that target.
#![allow(dead_code)]

pub mod cpython;
pub mod objects;
pub mod pairs;
pub mod quick;
pub mod worker;
