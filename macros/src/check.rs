//! Validation and shape inference: turns the declaration into resolved layers (field,
//! type, constructor), reporting every mistake the macro can see as a spanned error.

use crate::ast::{Args, LayerDecl, LayerKind, Network};
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, ExprUnary, Ident, Lit, UnOp};

/// Names of the built-in layers, as written in a declaration.
pub const BUILTINS: &[&str] = &[
    "Dense",
    "Linear",
    "Identity",
    "Relu",
    "Sigmoid",
    "Tanh",
    "LeakyRelu",
    "Elu",
    "Prelu",
    "Selu",
    "Silu",
    "Swish",
    "Gelu",
    "Softplus",
    "Softmax",
];

/// A layer ready to expand.
pub struct Resolved {
    /// The struct field (the layer's name).
    pub field: Ident,
    /// The layer's type, e.g. `::staticnet::layers::Dense<784, 128>`.
    pub ty: TokenStream,
    /// An expression building the layer with its declared hyperparameters.
    pub ctor: TokenStream,
    /// Where the layer is declared, for errors in generated code.
    pub span: Span,
    /// Const items that check wiring the macro cannot see (sizes of custom layers).
    pub checks: Vec<TokenStream>,
    /// A nested network or user layer, whose sizes only the type checker knows.
    pub custom: bool,
}

/// The shape flowing between two layers.
#[derive(Clone)]
enum Shape {
    /// Sizes written as numbers in the declaration.
    Known(Vec<usize>),
    /// The output of a custom layer, known only to the type checker: its sample type.
    Type(TokenStream),
}

impl Shape {
    fn sample(&self) -> TokenStream {
        match self {
            Shape::Known(dims) => dims.iter().rev().fold(quote!(f32), |inner, d| quote!([#inner; #d])),
            Shape::Type(ty) => ty.clone(),
        }
    }

    fn describe(&self) -> String {
        match self {
            Shape::Known(dims) => format!("{dims:?}"),
            Shape::Type(_) => "a size known to the type checker".into(),
        }
    }

    /// The number of values per sample, as a const expression.
    fn len(&self) -> TokenStream {
        match self {
            Shape::Known(dims) => {
                let n: usize = dims.iter().product();
                quote!(#n)
            }
            Shape::Type(ty) => quote!(<#ty as ::staticnet::Flat>::LEN),
        }
    }
}

/// Resolves every layer in order, tracking the shape between them.
pub fn resolve(net: &Network) -> syn::Result<Vec<Resolved>> {
    if net.layers.is_empty() {
        return Err(syn::Error::new(net.name.span(), "a network needs at least one layer after `input`"));
    }
    let mut dims = Vec::new();
    for d in &net.input {
        match d.base10_parse::<usize>()? {
            0 => return Err(syn::Error::new(d.span(), "input sizes must be at least 1")),
            n => dims.push(n),
        }
    }
    if dims.is_empty() || dims.len() > 3 {
        return Err(syn::Error::new(net.input_span, "the input is `[features]` or `[channels, height, width]`"));
    }
    let mut shape = Shape::Known(dims);
    let mut source = String::from("the network input");
    let mut seen: Vec<Ident> = Vec::new();
    let mut out = Vec::new();
    for (index, decl) in net.layers.iter().enumerate() {
        let field = field_name(decl, index + 1);
        if let Some(first) = seen.iter().find(|s| **s == field) {
            let mut err = syn::Error::new(field.span(), format!("duplicate layer name `{field}`"));
            err.combine(syn::Error::new(first.span(), "first used here"));
            return Err(err);
        }
        seen.push(field.clone());
        let ctx = Context { network: net.name.to_string(), layer: field.to_string(), source: source.clone() };
        let (resolved, next) = resolve_layer(decl, field.clone(), &shape, &ctx)?;
        out.push(resolved);
        shape = next;
        source = format!("layer `{field}`");
    }
    Ok(out)
}

/// Names used in error messages.
struct Context {
    network: String,
    layer: String,
    source: String,
}

fn field_name(decl: &LayerDecl, position: usize) -> Ident {
    match (&decl.name, &decl.kind) {
        (Some(name), _) => name.clone(),
        (None, LayerKind::Builtin { ident, .. }) => format_ident!("{}_{}", snake(&ident.to_string()), position),
        (None, LayerKind::Custom(ty)) => format_ident!("layer_{}", position, span = ty.span()),
    }
}

fn snake(name: &str) -> String {
    let mut s = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            s.push('_');
        }
        s.push(c.to_ascii_lowercase());
    }
    s
}

fn resolve_layer(decl: &LayerDecl, field: Ident, shape: &Shape, ctx: &Context) -> syn::Result<(Resolved, Shape)> {
    let (ident, args) = match &decl.kind {
        LayerKind::Custom(ty) => return Ok(resolve_custom(ty, field, shape, ctx)),
        LayerKind::Builtin { ident, args } => (ident, args),
    };
    let span = ident.span();
    let name = ident.to_string();
    let sample = shape.sample();
    let activation = |path: TokenStream, ctor: TokenStream| {
        let resolved = Resolved {
            field: field.clone(),
            ty: quote!(#path<#sample>),
            ctor,
            span,
            checks: Vec::new(),
            custom: false,
        };
        Ok((resolved, shape.clone()))
    };
    match name.as_str() {
        "Dense" | "Linear" => resolve_dense(ident, args, field, shape, ctx),
        "Identity" | "Relu" | "Sigmoid" | "Tanh" | "Selu" | "Silu" | "Swish" | "Softplus" => {
            no_args(ident, args)?;
            let kind = if name == "Swish" { format_ident!("Silu", span = span) } else { ident.clone() };
            activation(quote!(::staticnet::layers::#kind), quote!(::core::default::Default::default()))
        }
        "LeakyRelu" => {
            let mut reader = ArgReader::new(ident, args, &["negative_slope"])?;
            let slope = reader.f32(0, "negative_slope")?.unwrap_or(0.01);
            activation(quote!(::staticnet::layers::LeakyRelu), quote!(::staticnet::layers::LeakyRelu::new(#slope)))
        }
        "Elu" => {
            let mut reader = ArgReader::new(ident, args, &["alpha"])?;
            let alpha = reader.f32(0, "alpha")?.unwrap_or(1.0);
            activation(quote!(::staticnet::layers::Elu), quote!(::staticnet::layers::Elu::new(#alpha)))
        }
        "Prelu" => {
            let mut reader = ArgReader::new(ident, args, &["init"])?;
            let init = reader.f32(0, "init")?.unwrap_or(0.25);
            activation(quote!(::staticnet::layers::Prelu), quote!(::staticnet::layers::Prelu::new(#init)))
        }
        "Gelu" => {
            let reader = ArgReader::new(ident, args, &["approximate"])?;
            let tanh = match reader.get(0, "approximate") {
                None => false,
                Some(Expr::Lit(ExprLit { lit: Lit::Str(s), .. })) if s.value() == "tanh" => true,
                Some(Expr::Lit(ExprLit { lit: Lit::Str(s), .. })) if s.value() == "none" => false,
                Some(e) => {
                    return Err(syn::Error::new(e.span(), "`approximate` is \"none\" or \"tanh\", as in PyTorch"));
                }
            };
            activation(quote!(::staticnet::layers::Gelu), quote!(::staticnet::layers::Gelu::new(#tanh)))
        }
        "Softmax" => {
            no_args(ident, args)?;
            let n = flat_width(shape, span, ctx, "Softmax")?;
            let resolved = Resolved {
                field,
                ty: quote!(::staticnet::layers::Softmax<#n>),
                ctor: quote!(::staticnet::layers::Softmax),
                span,
                checks: Vec::new(),
                custom: false,
            };
            Ok((resolved, shape.clone()))
        }
        _ => Err(unknown_layer(ident)),
    }
}

fn resolve_dense(
    ident: &Ident,
    args: &Args,
    field: Ident,
    shape: &Shape,
    ctx: &Context,
) -> syn::Result<(Resolved, Shape)> {
    let span = ident.span();
    let mut reader = ArgReader::new(ident, args, &["init", "bias_init"])?;
    let mut checks = Vec::new();
    let (inputs, outputs) = match args.positional.len() {
        1 => (flat_width(shape, span, ctx, "Dense")?, usize_arg(&args.positional[0])?),
        2 => {
            let declared = usize_arg(&args.positional[0])?;
            match shape {
                Shape::Known(dims) if dims.len() == 1 && dims[0] != declared => {
                    return Err(syn::Error::new(
                        args.positional[0].span(),
                        format!(
                            "layer `{}` expects {declared} inputs, but {} outputs {}",
                            ctx.layer, ctx.source, dims[0]
                        ),
                    ));
                }
                Shape::Known(_) => {
                    flat_width(shape, span, ctx, "Dense")?;
                }
                Shape::Type(_) => checks.push(width_check(shape, quote!(#declared), span, ctx)),
            }
            (quote!(#declared), usize_arg(&args.positional[1])?)
        }
        _ => {
            let at = args.span.unwrap_or(span);
            return Err(syn::Error::new(at, "Dense takes `(out_features)` or `(in_features, out_features)`"));
        }
    };
    if outputs == 0 {
        return Err(syn::Error::new(args.positional.last().span(), "a Dense layer needs at least one output"));
    }
    let init = reader.init("init")?;
    let bias_init = reader.init("bias_init")?;
    let resolved = Resolved {
        field,
        ty: quote!(::staticnet::layers::Dense<#inputs, #outputs>),
        ctor: quote!(::staticnet::layers::Dense { init: #init, bias_init: #bias_init }),
        span,
        checks,
        custom: false,
    };
    Ok((resolved, Shape::Known(vec![outputs])))
}

fn resolve_custom(ty: &syn::Type, field: Ident, shape: &Shape, ctx: &Context) -> (Resolved, Shape) {
    let span = ty.span();
    let expected = quote_spanned!(span=> <<#ty as ::staticnet::Layer>::Input as ::staticnet::Flat>::LEN);
    let check = width_check(shape, expected, span, ctx);
    let resolved = Resolved {
        field,
        ty: quote!(#ty),
        ctor: quote!(::core::default::Default::default()),
        span,
        checks: vec![check],
        custom: true,
    };
    (resolved, Shape::Type(quote!(<#ty as ::staticnet::Layer>::Output)))
}

/// A const item failing to compile, with a message naming both layers and both sizes,
/// when `expected` (a const expression) differs from the width of `shape`.
fn width_check(shape: &Shape, expected: TokenStream, span: Span, ctx: &Context) -> TokenStream {
    let given = shape.len();
    let (network, layer, source) = (&ctx.network, &ctx.layer, &ctx.source);
    quote_spanned! {span=>
        const _: () = ::staticnet::__private::check_width(#expected, #given, #network, #layer, #source);
    }
}

/// The width of a flat (one-dimensional) shape, as a const expression.
fn flat_width(shape: &Shape, span: Span, ctx: &Context, kind: &str) -> syn::Result<TokenStream> {
    match shape {
        Shape::Known(dims) if dims.len() == 1 => {
            let n = dims[0];
            Ok(quote!(#n))
        }
        Shape::Known(_) => Err(syn::Error::new(
            span,
            format!("{kind} takes a flat input, but {} outputs {}", ctx.source, shape.describe()),
        )),
        Shape::Type(ty) => Ok(quote!({ <#ty as ::staticnet::Flat>::LEN })),
    }
}

fn no_args(ident: &Ident, args: &Args) -> syn::Result<()> {
    ArgReader::new(ident, args, &[]).map(|_| ())
}

fn unknown_layer(ident: &Ident) -> syn::Error {
    let name = ident.to_string();
    let closest = BUILTINS
        .iter()
        .map(|b| (edit_distance(&name.to_lowercase(), &b.to_lowercase()), b.len().abs_diff(name.len()), b))
        .min();
    let hint = match closest {
        Some((d, _, b)) if d <= 2 => format!("; did you mean `{b}`?"),
        _ => String::from("; a network or custom layer is written as its type, without arguments"),
    };
    syn::Error::new(ident.span(), format!("unknown layer `{name}`{hint} (built-in layers: {})", BUILTINS.join(", ")))
}

/// Optimal string alignment distance: insertions, deletions, substitutions and swaps of
/// neighbours each cost 1 (so `Rleu` is one step from `Relu`).
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1).min(d[i][j - 1] + 1).min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

/// Reads a layer's arguments by position or by key, rejecting unknown keys and extra values.
struct ArgReader<'a> {
    args: &'a Args,
}

impl<'a> ArgReader<'a> {
    fn new(ident: &Ident, args: &'a Args, keys: &[&str]) -> syn::Result<Self> {
        let max_positional = if ident == "Dense" || ident == "Linear" { 2 } else { keys.len().min(1) };
        if let Some(extra) = args.positional.get(max_positional) {
            let msg = match keys.first() {
                Some(k) if ident != "Dense" && ident != "Linear" => format!("`{ident}` takes one value, `{k}`"),
                _ if ident == "Dense" || ident == "Linear" => {
                    "Dense takes `(out_features)` or `(in_features, out_features)`".into()
                }
                _ => format!("`{ident}` takes no arguments"),
            };
            return Err(syn::Error::new(extra.span(), msg));
        }
        for (key, _) in &args.named {
            if !keys.iter().any(|k| key == k) {
                let allowed = if keys.is_empty() { "none".into() } else { keys.join(", ") };
                return Err(syn::Error::new(
                    key.span(),
                    format!("`{ident}` has no option `{key}` (options: {allowed})"),
                ));
            }
        }
        let mut seen: Vec<&Ident> = Vec::new();
        for (key, _) in &args.named {
            if seen.contains(&key) {
                return Err(syn::Error::new(key.span(), format!("option `{key}` given twice")));
            }
            seen.push(key);
        }
        Ok(ArgReader { args })
    }

    fn get(&self, position: usize, key: &str) -> Option<&'a Expr> {
        let named = self.args.named.iter().find(|(k, _)| k == key).map(|(_, v)| v);
        named.or_else(|| if key == "init" || key == "bias_init" { None } else { self.args.positional.get(position) })
    }

    fn f32(&mut self, position: usize, key: &str) -> syn::Result<Option<f32>> {
        match self.get(position, key) {
            None => Ok(None),
            Some(e) => {
                let v = number(e)?;
                if !v.is_finite() {
                    return Err(syn::Error::new(e.span(), format!("`{key}` must be a finite number")));
                }
                Ok(Some(v as f32))
            }
        }
    }

    fn init(&mut self, key: &str) -> syn::Result<TokenStream> {
        match self.get(usize::MAX, key) {
            None => Ok(quote!(::staticnet::Init::Default)),
            Some(e) => init_expr(e),
        }
    }
}

/// `He`, `XavierUniform`, `Normal(0.01)`, ... as an `Init` value, validated.
fn init_expr(e: &Expr) -> syn::Result<TokenStream> {
    let (name, args): (String, Vec<&Expr>) = match e {
        Expr::Path(p) if p.path.get_ident().is_some() => (p.path.segments[0].ident.to_string(), Vec::new()),
        Expr::Call(c) => match &*c.func {
            Expr::Path(p) if p.path.get_ident().is_some() => {
                (p.path.segments[0].ident.to_string(), c.args.iter().collect())
            }
            _ => return Err(init_error(e)),
        },
        _ => return Err(init_error(e)),
    };
    let arity = |n: usize| if args.len() == n { Ok(()) } else { Err(init_error(e)) };
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
        _ => return Err(init_error(e)),
    };
    arity(0)?;
    let variant = format_ident!("{}", variant);
    Ok(quote!(::staticnet::Init::#variant))
}

fn init_error(e: &Expr) -> syn::Error {
    syn::Error::new(
        e.span(),
        "unknown initialiser; use Default, Uniform(low, high), Normal(std), XavierUniform, XavierNormal, \
         HeUniform, HeNormal (or He), Zeros or Constant(c)",
    )
}

fn usize_arg(e: &Expr) -> syn::Result<usize> {
    match e {
        Expr::Lit(ExprLit { lit: Lit::Int(i), .. }) => i.base10_parse(),
        _ => Err(syn::Error::new(e.span(), "expected a size written as a number, e.g. `128`")),
    }
}

fn number(e: &Expr) -> syn::Result<f64> {
    match e {
        Expr::Lit(ExprLit { lit: Lit::Int(i), .. }) => i.base10_parse(),
        Expr::Lit(ExprLit { lit: Lit::Float(f), .. }) => f.base10_parse(),
        Expr::Unary(ExprUnary { op: UnOp::Neg(_), expr, .. }) => number(expr).map(|v| -v),
        _ => Err(syn::Error::new(e.span(), "expected a number, e.g. `0.01`")),
    }
}
