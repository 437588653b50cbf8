//! Compile-time checks emitted by `network!` for sizes only the type checker knows (the
//! input of a nested network or custom layer). Not a public API.

/// A message built at compile time (const fns cannot use `format!`).
struct ConstMessage {
    bytes: [u8; 512],
    len: usize,
}

impl ConstMessage {
    const fn new() -> Self {
        ConstMessage { bytes: [0; 512], len: 0 }
    }

    const fn text(mut self, s: &str) -> Self {
        let b = s.as_bytes();
        let mut i = 0;
        while i < b.len() && self.len < self.bytes.len() {
            self.bytes[self.len] = b[i];
            self.len += 1;
            i += 1;
        }
        self
    }

    const fn number(mut self, mut n: usize) -> Self {
        let mut digits = [0u8; 20];
        let mut count = 0;
        loop {
            digits[count] = b'0' + (n % 10) as u8;
            count += 1;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        while count > 0 && self.len < self.bytes.len() {
            count -= 1;
            self.bytes[self.len] = digits[count];
            self.len += 1;
        }
        self
    }

    const fn as_str(&self) -> &str {
        match core::str::from_utf8(self.bytes.split_at(self.len).0) {
            Ok(s) => s,
            Err(_) => "staticnet: layer sizes do not match",
        }
    }
}

/// Fails compilation unless `expected == given`, naming the network, the layer and what
/// feeds it, with both sizes in decimal.
pub const fn check_width(expected: usize, given: usize, network: &str, layer: &str, source: &str) {
    if expected != given {
        let msg = ConstMessage::new()
            .text("network `")
            .text(network)
            .text("`: layer `")
            .text(layer)
            .text("` takes samples of ")
            .number(expected)
            .text(" values, but ")
            .text(source)
            .text(" outputs ")
            .number(given);
        panic!("{}", msg.as_str());
    }
}
