//! Corridor relay library: the HTTP service behind the `corridor-relay` binary.
#![forbid(unsafe_code)]
