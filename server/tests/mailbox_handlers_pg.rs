//! The mailbox handler tests (`server/tests/suite/mailbox.rs`) against PostgreSQL.

mod common;

/// The storage engine this test binary runs the suite against.
const BACKEND: common::Backend = common::Backend::Postgres;

#[path = "suite/mailbox.rs"]
mod suite;
