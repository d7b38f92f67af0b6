//! The encrypted local profile.
