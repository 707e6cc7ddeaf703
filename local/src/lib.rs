//! Runs the stack of `template.yaml` on one machine without Docker or AWS:
//! provisioning the emulator's queues, topics and tables from the template,
//! the local API gateway that serves every route by calling the same handler
//! functions the Lambda binaries call, and the harness the tests use.

pub mod database;
pub mod gateway;
pub mod provision;
pub mod queues;
pub mod registry;
pub mod secrets;
pub mod seed;
pub mod template;
pub mod testing;
