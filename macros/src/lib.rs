//! The `network!` macro of staticnet: parses a layer list (`parse`, into `ast`), checks its
//! wiring into a typed description of each layer (`check`, into `desc`) and expands that
//! into plain structs with compile-time sizes and generated forward and backward code
//! (`expand`). After a mistake it emits the error and stubs of the network (`fallback`).

mod ast;
mod budget;
mod check;
mod desc;
mod expand;
mod fallback;
mod parse;
mod plan;

use proc_macro::TokenStream;

/// Declares a network. See the staticnet README for the grammar.
#[proc_macro]
pub fn network(input: TokenStream) -> TokenStream {
    network2(input.into()).into()
}

fn network2(input: proc_macro2::TokenStream) -> proc_macro2::TokenStream {
    let network = match syn::parse2::<ast::Network>(input.clone()) {
        Ok(network) => network,
        Err(error) => return parse_failure(input, error),
    };
    match check::check(&network) {
        Ok(checked) => {
            let mut items = expand::expand(&network.attrs, &network.vis, &network.name, &checked.layers);
            if let Some(budget) = &network.budget {
                items.extend(budget::check(&network.name, budget));
            }
            items
        }
        Err(failure) => fallback::expand(
            &network.attrs,
            &network.vis,
            &network.name,
            failure.input.as_ref(),
            failure.output.as_ref(),
            failure.error,
        ),
    }
}

/// A declaration that does not parse: stubs when at least its name can be read.
fn parse_failure(input: proc_macro2::TokenStream, error: syn::Error) -> proc_macro2::TokenStream {
    match syn::parse2::<ast::Outline>(input) {
        Ok(outline) => {
            let shape = outline.input.and_then(|(dims, span)| check::input_shape(&dims, span).ok());
            fallback::expand(&outline.attrs, &outline.vis, &outline.name, shape.as_ref(), None, error)
        }
        Err(_) => error.to_compile_error(),
    }
}
