//! Initialiser arguments: `He`, `XavierUniform`, `Normal(0.01)`, ... as `Init` values.

use super::args::number;
use crate::desc::Init;
use syn::Expr;
use syn::spanned::Spanned;

/// The initialiser an expression names, validated; `Init::Default` when absent.
pub fn init(e: Option<&Expr>) -> syn::Result<Init> {
    let Some(e) = e else { return Ok(Init::Default) };
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
    let init = match name.as_str() {
        "Default" => Init::Default,
        "XavierUniform" | "GlorotUniform" => Init::XavierUniform,
        "XavierNormal" | "GlorotNormal" => Init::XavierNormal,
        "HeUniform" | "KaimingUniform" => Init::HeUniform,
        "He" | "HeNormal" | "KaimingNormal" => Init::HeNormal,
        "Zeros" => Init::Zeros,
        "Normal" => {
            arity(1)?;
            let std = number(args[0])?;
            if !(std.is_finite() && std >= 0.0) {
                return Err(syn::Error::new(args[0].span(), "the standard deviation must be finite and >= 0"));
            }
            return Ok(Init::Normal(std as f32));
        }
        "Constant" => {
            arity(1)?;
            return Ok(Init::Constant(number(args[0])? as f32));
        }
        "Uniform" => {
            arity(2)?;
            let (low, high) = (number(args[0])?, number(args[1])?);
            if low.partial_cmp(&high) != Some(core::cmp::Ordering::Less) {
                return Err(syn::Error::new(e.span(), "Uniform(low, high) needs low < high"));
            }
            return Ok(Init::Uniform(low as f32, high as f32));
        }
        _ => return Err(unknown(e)),
    };
    arity(0)?;
    Ok(init)
}

fn unknown(e: &Expr) -> syn::Error {
    syn::Error::new(
        e.span(),
        "unknown initialiser; use Default, Uniform(low, high), Normal(std), XavierUniform, XavierNormal, \
         HeUniform, HeNormal (or He), Zeros or Constant(c)",
    )
}
