//! The protocol core: pure functions of their inputs.
