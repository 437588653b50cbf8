//! Wiring mistakes that must not compile, with the messages a user sees (tests/ui/*.stderr).

#[test]
fn wiring_mistakes_do_not_compile() {
    trybuild::TestCases::new().compile_fail("tests/ui/*.rs");
}
