//! claw-runtime
