//! Runs tests/it/render_schemas.rs on its own until the test files live in
//! the one `tests/it` binary (then this file goes away).

mod support;

#[path = "it/render_schemas.rs"]
mod render_schemas;
