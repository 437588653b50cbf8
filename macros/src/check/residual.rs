//! `Residual { layers }`: `y = x + f(x)`. The macro generates a network for `f` and checks
//! that it keeps the shape of its input, so that the two can be added.

use super::{Context, Nested, Resolved, Shape, camel, resolve_layers};
use crate::ast::LayerDecl;
use quote::{format_ident, quote};
use syn::Ident;

pub fn resolve(
    network: &Ident,
    ident: &Ident,
    body: &[LayerDecl],
    field: Ident,
    shape: &Shape,
    ctx: &Context,
) -> syn::Result<(Resolved, Shape)> {
    let name = format_ident!("{}{}", network, camel(&field.to_string()), span = ident.span());
    if body.is_empty() {
        return Err(syn::Error::new(ident.span(), "a residual block needs at least one layer"));
    }
    let (layers, out) = resolve_layers(&name, body, shape.clone(), &ctx.source)?;
    if let (Shape::Known(input), Shape::Known(output)) = (shape, &out)
        && input != output
    {
        let msg = format!(
            "residual block `{}` maps {input:?} to {output:?}; its layers must keep the shape of their input so it can be added",
            ctx.layer
        );
        return Err(syn::Error::new(ident.span(), msg));
    }
    let resolved = Resolved {
        field,
        ty: quote!(::staticnet::layers::Residual<#name>),
        ctor: quote!(::staticnet::layers::Residual::new(<#name as ::core::default::Default>::default())),
        span: ident.span(),
        checks: Vec::new(),
        custom: false,
        nested: Some(Nested { name, layers }),
    };
    Ok((resolved, shape.clone()))
}
