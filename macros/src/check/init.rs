//! Initialiser arguments: `He`, `XavierUniform`, `Normal(0.01)`, ... as `Init` values.

use super::args::number;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::Expr;
use syn::spanned::Spanned;

/// The `Init` value an expression names, validated; `Init::Default` when absent.
pub fn init(e: Option<&Expr>) -> syn::Result<TokenStream> {
    let Some(e) = e else { return Ok(quote!(::staticnet::Init::Default)) };
    let (name, args): (String, Vec<&Expr>) = match e {
        Expr::Path(p) if p.path.get_ident().is_some() => (p.path.segments[0].ident.to_string(), Vec::new()),
        Expr::Call(c) => match &*c.func {
            Expr::Path(p) if p.path.get_ident().is_some() => {
                (p.path.segments[0].ident.to_string(), c.args.iter().collect())
            }
            _ => return Err(unknown(e)),
        },
        _ => return Err(unknown(e)),
    };
    let arity = |n: usize| if args.len() == n { Ok(()) } else { Err(unknown(e)) };
    let variant = match name.as_str() {
        "Default" => "Default",
        "XavierUniform" | "GlorotUniform" => "XavierUniform",
        "XavierNormal" | "GlorotNormal" => "XavierNormal",
        "HeUniform" | "KaimingUniform" => "HeUniform",
        "He" | "HeNormal" | "KaimingNormal" => "HeNormal",
        "Zeros" => "Zeros",
        "Normal" => {
            arity(1)?;
            let std = number(args[0])?;
            if !(std.is_finite() && std >= 0.0) {
                return Err(syn::Error::new(args[0].span(), "the standard deviation must be finite and >= 0"));
            }
            let std = std as f32;
            return Ok(quote!(::staticnet::Init::Normal(#std)));
        }
        "Constant" => {
            arity(1)?;
            let c = number(args[0])? as f32;
            return Ok(quote!(::staticnet::Init::Constant(#c)));
        }
        "Uniform" => {
            arity(2)?;
            let (low, high) = (number(args[0])?, number(args[1])?);
            if low.partial_cmp(&high) != Some(core::cmp::Ordering::Less) {
                return Err(syn::Error::new(e.span(), "Uniform(low, high) needs low < high"));
            }
            let (low, high) = (low as f32, high as f32);
            return Ok(quote!(::staticnet::Init::Uniform(#low, #high)));
        }
        _ => return Err(unknown(e)),
    };
    arity(0)?;
    let variant = format_ident!("{}", variant);
    Ok(quote!(::staticnet::Init::#variant))
}

fn unknown(e: &Expr) -> syn::Error {
    syn::Error::new(
        e.span(),
        "unknown initialiser; use Default, Uniform(low, high), Normal(std), XavierUniform, XavierNormal, \
         HeUniform, HeNormal (or He), Zeros or Constant(c)",
    )
}
