//! The service handler tests (`server/tests/suite/service.rs`) against PostgreSQL.

mod common;

/// The storage engine this test binary runs the suite against.
const BACKEND: common::Backend = common::Backend::Postgres;

#[path = "suite/service.rs"]
mod suite;
