//! Names used in error messages: the network, the layer being checked and what feeds it.

/// Where the layer being checked sits.
pub struct Context {
    /// The network being declared.
    pub network: String,
    /// The layer being checked.
    pub layer: String,
    /// What feeds the layer.
    pub source: Source,
}

/// What feeds a layer: the network's input or the layer before it.
#[derive(Clone)]
pub enum Source {
    /// The network's input (also for the first layer of a residual block at the start).
    Input,
    /// The layer of this name.
    Layer(String),
}

impl Source {
    /// The source as a noun: "the network's input" or "layer `fc1`".
    pub fn name(&self) -> String {
        match self {
            Source::Input => "the network's input".into(),
            Source::Layer(layer) => format!("layer `{layer}`"),
        }
    }

    /// "the network's input has 30 values" or "layer `fc1` outputs 30".
    pub fn values(&self, n: usize) -> String {
        match self {
            Source::Input => format!("the network's input has {n} values"),
            Source::Layer(layer) => format!("layer `{layer}` outputs {n}"),
        }
    }

    /// "the network's input is [784]" or "layer `fc1` outputs [784]", for a shape or size
    /// as written in a message.
    pub fn shape(&self, shape: &str) -> String {
        match self {
            Source::Input => format!("the network's input is {shape}"),
            Source::Layer(layer) => format!("layer `{layer}` outputs {shape}"),
        }
    }
}
