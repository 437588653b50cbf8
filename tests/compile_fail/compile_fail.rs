//! Wiring mistakes that must not compile, with the messages a user sees (tests/ui/*.stderr).
//!
//! These are type errors, which `cargo check` finds: trybuild checks them without code
//! generation as long as the run has no pass case, so code that must compile is an
//! ordinary test (PyTorch's spellings: tests/integration/pytorch_aliases.rs). The one error
//! only code generation finds, a workspace too large for the stack (a constant evaluated
//! per instantiation), is a `compile_fail,E0080` block of the README, which rustdoc builds.

use std::path::Path;

#[test]
fn wiring_mistakes_do_not_compile() {
    // This package only carries trybuild (see its Cargo.toml); the tests are the facade's.
    // trybuild takes the crate under test from CARGO_MANIFEST_DIR at run time, so point it
    // at the facade: the generated project depends on `staticnet` with its dev-dependencies,
    // and the snapshots' paths stay `tests/ui/...`.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap();
    std::env::set_current_dir(&root).unwrap();
    // SAFETY: the only test of this binary, run before trybuild starts; no other thread of
    // this process reads or writes the environment meanwhile.
    unsafe { std::env::set_var("CARGO_MANIFEST_DIR", &root) };
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
