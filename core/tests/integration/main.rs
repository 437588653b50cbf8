//! staticnet-core's integration tests, one module per former `core/tests/*.rs` file, in one
//! binary (each test binary links the crate and its dependencies again). `common` holds the
//! shared reference-vector and finite-difference helpers. Run one module with
//! `cargo test -p staticnet-core --test integration gradcheck::`.

mod common;

mod augmentation;
mod csv_loading;
mod data_loading;
mod gradcheck;
mod gradcheck_cnn;
mod gradcheck_rnn;
mod optimizers;
mod preprocessing;
mod reference;
mod reference_bidirectional;
mod reference_cnn;
mod reference_conv1d;
mod reference_rnn;
mod reference_soft_losses;
mod regularize;
mod schedules;
mod search;
mod update_rules;
