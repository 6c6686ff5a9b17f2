//! Importers: read legacy automation (Zapier exports, crontabs, spreadsheets) and infer
//! `.claw` systems, with findings for what the legacy setup never had.
pub mod codes;
pub mod crontab;
pub mod findings;
pub mod names;
pub mod output;
pub mod report;
pub mod review;
pub mod secrets;
pub mod sheet;
pub mod zapier;
