//! One module per verb: its arguments, what it asks the engine, how it prints.

pub mod admin;
pub mod audit;
pub mod backup;
pub mod backups;
pub mod cert;
pub mod encryption;
pub mod fleet;
pub mod items;
pub mod location;
pub mod manual;
pub mod operations;
pub mod recover;
pub mod restore;
pub mod retention;
pub mod schedule;
pub mod service;
pub mod status;
pub mod update;
pub mod vault;
pub mod verify;
