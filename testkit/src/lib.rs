//! Test helpers shared by the workspace's tests (a dev-dependency only): [`db`], the one
//! way a test gets a throwaway database, [`shared`], the one way it finds the material outside
//! the repository (corpus, references) or says that it did not run, [`systems`], the closing
//! sections of the `.claw` systems the runtime and cli tests write, [`sink`], a loopback
//! listener that shows no connection got out of a sandbox, and [`tools`], the external tools
//! (promtool, amtool) a test runs or says that it did not.

pub mod db;
pub mod shared;
pub mod sink;
pub mod systems;
pub mod tools;
