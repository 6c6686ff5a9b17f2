//! Test helpers shared by the workspace's tests (a dev-dependency only): [`db`], the one
//! way a test gets a throwaway database, and [`shared`], the one way it finds the material outside
//! the repository (corpus, references) or says that it did not run.

pub mod db;
pub mod shared;
