//! Training on every core: [`ParallelWorkspace`] splits each batch over worker threads
//! started once (`std` only; without it, [`Workspace`](crate::Workspace) trains on one
//! core, allocation-free, as on a microcontroller).
//!
//! ```
//! use staticnet_core::layers::Dense;
//! use staticnet_core::loss::CrossEntropyLoss;
//! use staticnet_core::optim::Sgd;
//! use staticnet_core::parallel::ParallelWorkspace;
//! use staticnet_core::Model;
//!
//! type Net = Dense<4, 3>;
//! let mut model = Model::<Net>::new(0);
//! // Two threads: this one and one worker, which lives as long as the workspace.
//! let mut ws = ParallelWorkspace::<Net, 16>::new_boxed(2).unwrap();
//! let x = [[0.5f32, -1.0, 2.0, 0.0]; 16];
//! let y = [1usize; 16];
//! let loss = ws.train_step(&mut model, &x, &y, &CrossEntropyLoss, &mut Sgd::new(0.1)).unwrap();
//! assert!(loss > 0.0 && ws.threads() == 2);
//! ```

mod disjoint;
mod pool;
mod workspace;

pub use workspace::{ParallelWorkspace, default_threads};
