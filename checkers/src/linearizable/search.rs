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
//! 2. **`info` operations are tried last.** They live in their own list, and are candidates only
//!    after every `ok` candidate, so the depth-first search advances on operations that must be
//!    placed before it spends choices on ones that may never have happened.
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

use super::fxhash::FxHashMap;
use super::memo::{op_key, Memo, StateTable};
use super::model::Model;
use super::prepare::Call;
use crate::Budget;

const NONE: u32 = u32::MAX;
/// How many search steps between two polls of the budget.
const POLL_EVERY: u64 = 4096;

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

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum NodeKind {
    Call,
    Return,
    InfoCall,
    Head,
}

#[derive(Clone, Copy, Debug)]
struct Node {
    kind: NodeKind,
    call: u32,
    time: usize,
}

/// A choice on the search path.
#[derive(Clone, Copy, Debug)]
struct Frame {
    call: u32,
    /// Which alternative of `call` was taken (see `try_alternatives`).
    alt: u32,
    prev_state: u32,
    /// The deferred blind operation placed right before `call`, or `NONE`.
    deferred: u32,
    /// Its deferred list, or `NONE`.
    slot: u32,
}

/// Blind `info` operations that leave the same state, earliest invoked first. The first `used`
/// are placed on the current path.
struct DeferredList {
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
    main_head: u32,
    info_head: u32,
    call_node: Vec<u32>,
    return_node: Vec<u32>,
    /// Per call: the deferred list that could produce the state it requires, or `NONE`.
    slot: Vec<u32>,
    deferred: Vec<DeferredList>,
    states: StateTable<M::State>,
    memo: Memo,
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

/// Searches for a linearization of `calls` (sorted by invocation) from `initial`.
pub fn search<M: Model>(
    model: &M,
    calls: &[Call<M::Op>],
    initial: M::State,
    budget: &Budget,
) -> SearchOutcome<M::State> {
    let mut s = Search::new(model, calls, initial);
    let verdict = s.run(budget);
    SearchOutcome {
        verdict,
        configurations: s.memo.len(),
        memo_bytes: s.peak_bytes.max(s.bytes()),
    }
}

impl<'a, M: Model> Search<'a, M> {
    fn new(model: &'a M, calls: &'a [Call<M::Op>], initial: M::State) -> Self {
        let n = calls.len();
        let mut states = StateTable::new();
        let state = states.intern(initial);
        // Deferred blind info operations, grouped by the state they leave.
        let mut deferred: Vec<DeferredList> = Vec::new();
        let mut by_state: FxHashMap<M::State, u32> = FxHashMap::default();
        let mut is_deferred = vec![false; n];
        for (i, c) in calls.iter().enumerate() {
            if !c.info {
                continue;
            }
            if let Some(result) = model.blind_result(&c.op) {
                let id = states.intern(result.clone());
                let slot = *by_state.entry(result).or_insert_with(|| {
                    deferred.push(DeferredList {
                        state: id,
                        calls: Vec::new(),
                        used: 0,
                    });
                    deferred.len() as u32 - 1
                });
                deferred[slot as usize].calls.push(i as u32);
                is_deferred[i] = true;
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
        // Events in time order: calls and returns of `ok` operations in the main list, calls of
        // non-deferred `info` operations in the info list.
        let mut main: Vec<Node> = Vec::with_capacity(2 * n);
        let mut info: Vec<Node> = Vec::new();
        for (i, c) in calls.iter().enumerate() {
            if is_deferred[i] {
                continue;
            }
            let call = i as u32;
            if c.info {
                info.push(Node {
                    kind: NodeKind::InfoCall,
                    call,
                    time: c.invoke,
                });
            } else {
                main.push(Node {
                    kind: NodeKind::Call,
                    call,
                    time: c.invoke,
                });
                main.push(Node {
                    kind: NodeKind::Return,
                    call,
                    time: c.ret,
                });
            }
        }
        main.sort_by_key(|n| n.time);
        info.sort_by_key(|n| n.time);
        let ok_left = main.len() / 2;
        let mut nodes = main;
        let main_len = nodes.len() as u32;
        nodes.extend(info);
        let total = nodes.len() as u32;
        let main_head = total;
        let info_head = total + 1;
        let head = Node {
            kind: NodeKind::Head,
            call: NONE,
            time: usize::MAX,
        };
        nodes.push(head);
        nodes.push(head);
        let mut next = vec![NONE; nodes.len()];
        let mut prev = vec![NONE; nodes.len()];
        let mut link = |members: std::ops::Range<u32>, headn: u32| {
            let mut last = headn;
            for id in members {
                next[last as usize] = id;
                prev[id as usize] = last;
                last = id;
            }
            next[last as usize] = headn;
            prev[headn as usize] = last;
        };
        link(0..main_len, main_head);
        link(main_len..total, info_head);
        let mut call_node = vec![NONE; n];
        let mut return_node = vec![NONE; n];
        for (id, node) in nodes.iter().enumerate().take(total as usize) {
            match node.kind {
                NodeKind::Return => return_node[node.call as usize] = id as u32,
                _ => call_node[node.call as usize] = id as u32,
            }
        }
        Search {
            model,
            calls,
            nodes,
            next,
            prev,
            main_head,
            info_head,
            call_node,
            return_node,
            slot,
            deferred,
            states,
            memo: Memo::default(),
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
        self.memo.estimated_bytes()
            + self.states.estimated_bytes()
            + self.stack.capacity() * std::mem::size_of::<Frame>()
            + self.best_path.capacity() * 4
            + self.nodes.len() * (std::mem::size_of::<Node>() + 8)
    }

    fn run(&mut self, budget: &Budget) -> Verdict<M::State> {
        self.memo.insert(0, self.state);
        let mut cursor = self.next[self.main_head as usize];
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
            let node = self.nodes[cursor as usize];
            match node.kind {
                NodeKind::Call => {
                    cursor = if self.try_alternatives(node.call, 0) {
                        self.next[self.main_head as usize]
                    } else {
                        self.next[cursor as usize]
                    };
                }
                NodeKind::Return => {
                    // The main candidates are exhausted; `info` operations invoked before this
                    // completion are the remaining candidates.
                    cursor = self.next[self.info_head as usize];
                }
                NodeKind::InfoCall if node.time < self.frontier().0 => {
                    cursor = if self.try_alternatives(node.call, 0) {
                        self.next[self.main_head as usize]
                    } else {
                        self.next[cursor as usize]
                    };
                }
                NodeKind::InfoCall | NodeKind::Head => {
                    if cursor == self.main_head {
                        cursor = self.next[self.info_head as usize];
                        continue;
                    }
                    self.record_dead_end();
                    match self.backtrack() {
                        Some(next) => cursor = next,
                        None => return Verdict::NotLinearizable(self.failure()),
                    }
                }
            }
        }
    }

    /// The first completion still in the list: (its time, its operation), or `usize::MAX`.
    fn frontier(&mut self) -> (usize, u32) {
        if let Some(f) = self.frontier {
            return f;
        }
        let mut id = self.next[self.main_head as usize];
        let f = loop {
            let node = self.nodes[id as usize];
            match node.kind {
                NodeKind::Return => break (node.time, node.call),
                NodeKind::Head => break (usize::MAX, NONE),
                _ => id = self.next[id as usize],
            }
        };
        self.frontier = Some(f);
        f
    }

    /// Undoes the last choice and takes its next untried alternative, or else returns the
    /// cursor of the next candidate after it; `None` when the root is exhausted.
    fn backtrack(&mut self) -> Option<u32> {
        let frame = self.stack.pop()?;
        self.undo(frame);
        if self.try_alternatives(frame.call, frame.alt + 1) {
            return Some(self.next[self.main_head as usize]);
        }
        // The operation's node is back in its list (main or info): go on after it.
        Some(self.next[self.call_node[frame.call as usize] as usize])
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
        let after = self.linearized ^ op_key(call);
        for alt in from..plain {
            let Some(next) = self
                .model
                .step(self.states.get(self.state), op, alt as usize)
            else {
                continue;
            };
            let id = self.states.intern(next);
            if self.memo.insert(after, id) {
                self.push(call, alt, id, NONE, NONE);
                return true;
            }
        }
        let slot = self.slot[call as usize];
        if slot == NONE {
            return false;
        }
        let list = &self.deferred[slot as usize];
        let source = list.state;
        if source == self.state || list.used as usize == list.calls.len() {
            return false;
        }
        let w = list.calls[list.used as usize];
        if self.calls[w as usize].invoke >= self.frontier().0 {
            return false;
        }
        let produced = self.states.get(source);
        let compound = self.model.choices(produced, op) as u32;
        let after = after ^ op_key(w);
        for alt in from.max(plain) - plain..compound {
            let Some(next) = self.model.step(self.states.get(source), op, alt as usize) else {
                continue;
            };
            let id = self.states.intern(next);
            if self.memo.insert(after, id) {
                self.push(call, plain + alt, id, w, slot);
                return true;
            }
        }
        false
    }

    fn push(&mut self, call: u32, alt: u32, state: u32, deferred: u32, slot: u32) {
        self.stack.push(Frame {
            call,
            alt,
            prev_state: self.state,
            deferred,
            slot,
        });
        self.state = state;
        self.linearized ^= op_key(call);
        if deferred != NONE {
            self.linearized ^= op_key(deferred);
            self.deferred[slot as usize].used += 1;
        }
        let c = call as usize;
        if self.calls[c].info {
            self.remove(self.call_node[c]);
        } else {
            self.remove(self.call_node[c]);
            self.remove(self.return_node[c]);
            self.ok_left -= 1;
        }
        self.frontier = None;
    }

    fn undo(&mut self, frame: Frame) {
        self.state = frame.prev_state;
        self.linearized ^= op_key(frame.call);
        if frame.deferred != NONE {
            self.linearized ^= op_key(frame.deferred);
            self.deferred[frame.slot as usize].used -= 1;
        }
        let c = frame.call as usize;
        if self.calls[c].info {
            self.reinsert(self.call_node[c]);
        } else {
            self.reinsert(self.return_node[c]);
            self.reinsert(self.call_node[c]);
            self.ok_left += 1;
        }
        self.frontier = None;
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
            self.best_path.push(f.deferred);
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
        }
    }
}
