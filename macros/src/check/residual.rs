//! `Residual { layers }`: `y = x + f(x)`. The body `f` becomes a network of its own, which
//! must keep the shape of its input so that the two can be added.

use super::names::camel;
use super::{Checked, Context, check_layers};
use crate::ast::LayerDecl;
use crate::desc::{Kind, Network, Shape};
use quote::format_ident;
use syn::Ident;

pub fn check(
    network: &Ident,
    ident: &Ident,
    body: &[LayerDecl],
    field: &Ident,
    input: &Shape,
    ctx: &Context,
) -> syn::Result<Checked> {
    let name = format_ident!("{}{}", network, camel(&field.to_string()), span = ident.span());
    if body.is_empty() {
        return Err(syn::Error::new(ident.span(), "a residual block needs at least one layer"));
    }
    let (layers, output) = check_layers(&name, body, input.clone(), ctx.source.clone()).map_err(|f| f.error)?;
    if let (Shape::Known(input), Shape::Known(output)) = (input, &output)
        && input != output
    {
        let msg = format!(
            "residual block `{}` maps {input:?} to {output:?}; its layers must keep the shape of their input so it can be added",
            ctx.layer
        );
        return Err(syn::Error::new(ident.span(), msg));
    }
    Ok(Checked::new(Kind::Residual(Box::new(Network { name, layers })), input.clone()))
}
