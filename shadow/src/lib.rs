//! Shadow mode.
