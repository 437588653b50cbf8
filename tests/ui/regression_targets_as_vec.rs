use staticnet::prelude::*;

network! {
    struct Regressor {
        input: [8],
        hidden: Dense(16),
        Tanh,
        out: Dense(1),
    }
}

fn main() {
    let mut model = Model::<Regressor>::new(0);
    let mut ws = Workspace::<Regressor, 4>::new();
    let inputs = [[0.0f32; 8]; 4];
    // One value per row, as a CSV column reads; the loss wants `[f32; 1]` rows.
    let targets: Vec<f32> = vec![0.0; 4];
    let _ = ws.train_step(&mut model, &inputs, &targets, &MseLoss, &mut Sgd::new(0.1));
}
