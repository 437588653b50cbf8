//! The `#[budget(...)]` check: a constant the compiler evaluates, failing with the need
//! and how it splits when the model, its optimizer and its workspace exceed the budget.

use crate::ast::Budget;
use proc_macro2::TokenStream;
use quote::quote_spanned;
use syn::Ident;

pub fn check(name: &Ident, budget: &Budget) -> TokenStream {
    let Budget { bytes, written, batch, optimizer, span } = budget;
    let (network, optimizer_name) = (name.to_string(), optimizer.to_string());
    let bytes = *bytes as usize;
    quote_spanned! {*span=>
        const _: () = ::staticnet::__private::check_budget(::staticnet::__private::Need {
            network: #network,
            budget: #bytes,
            budget_written: #written,
            batch: #batch,
            optimizer: #optimizer_name,
            model: ::staticnet::Model::<#name>::BYTES,
            params: <#name>::PARAM_BYTES,
            optimizer_bytes: ::core::mem::size_of::<::staticnet::optim::#optimizer<#name>>(),
            workspace: ::staticnet::Workspace::<#name, #batch>::BYTES,
        });
    }
}
