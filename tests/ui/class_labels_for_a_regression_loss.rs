use staticnet::data::Dataset;
use staticnet::prelude::*;

network! {
    struct Classifier {
        input: [4],
        hidden: Dense(8),
        Relu,
        out: Dense(3),
    }
}

fn main() {
    let mut model = Model::<Classifier>::new(0);
    let mut ws = Workspace::<Classifier, 4>::new();
    let data = Dataset::<4>::default();
    // train_epoch trains on class labels: a regression loss does not take them.
    let _ = train_epoch(&mut ws, &mut model, &data, &MseLoss, &mut Sgd::new(0.1));
}
