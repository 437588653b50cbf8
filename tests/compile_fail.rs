//! Wiring mistakes that must not compile, with the messages a user sees (tests/ui/*.stderr),
//! and spellings that must (tests/ui/pass/).

#[test]
fn wiring_mistakes_do_not_compile() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
    t.pass("tests/ui/pass/*.rs");
}
