//! claw-importers
