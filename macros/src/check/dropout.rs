//! `Dropout(p = 0.5)`, inverted dropout whose stream is seeded by the layer's place.

use super::{Call, Checked};
use crate::desc::{self, Kind};

pub fn check(call: &Call<'_>) -> syn::Result<Checked> {
    let reader = call.reader(&["p"])?;
    let p = reader.f32("p")?.unwrap_or(0.5);
    if !(0.0..1.0).contains(&p) {
        return Err(syn::Error::new(reader.span("p", call.span()), "the drop probability p must be in [0, 1)"));
    }
    // Each dropout layer draws its own stream: the seed is a hash of its place.
    let seed = fnv1a(&format!("{}::{}", call.ctx.network, call.ctx.layer));
    Ok(Checked::new(Kind::Dropout(desc::Dropout { p, seed }), call.input.clone()))
}

/// 64-bit FNV-1a hash.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}
