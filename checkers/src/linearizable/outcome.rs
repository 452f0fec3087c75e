//! What a key's search is given and what it gives back, as a leaf of the module: the search, the
//! preparation, the models (whose `decide` may answer without a search) and the distinct-value
//! procedure all use these, so none of them has to import another for its types.

/// The completion position of an operation that never (certainly) completed.
pub const NEVER: usize = usize::MAX;

/// One operation the search may place.
#[derive(Clone, Debug)]
pub struct Call<Op> {
    pub op: Op,
    /// `info` (or never completed): may be placed anywhere after `invoke`, or not at all.
    pub info: bool,
    /// Position of the invocation event in the history.
    pub invoke: usize,
    /// Position of the completion event; [`NEVER`] for `info`.
    pub ret: usize,
    /// Position in [`crate::History::pairs`].
    pub pair: usize,
}

/// How a key's search ended.
#[derive(Debug)]
pub enum Verdict<S> {
    Linearizable,
    NotLinearizable(Failure<S>),
    Unknown(String),
}

/// The deepest point any linearization reached.
#[derive(Debug)]
pub struct Failure<S> {
    /// The operations (indices into the calls) of the longest linearizable prefix, in order.
    pub prefix: Vec<u32>,
    /// The model's state after that prefix.
    pub state: S,
    /// The operation whose completion no linearization got past.
    pub blocked: u32,
    /// Found before any search: no operation invoked before `blocked` completed can leave the
    /// state it needs, and the object did not start in it.
    pub unreachable: bool,
}

/// The verdict and what the search cost.
#[derive(Debug)]
pub struct SearchOutcome<S> {
    pub verdict: Verdict<S>,
    /// Configurations entered (memo table entries).
    pub configurations: usize,
    /// Peak estimate of the bytes the search held.
    pub memo_bytes: usize,
}
