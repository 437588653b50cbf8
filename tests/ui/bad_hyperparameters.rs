use staticnet::prelude::*;

network! {
    struct ZeroWidth {
        input: [4],
        fc: Dense(0),
    }
}

network! {
    struct NegativeStd {
        input: [4],
        fc: Dense(3, init = Normal(-0.1)),
    }
}

network! {
    struct UnknownOption {
        input: [4],
        act: LeakyRelu(slope = 0.2),
    }
}

network! {
    struct WrongSlopes {
        input: [3, 4, 4],
        act: PReLU(num_parameters = 4),
    }
}

fn main() {}
