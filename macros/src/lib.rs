//! The `network!` macro of staticnet: parses a layer list, checks its wiring and expands
//! it into plain structs with compile-time sizes and generated forward and backward code.

mod ast;
mod budget;
mod check;
mod expand;
mod parse;
mod plan;

use proc_macro::TokenStream;

/// Declares a network. See the staticnet README for the grammar.
#[proc_macro]
pub fn network(input: TokenStream) -> TokenStream {
    let network = syn::parse_macro_input!(input as ast::Network);
    check::resolve(&network)
        .map(|resolved| {
            let mut items = expand::expand(&network.attrs, &network.vis, &network.name, &resolved);
            if let Some(budget) = &network.budget {
                items.extend(budget::check(&network.name, budget));
            }
            items
        })
        .unwrap_or_else(|e| e.to_compile_error())
        .into()
}
