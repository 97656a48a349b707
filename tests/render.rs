//! Runs the render part's test modules (tests/it/render_*.rs) on their own
//! until the test files live in the one `tests/it` binary (then this file
//! goes away and tests/it/main.rs declares the modules).

mod support;

#[path = "it/render_doctor.rs"]
mod render_doctor;
#[path = "it/render_schemas.rs"]
mod render_schemas;
