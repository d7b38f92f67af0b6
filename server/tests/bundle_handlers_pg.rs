//! The bundle handler tests (`server/tests/suite/bundle.rs`) against PostgreSQL.

mod common;

/// The storage engine this test binary runs the suite against.
const BACKEND: common::Backend = common::Backend::Postgres;

#[path = "suite/bundle.rs"]
mod suite;
