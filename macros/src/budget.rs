//! The `#[budget(...)]` check: a constant the compiler evaluates, failing with the need
//! and how it splits when the model, its optimizer and its workspace (a `FusedWorkspace`
//! with `fused`) exceed the budget.

use crate::ast::Budget;
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::Ident;

pub fn check(name: &Ident, budget: &Budget) -> TokenStream {
    let Budget { bytes, written, batch, optimizer, fused, span } = budget;
    let (network, optimizer_name) = (name.to_string(), optimizer.to_string());
    let bytes = *bytes as usize;
    let (workspace, gradients) = match fused {
        true => (
            quote!(::staticnet::FusedWorkspace::<#name, #batch>::BYTES),
            quote!(<#name as ::staticnet::Layer>::MAX_LAYER_PARAMS * 4),
        ),
        false => (quote!(::staticnet::Workspace::<#name, #batch>::BYTES), quote!(<#name>::PARAM_BYTES)),
    };
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
            fused: #fused,
            gradients: #gradients,
            workspace: #workspace,
        });
    }
}
