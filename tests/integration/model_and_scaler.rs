//! A model saved with its input scaler predicts from raw inputs after loading, and a scaler
//! of another model, kind or width is an error that leaves the model unchanged.

use staticnet::data::{
    MinMaxScaler, Scaler, ScalerFileError, StandardScaler, load_model_and_scaler, save_model_and_scaler, scaler_path,
};
use staticnet::prelude::*;

network! {
    struct Net {
        input: [3],
        fc1: Dense(4),
        Relu,
        fc2: Dense(2),
    }
}

fn raw() -> Vec<[f32; 3]> {
    (0..12).map(|i| [i as f32 * 100.0, (i % 3) as f32 * 0.01, 5.0 - i as f32]).collect()
}

#[test]
fn a_loaded_model_predicts_from_raw_inputs_with_its_scaler() {
    let dir = std::env::temp_dir().join(format!("staticnet-model-scaler-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (path, other) = (dir.join("net.safetensors"), dir.join("other.safetensors"));

    let scaler = StandardScaler::fit(&raw()).unwrap();
    let mut data = Dataset::<3>::new(raw(), (0..12).map(|i| i % 2).collect()).unwrap();
    scaler.transform_all(&mut data.inputs);
    let mut model = Model::<Net>::new(1);
    let mut ws = Workspace::<Net, 4>::new();
    let mut sgd = Sgd::new(0.1);
    for _ in 0..5 {
        train_epoch(&mut ws, &mut model, &data, &CrossEntropyLoss, &mut sgd).unwrap();
    }
    save_model_and_scaler(&model, &scaler, &path).unwrap();
    assert!(scaler_path(&path).exists());

    let mut loaded = Model::<Net>::new(99);
    let loaded_scaler: StandardScaler<3> = load_model_and_scaler(&mut loaded, &path).unwrap();
    let mut ws2 = Workspace::<Net, 4>::new();
    for x in raw() {
        assert_eq!(ws2.predict(&loaded, &loaded_scaler.transform(&x)), ws.predict(&model, &scaler.transform(&x)));
    }

    // Another model's scaler beside this model: refused, the model untouched.
    save_model_and_scaler(&Model::<Net>::new(2), &scaler, &other).unwrap();
    std::fs::copy(scaler_path(&other), scaler_path(&path)).unwrap();
    let mut fresh = Model::<Net>::new(7);
    let before = fresh.params;
    let err = load_model_and_scaler::<Net, StandardScaler<3>, 3>(&mut fresh, &path).unwrap_err();
    assert!(matches!(err, ScalerFileError::OtherModel { .. }), "{err}");
    assert!(err.to_string().ends_with(&format!("this scaler was saved with another model than {}", path.display())));
    assert_eq!(fresh.params.as_flat(), before.as_flat());

    let err = load_model_and_scaler::<Net, MinMaxScaler<3>, 3>(&mut fresh, &other).unwrap_err();
    assert!(matches!(err, ScalerFileError::Kind { .. }), "{err}");
    let err = load_model_and_scaler::<Net, StandardScaler<4>, 4>(&mut fresh, &other).unwrap_err();
    assert_eq!(err.to_string(), format!("{}: scaler of 4 features, the model takes 3", scaler_path(&other).display()));
    let wide = StandardScaler::fit(&[[0.0f32; 4]]).unwrap();
    assert!(matches!(save_model_and_scaler(&model, &wide, &other), Err(ScalerFileError::Width { .. })));
    std::fs::remove_dir_all(dir).unwrap();
}
