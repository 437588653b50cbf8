//! The facade's integration tests, one module per former `tests/*.rs` file, in one binary:
//! each test binary links staticnet and its dependencies again, so one binary builds in a
//! fraction of the time of six. Tests that need a process of their own stay separate:
//! `tests/zero_alloc.rs` (a counting `#[global_allocator]`) and `tests/compile_fail/` (package
//! staticnet-compile-fail, trybuild). Run one module with `cargo test --test integration network::`.

mod architecture;
mod callbacks;
mod checkpoint;
mod custom_layer;
mod ensemble;
mod errors_at_the_mistake;
mod fit;
mod frozen;
mod fused_training;
mod memory_figures;
mod model_and_scaler;
mod model_file;
mod model_file_checksum;
mod nan_never_corrupts;
// Public, so that `network::documented`'s items are exported and `missing_docs` applies to
// them as it did when the file was a crate root.
pub mod network;
mod network_in_macro_rules;
mod optimizer_state;
mod parallel;
mod pytorch_aliases;
mod pytorch_models;
mod quantize;
mod regularization;
mod search;
mod sequences;
mod xor;
