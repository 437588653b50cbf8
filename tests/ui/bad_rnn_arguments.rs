use staticnet::prelude::*;

network! {
    struct Sigmoidal {
        input: [8, 2],
        rnn: Rnn(16, nonlinearity = sigmoid),
        head: Dense(1),
    }
}

network! {
    struct Maybe {
        input: [8, 2],
        lstm: Lstm(16, return_sequences = 1),
        head: Dense(1),
    }
}

network! {
    struct BothWays {
        input: [8, 2],
        gru: Gru(16, bidirectional = "yes"),
        head: Dense(1),
    }
}

fn main() {}
