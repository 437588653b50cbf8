use proc_macro::TokenStream; #[proc_macro] pub fn network(input: TokenStream) -> TokenStream { input }
