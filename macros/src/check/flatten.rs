//! `Flatten`: the same values in one dimension.

use super::{Call, Checked};
use crate::desc::Kind;

pub fn check(call: &Call<'_>) -> syn::Result<Checked> {
    call.reader(&[])?;
    Ok(Checked::new(Kind::Flatten, call.input.flattened()))
}
