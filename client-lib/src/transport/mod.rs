//! The relay client.
