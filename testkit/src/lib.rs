//! Test helpers shared by the workspace's tests (a dev-dependency only): [`db`], the one
//! way a test gets a throwaway database.

pub mod db;
