//! End-to-end tests for Corridor live in `tests/tests/`; this library holds helpers they
//! share (locating the built binaries, starting a relay on 127.0.0.1:0).
#![forbid(unsafe_code)]
