use staticnet::prelude::*;

network! {
    struct WrongShape {
        input: [1, 6, 6],
        #[frozen(weights = "../data/frozen_base.safetensors")]
        conv: Conv2d(3, 3),
        Relu,
        Flatten,
        head: Dense(3),
    }
}

network! {
    struct MissingTensor {
        input: [4],
        #[frozen(weights = "../data/frozen_base.safetensors")]
        encoder: Dense(8),
        head: Dense(2),
    }
}

network! {
    struct NoSuchFile {
        input: [4],
        #[frozen(weights = "../data/no_such_file.safetensors")]
        encoder: Dense(8),
        head: Dense(2),
    }
}

network! {
    struct FrozenLstm {
        input: [4, 3],
        #[frozen(weights = "../data/frozen_base.safetensors")]
        lstm: Lstm(8),
        head: Dense(2),
    }
}

network! {
    struct NoWeights {
        input: [4],
        #[frozen]
        encoder: Dense(8),
        head: Dense(2),
    }
}

fn main() {}
