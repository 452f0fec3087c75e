//! A polynomial decision procedure for registers (read / write / compare-and-set) whose written
//! values are distinct: every write and every compare-and-set writes a value no other operation
//! writes, and none writes the initial value. Such a history is linearizable or not in
//! O(n log n) (one attempt); a counterexample costs O(n log² n). The idea is Gibbons and Korach's
//! ("Testing shared memories", 1997: with distinct values, a read names the write it saw, so each
//! value's operations form a cluster whose order is all that is left to find), extended here to
//! compare-and-set chains and to `info` operations. The general search (`search.rs`) is used
//! for every other history.
//!
//! # Why it is exact
//!
//! A linearization is a sequence of *segments*, one per value the register held: the operation
//! that wrote the value (none for the initial value), then the reads of it. Values are distinct,
//! so each value has one segment at most and one possible writer. An `ok` compare-and-set
//! `old -> new` writes `new` right where `old`'s segment ends: `new`'s segment directly follows
//! `old`'s. Following these links from a blind write (or the initial value) gives a *chain* of
//! segments that is placed as a block.
//!
//! A segment must appear if an `ok` operation is in it (its writer, or a read of it) or if a
//! later segment of its chain must appear: it is *forced*. Anything else is left out: its writer
//! is an `info` operation that may never have happened, and placing it can only add constraints.
//! Two forced segments linked from the same value, a forced value nobody could have written, or
//! compare-and-sets that link values in a circle, make the history impossible.
//!
//! Linearization points are real numbers in the open intervals (invocation, completion), with
//! `info` completions at infinity. Let segment `i` begin at `b_i` (its writer's point). Its reads
//! fit between `b_i` and `b_{i+1}` exactly when `b_i` is before every read's completion and
//! `b_{i+1}` is after every read's invocation. So segment `i` asks: `b_i` after its writer's
//! invocation `A_i`, `b_i` before `B_i` (the earliest completion among its writer and reads), and
//! the next segment's `b` after `L_i` (the latest invocation among them). Placing segments as
//! early as possible, the "clock" (the time the next `b` must exceed) after any set of segments is
//! the largest `L` among them, whatever their order. A chain is then one segment whose `B` is the
//! smallest of its members' and whose `L` is the largest, provided it fits on its own (each
//! member's `B` after the `A` of its writer and the `L`s of the members before it). An order of
//! the chains works if and only if every chain's `B` is after the largest `L` of the chains before
//! it (the initial value's chain first). Sorting the other chains by `min(L, B)` finds such an
//! order whenever one exists (a swap argument on adjacent chains; on a tie, the chain with
//! `L >= B` goes first).
//!
//! # The counterexample
//!
//! The search (`search.rs`) reports the operation whose completion no linearization gets past,
//! together with the longest linearizable prefix. The same is found here directly: the *view at
//! time `t`* requires the `ok` operations completed before `t` and makes the others invoked
//! before `t` optional (they may be in a prefix or not). Views that are linearizable form a prefix
//! of time, so a binary search over completion times finds the first `ok` operation whose
//! completion cannot be passed; the prefix is the linearization of the view just before it. That
//! is the operation the exhaustive search blocks on too, and, as there, an operation needing a
//! value nothing invoked before its completion could have written is reported first.

use super::intern::ValueId;
use super::models::RegisterOp;
use super::prepare::{Call, NEVER};
use super::search::{Failure, SearchOutcome, Verdict};
use crate::fxhash::FxHashMap;

const NONE: u32 = u32::MAX;
/// Before every event.
const NEG: i64 = -1;
/// After every event (the completion of an `info` operation).
const POS: i64 = i64::MAX;

fn time(position: usize) -> i64 {
    if position == NEVER {
        POS
    } else {
        position as i64
    }
}

/// Decides `calls` (one key, sorted by invocation) from `initial` if every written value is
/// distinct and differs from `initial`; `None` otherwise.
pub fn decide(calls: &[Call<RegisterOp>], initial: ValueId) -> Option<SearchOutcome<ValueId>> {
    let clusters = Clusters::new(calls, initial)?;
    let mut scratch = Scratch::new(clusters.values.len());
    let bytes = clusters.bytes() + scratch.bytes();
    let outcome = |verdict| SearchOutcome {
        verdict,
        configurations: 0,
        memo_bytes: bytes,
    };
    if clusters.attempt(calls, NEVER, &mut scratch).is_some() {
        return Some(outcome(Verdict::Linearizable));
    }
    if let Some(blocked) = clusters.unreachable(calls) {
        return Some(outcome(Verdict::NotLinearizable(Failure {
            prefix: Vec::new(),
            state: initial,
            blocked,
            unreachable: true,
        })));
    }
    // The `ok` completions in time order; the first that no view gets past is the blocked one.
    let mut completions: Vec<(usize, u32)> = calls
        .iter()
        .enumerate()
        .filter(|(_, c)| !c.info)
        .map(|(i, c)| (c.ret, i as u32))
        .collect();
    completions.sort_unstable();
    let passes = |scratch: &mut Scratch, at: usize| {
        clusters
            .attempt(calls, completions[at].0 + 1, scratch)
            .is_some()
    };
    // Invariant: views up to `low` pass, the view including `high` fails.
    let (mut low, mut high) = (0, completions.len().checked_sub(1)?);
    if passes(&mut scratch, high) {
        return None;
    }
    if !passes(&mut scratch, 0) {
        high = 0;
    }
    while high > 0 && high - low > 1 {
        let mid = (low + high) / 2;
        if passes(&mut scratch, mid) {
            low = mid;
        } else {
            high = mid;
        }
    }
    let (cut, blocked) = completions[high];
    let order = clusters.attempt(calls, cut, &mut scratch)?;
    let (prefix, state) = clusters.linearize(calls, cut, &order);
    Some(outcome(Verdict::NotLinearizable(Failure {
        prefix,
        state,
        blocked,
        unreachable: false,
    })))
}

/// The operations of one key grouped by the value they concern (one cluster per value).
struct Clusters {
    /// Per cluster, its value; cluster 0 is the initial value's.
    values: Vec<ValueId>,
    /// Per cluster, the operation that writes its value, or `NONE`.
    writer: Vec<u32>,
    /// Per call: the cluster it reads (a read) or writes (a write or compare-and-set).
    cluster: Vec<u32>,
    /// Per call: for a compare-and-set, the cluster of the value it expects; else `NONE`.
    expects: Vec<u32>,
}

/// Per-attempt working arrays, reused across the binary search's attempts.
struct Scratch {
    forced: Vec<bool>,
    /// The cluster's writer is in the view; `required`: and must be placed.
    writer_seen: Vec<bool>,
    writer_required: Vec<bool>,
    /// Latest invocation and earliest completion among the cluster's required reads.
    latest_read: Vec<i64>,
    first_done: Vec<i64>,
    /// The forced cluster linked after this one by a compare-and-set, or `NONE`.
    next: Vec<u32>,
    chains: Vec<Chain>,
}

/// A block of clusters linked by compare-and-sets: its first cluster, the time before which it
/// must begin (`deadline`, the `B` of the module documentation) and the time after which the
/// next may begin (`latest`, `L`).
#[derive(Clone, Copy, Debug)]
struct Chain {
    first: u32,
    deadline: i64,
    latest: i64,
}

impl Chain {
    /// Sort key: `min(L, B)`, and on a tie a chain with `L >= B` first.
    fn key(&self) -> (i64, bool) {
        (self.latest.min(self.deadline), self.latest < self.deadline)
    }
}

impl Scratch {
    fn new(clusters: usize) -> Self {
        Scratch {
            forced: vec![false; clusters],
            writer_seen: vec![false; clusters],
            writer_required: vec![false; clusters],
            latest_read: vec![NEG; clusters],
            first_done: vec![POS; clusters],
            next: vec![NONE; clusters],
            chains: Vec::new(),
        }
    }

    fn reset(&mut self) {
        self.forced.fill(false);
        self.writer_seen.fill(false);
        self.writer_required.fill(false);
        self.latest_read.fill(NEG);
        self.first_done.fill(POS);
        self.next.fill(NONE);
        self.chains.clear();
    }

    fn bytes(&self) -> usize {
        self.forced.len() * (3 + 8 + 8 + 4) + self.forced.len() * std::mem::size_of::<Chain>()
    }
}

impl Clusters {
    /// `None` if two operations write the same value or one writes the initial value.
    fn new(calls: &[Call<RegisterOp>], initial: ValueId) -> Option<Self> {
        let mut index: FxHashMap<ValueId, u32> = FxHashMap::default();
        index.insert(initial, 0);
        let mut clusters = Clusters {
            values: vec![initial],
            writer: vec![NONE],
            cluster: Vec::with_capacity(calls.len()),
            expects: Vec::with_capacity(calls.len()),
        };
        let mut id = |clusters: &mut Clusters, v: ValueId| {
            *index.entry(v).or_insert_with(|| {
                clusters.values.push(v);
                clusters.writer.push(NONE);
                clusters.values.len() as u32 - 1
            })
        };
        for (i, c) in calls.iter().enumerate() {
            let (own, expects, writes) = match c.op {
                RegisterOp::Read(v) => (id(&mut clusters, v), NONE, false),
                RegisterOp::Write(v) => (id(&mut clusters, v), NONE, true),
                RegisterOp::Cas { old, new } => {
                    let expects = id(&mut clusters, old);
                    (id(&mut clusters, new), expects, true)
                }
            };
            if writes {
                if own == 0 || clusters.writer[own as usize] != NONE {
                    return None;
                }
                clusters.writer[own as usize] = i as u32;
            }
            clusters.cluster.push(own);
            clusters.expects.push(expects);
        }
        Some(clusters)
    }

    fn bytes(&self) -> usize {
        self.values.len() * 8 + self.cluster.len() * 8
    }

    /// The `ok` operation completing first among those that need a value that is not the
    /// initial one and that no operation invoked before their completion writes (the search's
    /// check before searching, `search.rs`).
    fn unreachable(&self, calls: &[Call<RegisterOp>]) -> Option<u32> {
        (0..calls.len())
            .filter(|&i| !calls[i].info)
            .filter(|&i| {
                let needs = match calls[i].op {
                    RegisterOp::Read(_) => self.cluster[i],
                    RegisterOp::Cas { .. } => self.expects[i],
                    RegisterOp::Write(_) => return false,
                };
                if needs == 0 {
                    return false;
                }
                let w = self.writer[needs as usize];
                // A compare-and-set `v -> v` leaves the value it needs: it writes nothing new.
                w == NONE
                    || self.expects[w as usize] == needs
                    || calls[w as usize].invoke > calls[i].ret
            })
            .min_by_key(|&i| calls[i].ret)
            .map(|i| i as u32)
    }

    /// Decides the view at `cut`: the `ok` operations completed before `cut` are required, the
    /// other operations invoked before `cut` are optional. Returns the clusters that begin each
    /// chain, in a linearizable order (the initial value's first), or `None`.
    fn attempt(&self, calls: &[Call<RegisterOp>], cut: usize, s: &mut Scratch) -> Option<Vec<u32>> {
        s.reset();
        for (i, c) in calls.iter().enumerate() {
            if c.invoke >= cut {
                break;
            }
            let required = !c.info && c.ret < cut;
            let own = self.cluster[i] as usize;
            match c.op {
                RegisterOp::Read(_) => {
                    if required {
                        s.forced[own] = true;
                        s.latest_read[own] = s.latest_read[own].max(c.invoke as i64);
                        s.first_done[own] = s.first_done[own].min(c.ret as i64);
                    }
                }
                RegisterOp::Write(_) | RegisterOp::Cas { .. } => {
                    s.writer_seen[own] = true;
                    s.writer_required[own] = required;
                    s.forced[own] |= required;
                }
            }
        }
        // A forced value's predecessor in its chain is forced.
        let mut forced = 0;
        for start in 0..self.values.len() {
            if !s.forced[start] {
                continue;
            }
            forced += 1;
            let mut at = start;
            loop {
                let w = self.writer[at];
                if w == NONE || !s.writer_seen[at] {
                    break;
                }
                let before = self.expects[w as usize];
                if before == NONE || s.forced[before as usize] {
                    break;
                }
                s.forced[before as usize] = true;
                if (before as usize) < start {
                    // Counted here, as the outer loop has passed it.
                    forced += 1;
                }
                at = before as usize;
            }
        }
        // Links: each forced value follows exactly one value, or starts a chain.
        let mut firsts: Vec<u32> = Vec::new();
        for at in 1..self.values.len() {
            if !s.forced[at] {
                continue;
            }
            let w = self.writer[at];
            if w == NONE || !s.writer_seen[at] {
                return None;
            }
            match self.expects[w as usize] {
                NONE => firsts.push(at as u32),
                before => {
                    let slot = &mut s.next[before as usize];
                    if *slot != NONE {
                        return None;
                    }
                    *slot = at as u32;
                }
            }
        }
        // Each chain on its own, then the order of chains.
        let mut placed = usize::from(s.forced[0]);
        let head = self.chain(calls, 0, s, &mut placed)?;
        for &first in &firsts {
            let chain = self.chain(calls, first, s, &mut placed)?;
            s.chains.push(chain);
        }
        if placed != forced {
            // Compare-and-sets linking values in a circle, unreachable from any write.
            return None;
        }
        s.chains.sort_unstable_by_key(|c| c.key());
        let mut clock = head.latest;
        for chain in &s.chains {
            if clock >= chain.deadline {
                return None;
            }
            clock = clock.max(chain.latest);
        }
        let mut order = Vec::with_capacity(s.chains.len() + 1);
        order.push(0);
        order.extend(s.chains.iter().map(|c| c.first));
        Some(order)
    }

    /// The chain beginning at cluster `first`, if it fits on its own; counts its forced
    /// clusters other than the first into `placed` (the first is counted by the caller for the
    /// initial value, here otherwise).
    fn chain(
        &self,
        calls: &[Call<RegisterOp>],
        first: u32,
        s: &Scratch,
        placed: &mut usize,
    ) -> Option<Chain> {
        let mut chain = Chain {
            first,
            deadline: POS,
            latest: NEG,
        };
        let mut at = first;
        if first == 0 {
            chain.latest = s.latest_read[0];
            at = s.next[0];
        }
        while at != NONE {
            let a = at as usize;
            *placed += 1;
            let w = &calls[self.writer[a] as usize];
            let begins_after = w.invoke as i64;
            let ret = if s.writer_required[a] {
                time(w.ret)
            } else {
                POS
            };
            let deadline = ret.min(s.first_done[a]);
            if chain.latest.max(begins_after) >= deadline {
                return None;
            }
            chain.deadline = chain.deadline.min(deadline);
            chain.latest = chain.latest.max(begins_after).max(s.latest_read[a]);
            at = s.next[a];
        }
        Some(chain)
    }

    /// The linearization of the view at `cut` in chain `order`: each value's writer, then its
    /// required reads by invocation. Returns it and the value the register holds after it.
    fn linearize(
        &self,
        calls: &[Call<RegisterOp>],
        cut: usize,
        order: &[u32],
    ) -> (Vec<u32>, ValueId) {
        let mut s = Scratch::new(self.values.len());
        // Re-run to fill `next` (cheap, and keeps `attempt` free of output it rarely needs).
        let again = self.attempt(calls, cut, &mut s);
        debug_assert_eq!(again.as_deref(), Some(order));
        let mut position = vec![NONE; self.values.len()];
        let mut rank = 0;
        let mut last = 0;
        for &first in order {
            let mut at = first;
            while at != NONE {
                position[at as usize] = rank;
                rank += 1;
                last = at;
                at = s.next[at as usize];
            }
        }
        let mut placed: Vec<(u32, bool, usize, u32)> = Vec::new();
        for (i, c) in calls.iter().enumerate() {
            if c.invoke >= cut {
                break;
            }
            let own = self.cluster[i] as usize;
            match c.op {
                RegisterOp::Read(_) if !c.info && c.ret < cut => {
                    placed.push((position[own], true, c.invoke, i as u32))
                }
                RegisterOp::Read(_) => {}
                _ if own != 0 && position[own] != NONE && self.writer[own] == i as u32 => {
                    placed.push((position[own], false, c.invoke, i as u32))
                }
                _ => {}
            }
        }
        placed.sort_unstable();
        let prefix = placed.into_iter().map(|(.., call)| call).collect();
        (prefix, self.values[last as usize])
    }
}
