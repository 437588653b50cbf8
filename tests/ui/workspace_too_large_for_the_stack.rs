use staticnet::prelude::*;

network! {
    struct Wide {
        input: [4096],
        fc1: Dense(512),
        Relu,
        fc2: Dense(10),
    }
}

fn main() {
    // 256 rows of 4096 inputs: far more than a thread's stack, even when this branch never runs.
    if std::env::args().count() > 99 {
        let _ws = Workspace::<Wide, 256>::new();
    }
}
