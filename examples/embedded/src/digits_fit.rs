//! The training run both digit classifiers share: `fit` in fused steps on the fit-train
//! rows, with early stopping on the validation rows, each epoch printed over semihosting;
//! then the accuracy on the test rows.

use crate::digits::{
    DIGITS, FIT_TRAIN, LABELS, Split, TEST, VALIDATION, accuracy, is_fit_train, is_test, is_validation,
};
use crate::{exit, fail};
use cortex_m_semihosting::{debug, hprintln};
use staticnet::prelude::*;
use staticnet::train::callbacks::{Callback, CallbackError, Control, EarlyStopping, Logs};
use staticnet::train::{BatchBuffers, FitError, fit};
use staticnet::{Flat, FusedLayer};

/// How long to train.
pub struct Schedule {
    /// Epochs at most.
    pub epochs: usize,
    /// Epochs without a better validation loss before early stopping ends the run.
    pub patience: usize,
    /// Seeds the shuffling.
    pub seed: u64,
}

/// Prints the memory the run takes, from compile-time constants: the network's
/// parameters, the model, the fused workspace (and the unfused one for comparison), the
/// validation workspace, the Adam state, the batch buffers and the data in flash.
pub fn print_memory<N, const B: usize>()
where
    N: FusedLayer<Input = [f32; 64], Output = [f32; 10]>,
{
    hprintln!(
        "compile-time memory: parameters {} B, model {} B, fused workspace {} B (unfused {} B), validation workspace {} B, Adam state {} B, batch buffers {} B, data in flash {} B",
        N::PARAMS * 4,
        Model::<N>::BYTES,
        FusedWorkspace::<N, B>::BYTES,
        Workspace::<N, B>::BYTES,
        InferenceWorkspace::<N, B>::BYTES,
        Adam::<N>::STATE_BYTES,
        core::mem::size_of::<BatchBuffers<64, usize, B>>(),
        core::mem::size_of_val(&DIGITS) + core::mem::size_of_val(&LABELS)
    );
}

/// Trains `model` and returns its test accuracy; exits QEMU with a failure on an error.
pub fn fit_and_test<N, const B: usize>(
    model: &mut Model<N>,
    ws: &mut FusedWorkspace<N, B>,
    adam: &mut Adam<N>,
    validation_ws: &mut InferenceWorkspace<N, B>,
    buffers: &mut BatchBuffers<64, usize, B>,
    schedule: &Schedule,
) -> f32
where
    N: FusedLayer<Input = [f32; 64], Output = [f32; 10]>,
    N::Input: Flat,
{
    let mut train = Split::<FIT_TRAIN>::new(is_fit_train);
    let mut validation = Split::<VALIDATION>::new(is_validation);
    let mut early = EarlyStopping::new("val_loss").patience(schedule.patience);
    let run = fit(model, ws, adam, &CrossEntropyLoss)
        .epochs(schedule.epochs)
        .seed(schedule.seed)
        .verbose(0)
        .validation_data(&mut validation)
        .validation_workspace(validation_ws)
        .callbacks(&mut [&mut early])
        .run_in(&mut train, buffers, &mut PrintEpochs);
    match run {
        Ok(_) => {}
        Err(FitError::Step { error, .. }) => fail(error),
        Err(e) => {
            hprintln!("error: {}", e);
            exit(debug::EXIT_FAILURE)
        }
    }
    match early.stopped_epoch() {
        Some(epoch) => hprintln!(
            "early stopping: stopped after epoch {} (best val_loss {:.4} at epoch {})",
            epoch + 1,
            early.best().unwrap_or(f64::NAN),
            early.best_epoch() + 1
        ),
        None => hprintln!("trained all {} epochs", schedule.epochs),
    }
    let test = Split::<TEST>::new(is_test);
    accuracy(ws, model, &test, buffers).unwrap_or_else(|e| fail(e))
}

/// Prints each epoch's training and validation loss over semihosting.
struct PrintEpochs;

impl<N: Layer> Callback<N> for PrintEpochs {
    fn on_epoch_end(&mut self, epoch: usize, logs: &mut Logs, _: &mut Control<'_, N>) -> Result<(), CallbackError> {
        let (loss, val_loss) = (logs.get("loss").unwrap_or(f64::NAN), logs.get("val_loss").unwrap_or(f64::NAN));
        hprintln!("epoch {:2}  loss {:.4}  val_loss {:.4}", epoch + 1, loss, val_loss);
        Ok(())
    }
}
