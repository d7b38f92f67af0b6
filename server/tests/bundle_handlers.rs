//! The bundle handler tests (`server/tests/suite/bundle.rs`) against the in-process store.

mod common;

/// The storage engine this test binary runs the suite against.
const BACKEND: common::Backend = common::Backend::Local;

#[path = "suite/bundle.rs"]
mod suite;
