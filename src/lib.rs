//! cellmage as a library: the rooms of the program, used by the binary (`main.rs`) and by
//! the integration tests. `run::run` is one invocation.

pub mod args;
pub mod batch;
pub mod bounded;
pub mod budget;
pub mod call;
pub mod cli;
pub mod commands;
pub mod context;
pub mod conversation;
pub mod error;
pub mod extract;
pub mod files;
pub mod interrupt;
pub mod markdown;
pub mod message;
pub mod models;
pub mod output;
pub mod persona;
pub mod plan;
pub mod provider;
pub mod report;
pub mod review;
pub mod run;
pub mod schema;
pub mod secret;
pub mod settings;
pub mod spinner;
pub mod text;
pub mod transport;
