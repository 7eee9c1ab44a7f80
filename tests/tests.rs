//! The integration tests: one binary, one module per capability (`cases/`), shared helpers
//! in `common/`. Every test runs the real binary in an isolated environment against a fake
//! server it starts on 127.0.0.1.

mod cases;
mod common;
