use staticnet::prelude::*;

network! {
    /// Miswired: `fc1` declares 31 inputs for 30 features. Later code uses the network as
    /// if it were right; that mistake must be the only error.
    struct Net {
        input: [30],
        fc1: Dense(31, 16),
        Relu,
        fc2: Dense(2),
    }
}

fn main() {
    let mut model = Model::<Net>::new(0);
    let mut ws = Workspace::<Net, 8>::new();
    let mut adam = Adam::<Net>::new(1e-3);
    let inputs = [[0.0f32; 30]; 8];
    let labels = [0usize; 8];
    let loss = ws.train_step(&mut model, &inputs, &labels, &CrossEntropyLoss, &mut adam);
    println!("{loss:?} {} parameters", Net::PARAMS);
}
