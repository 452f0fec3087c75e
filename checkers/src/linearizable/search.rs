//! The Wing–Gong–Lowe search (Wing & Gong, "Testing and verifying concurrent objects", 1993;
//! Lowe, "Testing for linearizability", 2017), as Porcupine lays it out: the events in time order
//! in a doubly linked list; an operation may be linearized next if its invocation comes before
//! every completion still in the list; linearizing it lifts its events out; reaching a completion
//! whose operation is not linearized means this branch is dead, so undo the last choice. A memo
//! table of configurations (linearized set, state) already entered keeps the search from exploring
//! any configuration twice. The search is iterative (an explicit stack), so long histories cannot
//! overflow the call stack.
//!
//! `info` operations have no completion: they may be placed at any point after their invocation,
//! or never. Three refinements keep them from blowing the search up:
//!
//! 1. **Unobserved `info` operations are dropped before the search** (`prepare.rs`,
//!    [`Model::unobserved_infos`]).
//! 2. **`info` operations are tried last, one per kind.** They are candidates only after every
//!    `ok` candidate, so the depth-first search advances on operations that must be placed before
//!    it spends choices on ones that may never have happened. `info` operations that are the same
//!    operation (say, three timed-out `cas 1 -> 2`) are interchangeable once invoked: the search
//!    only ever places the earliest invoked one not yet placed, so which of them are placed is
//!    a count, and configurations that differ only in which twin was used are one configuration.
//! 4. **Goal-directed `info` operations.** When every operation either ignores the state (blind)
//!    or succeeds from exactly one state (registers, compare-and-set, mutex), an `info` operation
//!    in a linearization is either followed by a blind one (then it can be left out: its effect is
//!    lost) or by one that needs exactly the state it leaves. So at a dead end, an `info`
//!    operation is tried only if the state it leaves is needed by a candidate `ok` operation, or
//!    by another `info` operation that may in turn lead to one (a backward closure).
//! 5. **Dominance.** When there are few kinds of `info` operations (at most
//!    [`DOMINANCE_KINDS`], counting deferred lists), a configuration is stored as (the set of
//!    `ok` operations placed, the state) with the vector of how many twins of each kind are used.
//!    A configuration with the same set and state and at least as many twins used of every kind
//!    as one already entered can do nothing the earlier one could not (it has fewer, and later
//!    invoked, `info` operations left), so it is not entered. This is the subsumption check of
//!    antichain-based model checking.
//! 3. **Deferred blind `info` operations.** An `info` operation whose outcome does not depend on
//!    the state (a blind write) never has to be placed on its own: in any linearization, the
//!    operation that follows it either also ignores the state (then the write's effect is lost and
//!    it can be left out) or reads the state (then the write sits right before it). Moving an
//!    `info` operation later never breaks real-time order, as it has no completion. So the search
//!    places a blind `info` operation only together with a following operation that needs exactly
//!    the state it leaves ([`Model::required_state`]). Among several unplaced blind `info`
//!    operations that leave the same state, the earliest invoked stands for all: they differ only
//!    in when they become available, and once available they stay so. This is Lowe's
//!    "just-in-time linearization" idea applied to indeterminate writes.

use super::memo::{op_key, state_key, Memo, StateTable};
use super::model::Model;
pub use super::outcome::{Call, Failure, SearchOutcome, Verdict};
use crate::fxhash::FxHashMap;
use crate::Budget;

const NONE: u32 = u32::MAX;
/// Dominance (refinement 5) is used when the `info` kinds and deferred lists are at most this many.
pub const DOMINANCE_KINDS: usize = 64;
/// How many search steps between two polls of the budget.
const POLL_EVERY: u64 = 4096;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum NodeKind {
    Call,
    Return,
    Head,
}

#[derive(Clone, Copy, Debug)]
struct Node {
    kind: NodeKind,
    call: u32,
    time: usize,
}

/// Where the scan for the next candidate is.
#[derive(Clone, Copy, Debug)]
enum Cursor {
    /// At a node of the main list (calls and completions of `ok` operations).
    Main(u32),
    /// At a kind of `info` operation.
    Info(u32),
}

/// A choice on the search path.
#[derive(Clone, Copy, Debug)]
struct Frame {
    call: u32,
    /// Which alternative of `call` was taken (see `try_alternatives`).
    alt: u32,
    prev_state: u32,
    /// What was placed right before `call` in the same step.
    before: Before,
}

/// An `info` operation placed together with, and right before, the operation of a frame.
#[derive(Clone, Copy, Debug)]
enum Before {
    Nothing,
    /// A deferred blind operation, from deferred list `slot`.
    Deferred {
        call: u32,
        slot: u32,
    },
}

impl Before {
    fn call(self) -> u32 {
        match self {
            Before::Nothing => NONE,
            Before::Deferred { call, .. } => call,
        }
    }
}

/// Interchangeable `info` operations, earliest invoked first; the first `used` are placed on
/// the current path. Deferred blind operations are grouped by the state they leave, the others
/// by being the same operation.
struct Twins {
    state: u32,
    calls: Vec<u32>,
    used: u32,
}

struct Search<'a, M: Model> {
    model: &'a M,
    calls: &'a [Call<M::Op>],
    nodes: Vec<Node>,
    next: Vec<u32>,
    prev: Vec<u32>,
    head: u32,
    call_node: Vec<u32>,
    return_node: Vec<u32>,
    /// Per call: the deferred list that could produce the state it requires, or `NONE`.
    slot: Vec<u32>,
    deferred: Vec<Twins>,
    /// Non-blind `info` operations by kind, kinds in order of first invocation.
    kinds: Vec<Twins>,
    /// Per `info` call: its kind, or `NONE`.
    kind_of: Vec<u32>,
    /// Every operation is blind or has one required state (refinement 4 applies).
    goal_directed: bool,
    /// Per call: the interned state it requires, or `NONE`.
    required: Vec<u32>,
    /// Per non-blind `info` call: the state it leaves from its required state, or `NONE`.
    leaves: Vec<u32>,
    /// Cached states from which an `ok` candidate can be reached through unplaced `info`
    /// operations; `None` after any change.
    wanted: Option<Vec<u32>>,
    states: StateTable<M::State>,
    memo: Memo,
    /// Refinement 5 is on.
    dominance: bool,
    /// Fingerprint of the `ok` operations placed.
    placed_ok: u128,
    /// (placed `ok` fingerprint, state) -> offsets into `vectors` of the count vectors entered.
    dominators: FxHashMap<u128, Vec<u32>>,
    /// Count vectors, `width` entries each.
    vectors: Vec<u16>,
    width: usize,
    stack: Vec<Frame>,
    state: u32,
    linearized: u128,
    ok_left: usize,
    /// Cached (time, call) of the first completion still in the list; `None` after any change.
    frontier: Option<(usize, u32)>,
    best: Option<(usize, usize)>,
    best_path: Vec<u32>,
    best_path_valid: usize,
    best_state: u32,
    best_blocked: u32,
    peak_bytes: usize,
}

/// Which refinements (module documentation) the search uses. All are on outside tests; tests turn
/// them off to compare against the plain Wing–Gong–Lowe search.
#[derive(Clone, Copy, Debug)]
pub struct Refinements {
    /// Refinement 2: identical `info` operations are twins.
    pub twins: bool,
    /// Refinement 3: blind `info` operations are deferred.
    pub defer_blind: bool,
    /// Refinement 4.
    pub goal_directed: bool,
    /// Refinement 5.
    pub dominance: bool,
}

impl Refinements {
    pub const ALL: Refinements = Refinements {
        twins: true,
        defer_blind: true,
        goal_directed: true,
        dominance: true,
    };
    pub const NONE: Refinements = Refinements {
        twins: false,
        defer_blind: false,
        goal_directed: false,
        dominance: false,
    };
}

/// Searches for a linearization of `calls` (sorted by invocation) from `initial`.
pub fn search<M: Model>(
    model: &M,
    calls: &[Call<M::Op>],
    initial: M::State,
    budget: &Budget,
) -> SearchOutcome<M::State> {
    search_with(model, calls, initial, budget, Refinements::ALL)
}

/// [`search`] with a choice of refinements.
pub fn search_with<M: Model>(
    model: &M,
    calls: &[Call<M::Op>],
    initial: M::State,
    budget: &Budget,
    refinements: Refinements,
) -> SearchOutcome<M::State> {
    let mut s = Search::new(model, calls, initial, refinements);
    let verdict = s.run(budget);
    SearchOutcome {
        verdict,
        configurations: s.memo.len(),
        memo_bytes: s.peak_bytes.max(s.bytes()),
    }
}

impl<'a, M: Model> Search<'a, M> {
    fn new(
        model: &'a M,
        calls: &'a [Call<M::Op>],
        initial: M::State,
        refinements: Refinements,
    ) -> Self {
        let n = calls.len();
        let mut states = StateTable::new();
        let state = states.intern(initial);
        // Deferred blind info operations, grouped by the state they leave; other info
        // operations grouped by kind.
        let mut deferred: Vec<Twins> = Vec::new();
        let mut by_state: FxHashMap<M::State, u32> = FxHashMap::default();
        let mut kinds: Vec<Twins> = Vec::new();
        // Without twins, every operation is its own kind (keyed by its position).
        let mut by_op: FxHashMap<(Option<&M::Op>, usize), u32> = FxHashMap::default();
        let mut kind_of = vec![NONE; n];
        for (i, c) in calls.iter().enumerate() {
            if !c.info {
                continue;
            }
            let blind = model
                .blind_result(&c.op)
                .filter(|_| refinements.defer_blind);
            let (table, key) = if let Some(result) = blind {
                let id = states.intern(result.clone());
                let slot = *by_state.entry(result).or_insert_with(|| {
                    deferred.push(Twins {
                        state: id,
                        calls: Vec::new(),
                        used: 0,
                    });
                    deferred.len() as u32 - 1
                });
                (&mut deferred, slot)
            } else {
                let twin_key = if refinements.twins {
                    (Some(&c.op), 0)
                } else {
                    (None, i)
                };
                let kind = *by_op.entry(twin_key).or_insert_with(|| {
                    kinds.push(Twins {
                        state: NONE,
                        calls: Vec::new(),
                        used: 0,
                    });
                    kinds.len() as u32 - 1
                });
                kind_of[i] = kind;
                (&mut kinds, kind)
            };
            table[key as usize].calls.push(i as u32);
        }
        let mut goal_directed = refinements.goal_directed;
        let mut required = vec![NONE; n];
        let mut leaves = vec![NONE; n];
        for (i, c) in calls.iter().enumerate() {
            match model.required_state(&c.op) {
                Some(r) => {
                    if c.info && kind_of[i] != NONE {
                        if let Some(after) = model.step(&r, &c.op, 0) {
                            leaves[i] = states.intern(after);
                        }
                    }
                    required[i] = states.intern(r);
                }
                None => goal_directed &= model.blind_result(&c.op).is_some(),
            }
        }
        let slot = calls
            .iter()
            .map(|c| {
                model
                    .required_state(&c.op)
                    .and_then(|r| by_state.get(&r).copied())
                    .unwrap_or(NONE)
            })
            .collect();
        // Calls and completions of `ok` operations, in time order.
        let mut nodes: Vec<Node> = Vec::with_capacity(2 * n + 1);
        for (i, c) in calls.iter().enumerate().filter(|(_, c)| !c.info) {
            let call = i as u32;
            nodes.push(Node {
                kind: NodeKind::Call,
                call,
                time: c.invoke,
            });
            nodes.push(Node {
                kind: NodeKind::Return,
                call,
                time: c.ret,
            });
        }
        nodes.sort_unstable_by_key(|n| n.time);
        let ok_left = nodes.len() / 2;
        let head = nodes.len() as u32;
        nodes.push(Node {
            kind: NodeKind::Head,
            call: NONE,
            time: usize::MAX,
        });
        let len = nodes.len();
        let next: Vec<u32> = (0..len as u32).map(|i| (i + 1) % len as u32).collect();
        let prev: Vec<u32> = (0..len as u32)
            .map(|i| (i + len as u32 - 1) % len as u32)
            .collect();
        let mut call_node = vec![NONE; n];
        let mut return_node = vec![NONE; n];
        for (id, node) in nodes.iter().enumerate() {
            match node.kind {
                NodeKind::Return => return_node[node.call as usize] = id as u32,
                NodeKind::Call => call_node[node.call as usize] = id as u32,
                NodeKind::Head => {}
            }
        }
        Search {
            model,
            calls,
            nodes,
            next,
            prev,
            head,
            call_node,
            return_node,
            slot,
            deferred,
            kinds,
            kind_of,
            goal_directed,
            required,
            leaves,
            wanted: None,
            states,
            memo: Memo::with_capacity(n),
            dominance: refinements.dominance,
            placed_ok: 0,
            dominators: FxHashMap::default(),
            vectors: Vec::new(),
            width: 0,
            stack: Vec::new(),
            state,
            linearized: 0,
            ok_left,
            frontier: None,
            best: None,
            best_path: Vec::new(),
            best_path_valid: 0,
            best_state: state,
            best_blocked: NONE,
            peak_bytes: 0,
        }
    }

    fn bytes(&self) -> usize {
        self.vectors.capacity() * 2
            + self.dominators.capacity() * 48
            + self.memo.estimated_bytes()
            + self.states.estimated_bytes()
            + self.stack.capacity() * std::mem::size_of::<Frame>()
            + self.best_path.capacity() * 4
            + self.nodes.len() * (std::mem::size_of::<Node>() + 8)
    }

    fn first(&self) -> Cursor {
        Cursor::Main(self.next[self.head as usize])
    }

    fn run(&mut self, budget: &Budget) -> Verdict<M::State> {
        self.width = self.kinds.len() + self.deferred.len();
        self.dominance &= self.width > 0 && self.width <= DOMINANCE_KINDS;
        if let Some(blocked) = self.unreachable_requirement() {
            return Verdict::NotLinearizable(Failure {
                prefix: Vec::new(),
                state: self.states.get(self.state).clone(),
                blocked,
                unreachable: true,
            });
        }
        self.enter(call_none(), self.state, [NONE, NONE]);
        let mut cursor = self.first();
        let mut steps: u64 = 0;
        loop {
            if self.ok_left == 0 {
                return Verdict::Linearizable;
            }
            steps += 1;
            if steps % POLL_EVERY == 0 {
                let bytes = self.bytes();
                self.peak_bytes = self.peak_bytes.max(bytes);
                if let Some(reason) = budget.exhausted(bytes) {
                    return Verdict::Unknown(reason);
                }
            }
            cursor = match cursor {
                Cursor::Main(id) => {
                    let node = self.nodes[id as usize];
                    match node.kind {
                        NodeKind::Call if self.try_alternatives(node.call, 0) => self.first(),
                        NodeKind::Call => Cursor::Main(self.next[id as usize]),
                        // The `ok` candidates are exhausted; `info` operations invoked before
                        // this completion are the remaining ones.
                        NodeKind::Return | NodeKind::Head => Cursor::Info(0),
                    }
                }
                Cursor::Info(k) if (k as usize) < self.kinds.len() => {
                    // Newest kinds first: the `info` operation that rescues a dead end was
                    // most likely invoked near it.
                    let kind = &self.kinds[self.kinds.len() - 1 - k as usize];
                    match kind.calls.get(kind.used as usize).copied() {
                        Some(call)
                            if self.calls[call as usize].invoke < self.frontier().0
                                && self.is_wanted(call)
                                && self.try_alternatives(call, 0) =>
                        {
                            self.first()
                        }
                        _ => Cursor::Info(k + 1),
                    }
                }
                Cursor::Info(_) => {
                    self.record_dead_end();
                    match self.backtrack() {
                        Some(next) => next,
                        None => return Verdict::NotLinearizable(self.failure()),
                    }
                }
            };
        }
    }

    /// The first completion still in the list: (its time, its operation), or `usize::MAX`.
    fn frontier(&mut self) -> (usize, u32) {
        if let Some(f) = self.frontier {
            return f;
        }
        let mut id = self.next[self.head as usize];
        let f = loop {
            let node = self.nodes[id as usize];
            match node.kind {
                NodeKind::Return => break (node.time, node.call),
                NodeKind::Head => break (usize::MAX, NONE),
                NodeKind::Call => id = self.next[id as usize],
            }
        };
        self.frontier = Some(f);
        f
    }

    /// Whether placing the `info` operation `call` now can lead to an `ok` candidate (refinement
    /// 4); always true when the refinement does not apply.
    fn is_wanted(&mut self, call: u32) -> bool {
        if !self.goal_directed {
            return true;
        }
        let leaves = self.leaves[call as usize];
        if leaves == NONE {
            return true;
        }
        if self.wanted.is_none() {
            self.wanted = Some(self.compute_wanted());
        }
        self.wanted.as_ref().is_some_and(|w| w.contains(&leaves))
    }

    /// The states required by an `ok` candidate, closed backwards under the eligible `info`
    /// operations (if an `info` operation leaves a wanted state, the state it requires is
    /// wanted too).
    fn compute_wanted(&mut self) -> Vec<u32> {
        let frontier = self.frontier().0;
        let mut wanted: Vec<u32> = Vec::new();
        let mut id = self.next[self.head as usize];
        while self.nodes[id as usize].kind == NodeKind::Call {
            let r = self.required[self.nodes[id as usize].call as usize];
            if r != NONE && !wanted.contains(&r) {
                wanted.push(r);
            }
            id = self.next[id as usize];
        }
        loop {
            let mut grew = false;
            for kind in &self.kinds {
                let Some(&w) = kind.calls.get(kind.used as usize) else {
                    continue;
                };
                let (r, l) = (self.required[w as usize], self.leaves[w as usize]);
                if self.calls[w as usize].invoke < frontier
                    && r != NONE
                    && !wanted.contains(&r)
                    && wanted.contains(&l)
                {
                    wanted.push(r);
                    grew = true;
                }
            }
            if !grew {
                return wanted;
            }
        }
    }

    /// Undoes the last choice and takes its next untried alternative, or else returns the
    /// cursor of the next candidate after it; `None` when the root is exhausted.
    fn backtrack(&mut self) -> Option<Cursor> {
        let frame = self.stack.pop()?;
        self.undo(frame);
        if self.try_alternatives(frame.call, frame.alt + 1) {
            return Some(self.first());
        }
        let kind = self.kind_of[frame.call as usize];
        Some(if kind != NONE {
            Cursor::Info(self.kinds.len() as u32 - kind)
        } else {
            // The operation's nodes are back in the list: go on after its call.
            Cursor::Main(self.next[self.call_node[frame.call as usize] as usize])
        })
    }
    /// Tries the alternatives of placing `call` next, from `from` on: first each outcome of the
    /// operation from the current state, then each outcome after a deferred blind operation
    /// that leaves the state it requires. Takes the first that leads to a configuration not yet
    /// seen.
    fn try_alternatives(&mut self, call: u32, from: u32) -> bool {
        let calls = self.calls;
        let op = &calls[call as usize].op;
        let here = self.states.get(self.state);
        let plain = self.model.choices(here, op) as u32;
        for alt in from..plain {
            let Some(next) = self
                .model
                .step(self.states.get(self.state), op, alt as usize)
            else {
                continue;
            };
            let id = self.states.intern(next);
            if self.enter(call, id, [self.kind_of[call as usize], NONE]) {
                self.push(call, alt, id, Before::Nothing);
                return true;
            }
        }
        let base = plain;
        // A deferred blind `info` operation that leaves the state `call` requires.
        let slot = self.slot[call as usize];
        if slot != NONE {
            let list = &self.deferred[slot as usize];
            let source = list.state;
            let w = list.calls.get(list.used as usize).copied();
            if let Some(w) = w.filter(|_| source != self.state) {
                if self.calls[w as usize].invoke < self.frontier().0 {
                    let produced = self.states.get(source);
                    let compound = self.model.choices(produced, op) as u32;
                    let after = self.linearized ^ op_key(call) ^ op_key(w);
                    for alt in from.max(base) - base..compound {
                        let Some(next) = self.model.step(self.states.get(source), op, alt as usize)
                        else {
                            continue;
                        };
                        let id = self.states.intern(next);
                        let bumps = [self.kind_of[call as usize], self.kinds.len() as u32 + slot];
                        if self.enter_with(after, call, id, bumps) {
                            self.push(call, base + alt, id, Before::Deferred { call: w, slot });
                            return true;
                        }
                    }
                }
            }
        }
        false
    }

    /// Whether the configuration after placing `call` (and the `info` twins counted by `bumps`:
    /// kind indices, then deferred lists after the kinds; `NONE` for none) leading to `state` is
    /// new, recording it if so.
    fn enter(&mut self, call: u32, state: u32, bumps: [u32; 2]) -> bool {
        let after = if call == NONE {
            self.linearized
        } else {
            self.linearized ^ op_key(call)
        };
        self.enter_with(after, call, state, bumps)
    }

    fn enter_with(&mut self, after: u128, call: u32, state: u32, bumps: [u32; 2]) -> bool {
        if !self.dominance {
            return self.memo.insert(after, state);
        }
        let mut placed = self.placed_ok;
        if call != NONE && !self.calls[call as usize].info {
            placed ^= op_key(call);
        }
        let key = placed ^ state_key(state);
        let start = self.vectors.len();
        for kind in &self.kinds {
            self.vectors.push(kind.used as u16);
        }
        for list in &self.deferred {
            self.vectors.push(list.used as u16);
        }
        for b in bumps.into_iter().filter(|&b| b != NONE) {
            self.vectors[start + b as usize] += 1;
        }
        let width = self.width;
        let (head, candidate) = self.vectors.split_at(start);
        let bucket = self.dominators.entry(key).or_default();
        let dominated = bucket.iter().any(|&offset| {
            let seen = &head[offset as usize..offset as usize + width];
            seen.iter().zip(candidate).all(|(a, b)| a <= b)
        });
        if dominated {
            self.vectors.truncate(start);
            return false;
        }
        bucket.push(start as u32);
        self.memo.insert(after, state);
        true
    }

    fn push(&mut self, call: u32, alt: u32, state: u32, before: Before) {
        self.wanted = None;
        self.stack.push(Frame {
            call,
            alt,
            prev_state: self.state,
            before,
        });
        self.state = state;
        self.linearized ^= op_key(call);
        if !self.calls[call as usize].info {
            self.placed_ok ^= op_key(call);
        }
        match before {
            Before::Nothing => {}
            Before::Deferred { call: w, slot } => {
                self.linearized ^= op_key(w);
                self.deferred[slot as usize].used += 1;
            }
        }
        let c = call as usize;
        if self.calls[c].info {
            self.kinds[self.kind_of[c] as usize].used += 1;
        } else {
            self.remove(self.call_node[c]);
            self.remove(self.return_node[c]);
            self.ok_left -= 1;
            self.frontier = None;
        }
    }

    fn undo(&mut self, frame: Frame) {
        self.wanted = None;
        self.state = frame.prev_state;
        self.linearized ^= op_key(frame.call);
        if !self.calls[frame.call as usize].info {
            self.placed_ok ^= op_key(frame.call);
        }
        match frame.before {
            Before::Nothing => {}
            Before::Deferred { call: w, slot } => {
                self.linearized ^= op_key(w);
                self.deferred[slot as usize].used -= 1;
            }
        }
        let c = frame.call as usize;
        if self.calls[c].info {
            self.kinds[self.kind_of[c] as usize].used -= 1;
        } else {
            self.reinsert(self.return_node[c]);
            self.reinsert(self.call_node[c]);
            self.ok_left += 1;
            self.frontier = None;
        }
        self.best_path_valid = self.best_path_valid.min(self.stack.len());
    }

    #[inline]
    fn remove(&mut self, id: u32) {
        let (p, n) = (self.prev[id as usize], self.next[id as usize]);
        self.next[p as usize] = n;
        self.prev[n as usize] = p;
    }

    #[inline]
    fn reinsert(&mut self, id: u32) {
        let (p, n) = (self.prev[id as usize], self.next[id as usize]);
        self.next[p as usize] = id;
        self.prev[n as usize] = id;
    }

    /// Remembers the configuration that got furthest: the latest blocking completion, then the
    /// longest prefix. The path is copied lazily: only the frames pushed since the last copy.
    fn record_dead_end(&mut self) {
        let (time, blocked) = self.frontier();
        let rank = (time, self.stack.len());
        if self.best.is_some_and(|b| b >= rank) {
            return;
        }
        self.best = Some(rank);
        self.best_blocked = blocked;
        self.best_state = self.state;
        // best_path holds, per frame, the deferred operation (or NONE) then the operation.
        self.best_path.truncate(self.best_path_valid * 2);
        for f in &self.stack[self.best_path_valid..] {
            self.best_path.push(f.before.call());
            self.best_path.push(f.call);
        }
        self.best_path_valid = self.stack.len();
    }

    fn failure(&self) -> Failure<M::State> {
        Failure {
            prefix: self
                .best_path
                .iter()
                .copied()
                .filter(|&c| c != NONE)
                .collect(),
            state: self.states.get(self.best_state).clone(),
            blocked: self.best_blocked,
            unreachable: false,
        }
    }

    /// The `ok` operation that completes first among those needing a state that nothing invoked
    /// before their completion can leave (and that is not the initial state). Such an operation
    /// can never be linearized, so the history is invalid without any search. Only when every
    /// operation is blind or needs one state (refinement 4's condition), where the states an
    /// operation can leave are known up front.
    fn unreachable_requirement(&mut self) -> Option<u32> {
        if !self.goal_directed {
            return None;
        }
        let calls = self.calls;
        // State -> earliest invocation of an operation that can leave it.
        let mut earliest: FxHashMap<u32, usize> = FxHashMap::default();
        earliest.insert(self.state, 0);
        for (i, c) in calls.iter().enumerate() {
            let left = match self.model.blind_result(&c.op) {
                Some(state) => Some(state),
                None if self.required[i] != NONE => {
                    self.model.step(self.states.get(self.required[i]), &c.op, 0)
                }
                None => None,
            };
            if let Some(state) = left {
                let id = self.states.intern(state);
                if id == self.required[i] {
                    // A read leaves what it found: it produces nothing new.
                    continue;
                }
                let at = earliest.entry(id).or_insert(c.invoke);
                *at = (*at).min(c.invoke);
            }
        }
        (0..calls.len())
            .filter(|&i| !calls[i].info && self.required[i] != NONE)
            .filter(|&i| {
                earliest
                    .get(&self.required[i])
                    .is_none_or(|&at| at > calls[i].ret)
            })
            .min_by_key(|&i| calls[i].ret)
            .map(|i| i as u32)
    }
}

/// The "no operation" marker, for entering the root configuration.
const fn call_none() -> u32 {
    NONE
}
