//! The sans-IO Raft state machine. Section numbers refer to Ongaro & Ousterhout 2014; "thesis"
//! is Ongaro's dissertation (2014), whose pre-vote round (9.6) and check-quorum this adds.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::log::{Entry, RaftLog};
use crate::rng::{seed_from, SplitMix64};

pub type NodeId = String;

/// Timing and sizes. Defaults: election timeout 150–300 ms randomized, heartbeat 50 ms (the
/// paper's section 9.3 range), so a 3-node cluster has a leader well within a second.
#[derive(Clone, Debug)]
pub struct RaftConfig {
    pub id: NodeId,
    /// Every member, this node included, in a fixed order.
    pub nodes: Vec<NodeId>,
    pub election_min_ms: u64,
    pub election_max_ms: u64,
    pub heartbeat_ms: u64,
    /// Most entries in one append message.
    pub max_append: usize,
    /// Mixed into the election-timeout seed (tests vary it).
    pub seed: u64,
    /// A leader that has not heard from a quorum within `election_max_ms` steps down (etcd's
    /// CheckQuorum): a leader cut off stops taking proposals it can never commit, and its clients
    /// learn that in an election timeout instead of waiting out their own.
    pub check_quorum: bool,
    /// Before starting an election, ask whether a quorum would vote, without raising the term
    /// (the thesis' section 9.6 pre-vote): a node cut off by a partition then rejoins with its old
    /// term instead of deposing the leader the others elected meanwhile, so each partition costs
    /// one election, not two.
    pub pre_vote: bool,
}

impl RaftConfig {
    pub fn new(id: &str, nodes: &[NodeId]) -> RaftConfig {
        RaftConfig {
            id: id.to_string(),
            nodes: nodes.to_vec(),
            election_min_ms: 150,
            election_max_ms: 300,
            heartbeat_ms: 50,
            max_append: 1024,
            seed: 0,
            check_quorum: true,
            pre_vote: true,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Follower,
    Candidate,
    Leader,
}

/// Persistent state besides the log (figure 2).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct HardState {
    pub term: u64,
    pub voted_for: Option<NodeId>,
}

/// The RPCs of figure 2, as one-way messages. `pre` marks the pre-vote round (section 9.6): a
/// request for the term the sender *would* start, answered without either side changing state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "kebab-case")]
pub enum Message<C> {
    RequestVote {
        term: u64,
        last_index: u64,
        last_term: u64,
        #[serde(default, skip_serializing_if = "is_false")]
        pre: bool,
    },
    Vote {
        term: u64,
        granted: bool,
        #[serde(default, skip_serializing_if = "is_false")]
        pre: bool,
    },
    Append {
        term: u64,
        prev_index: u64,
        prev_term: u64,
        entries: Vec<Entry<C>>,
        commit: u64,
    },
    /// `index`: on success the follower's match index; on failure its guess of where the logs may
    /// still agree (the leader retries from `index + 1`).
    AppendResponse {
        term: u64,
        success: bool,
        index: u64,
    },
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl<C> Message<C> {
    /// Whether this message is of the pre-vote round, whose terms are hypothetical: they never
    /// make the receiver adopt them (a rejected pre-vote's own term aside).
    fn is_pre_vote(&self) -> bool {
        matches!(
            self,
            Message::RequestVote { pre: true, .. } | Message::Vote { pre: true, .. }
        )
    }

    pub fn term(&self) -> u64 {
        match self {
            Message::RequestVote { term, .. }
            | Message::Vote { term, .. }
            | Message::Append { term, .. }
            | Message::AppendResponse { term, .. } => *term,
        }
    }
}

/// What the driver must do after feeding the node: persist `hard_state` and the entries (truncate
/// the log to `entries_from - 1`, then append `entries`), *then* send `messages`, then apply
/// `committed` in order.
#[derive(Debug)]
pub struct Ready<C> {
    pub hard_state: Option<HardState>,
    pub entries_from: Option<u64>,
    pub entries: Vec<Entry<C>>,
    pub messages: Vec<(NodeId, Message<C>)>,
    pub committed: Vec<(u64, Entry<C>)>,
}

/// Per-follower replication progress, kept by the leader.
#[derive(Clone, Debug)]
struct Progress {
    next_index: u64,
    match_index: u64,
    /// When the follower last answered an append of this term (check-quorum).
    heard_ms: u64,
}

pub struct RaftNode<C> {
    config: RaftConfig,
    rng: SplitMix64,
    hard: HardState,
    hard_dirty: bool,
    log: RaftLog<C>,
    /// Lowest index changed since the last `Ready` (truncated or appended), if any.
    unstable_from: Option<u64>,
    role: Role,
    leader: Option<NodeId>,
    commit: u64,
    applied: u64,
    votes: BTreeSet<NodeId>,
    /// In the pre-vote round: `votes` counts pre-votes for term + 1, and the term is unchanged.
    pre_voting: bool,
    /// When an append of the current leader last arrived (a follower that heard its leader within
    /// the shortest election timeout refuses pre-votes: the leader is alive).
    leader_heard_ms: u64,
    progress: BTreeMap<NodeId, Progress>,
    election_deadline: u64,
    heartbeat_due: u64,
    /// New entries wait to be broadcast until the next `Ready`, so a batch goes out as one message.
    broadcast_pending: bool,
    messages: Vec<(NodeId, Message<C>)>,
}

impl<C: Clone> RaftNode<C> {
    /// A node starting from its persisted state (both empty for a new node), at time `now_ms`.
    pub fn new(config: RaftConfig, hard: HardState, log: Vec<Entry<C>>, now_ms: u64) -> Self {
        let rng = SplitMix64::new(seed_from(&config.id, config.seed));
        let mut node = RaftNode {
            config,
            rng,
            hard,
            hard_dirty: false,
            log: RaftLog::new(log),
            unstable_from: None,
            role: Role::Follower,
            leader: None,
            commit: 0,
            applied: 0,
            votes: BTreeSet::new(),
            pre_voting: false,
            leader_heard_ms: 0,
            progress: BTreeMap::new(),
            election_deadline: 0,
            heartbeat_due: 0,
            broadcast_pending: false,
            messages: Vec::new(),
        };
        node.reset_election_deadline(now_ms);
        node
    }

    pub fn id(&self) -> &str {
        &self.config.id
    }

    pub fn role(&self) -> Role {
        self.role
    }

    pub fn is_leader(&self) -> bool {
        self.role == Role::Leader
    }

    pub fn term(&self) -> u64 {
        self.hard.term
    }

    pub fn leader(&self) -> Option<&NodeId> {
        self.leader.as_ref()
    }

    pub fn commit_index(&self) -> u64 {
        self.commit
    }

    pub fn applied_index(&self) -> u64 {
        self.applied
    }

    pub fn last_index(&self) -> u64 {
        self.log.last_index()
    }

    /// How many entries each follower is behind the leader's log (leader only; empty otherwise).
    pub fn lag(&self) -> BTreeMap<NodeId, u64> {
        self.progress
            .iter()
            .map(|(p, pr)| (p.clone(), self.log.last_index() - pr.match_index))
            .collect()
    }

    fn quorum(&self) -> usize {
        self.config.nodes.len() / 2 + 1
    }

    fn peers(&self) -> impl Iterator<Item = &NodeId> {
        self.config
            .nodes
            .iter()
            .filter(move |n| **n != self.config.id)
    }

    fn reset_election_deadline(&mut self, now_ms: u64) {
        let (lo, hi) = (self.config.election_min_ms, self.config.election_max_ms);
        self.election_deadline = now_ms + self.rng.range(lo, hi);
    }

    fn mark_unstable(&mut self, index: u64) {
        self.unstable_from = Some(self.unstable_from.map_or(index, |u| u.min(index)));
    }

    fn send(&mut self, to: &str, msg: Message<C>) {
        self.messages.push((to.to_string(), msg));
    }

    /// Advances time: followers and candidates start an election when their timeout passes (5.2),
    /// leaders send heartbeats.
    pub fn tick(&mut self, now_ms: u64) {
        match self.role {
            Role::Leader => {
                if self.config.check_quorum && !self.hears_quorum(now_ms) {
                    self.step_down(now_ms);
                    return;
                }
                if now_ms >= self.heartbeat_due {
                    self.broadcast_append();
                    self.heartbeat_due = now_ms + self.config.heartbeat_ms;
                }
            }
            Role::Follower | Role::Candidate => {
                if now_ms >= self.election_deadline {
                    if self.config.pre_vote {
                        self.start_pre_vote(now_ms);
                    } else {
                        self.start_election(now_ms);
                    }
                }
            }
        }
    }

    /// Whether a quorum (this leader included) was heard from within the longest election timeout.
    fn hears_quorum(&self, now_ms: u64) -> bool {
        let window = self.config.election_max_ms;
        let heard = self
            .progress
            .values()
            .filter(|p| now_ms.saturating_sub(p.heard_ms) <= window)
            .count();
        heard + 1 >= self.quorum()
    }

    /// Check-quorum: the leader becomes a follower of nobody in the same term, and waits out an
    /// election timeout like any follower.
    fn step_down(&mut self, now_ms: u64) {
        self.become_follower(self.hard.term, None);
        self.reset_election_deadline(now_ms);
    }

    /// Asks the peers whether they would vote for this node in the next term; the term and vote
    /// stay as they are until a quorum says yes.
    fn start_pre_vote(&mut self, now_ms: u64) {
        self.pre_voting = true;
        self.votes = BTreeSet::from([self.config.id.clone()]);
        self.reset_election_deadline(now_ms);
        if self.votes.len() >= self.quorum() {
            self.start_election(now_ms);
            return;
        }
        self.request_votes(self.hard.term + 1, true);
    }

    fn request_votes(&mut self, term: u64, pre: bool) {
        let (last_index, last_term) = (self.log.last_index(), self.log.last_term());
        let peers: Vec<NodeId> = self.peers().cloned().collect();
        for p in peers {
            self.send(
                &p,
                Message::RequestVote {
                    term,
                    last_index,
                    last_term,
                    pre,
                },
            );
        }
    }

    fn start_election(&mut self, now_ms: u64) {
        self.pre_voting = false;
        self.hard.term += 1;
        self.hard.voted_for = Some(self.config.id.clone());
        self.hard_dirty = true;
        self.role = Role::Candidate;
        self.leader = None;
        self.votes = BTreeSet::from([self.config.id.clone()]);
        self.reset_election_deadline(now_ms);
        self.request_votes(self.hard.term, false);
        if self.votes.len() >= self.quorum() {
            self.become_leader(now_ms);
        }
    }

    fn become_follower(&mut self, term: u64, leader: Option<NodeId>) {
        if term > self.hard.term {
            self.hard.term = term;
            self.hard.voted_for = None;
            self.hard_dirty = true;
        }
        self.role = Role::Follower;
        self.leader = leader;
        self.pre_voting = false;
        self.progress.clear();
    }

    fn become_leader(&mut self, now_ms: u64) {
        self.role = Role::Leader;
        self.pre_voting = false;
        self.leader = Some(self.config.id.clone());
        let next_index = self.log.last_index() + 1;
        self.progress = self
            .peers()
            .map(|p| {
                (
                    p.clone(),
                    Progress {
                        next_index,
                        match_index: 0,
                        // A new leader gets a full window before it must have heard a quorum.
                        heard_ms: now_ms,
                    },
                )
            })
            .collect();
        // The no-op of section 5.4.2 / 8: commits earlier terms' entries and lets reads through
        // the log see everything committed before this term.
        self.append_local(None);
        self.broadcast_append();
        self.heartbeat_due = now_ms + self.config.heartbeat_ms;
    }

    fn append_local(&mut self, cmd: Option<C>) -> u64 {
        self.log.push(Entry {
            term: self.hard.term,
            cmd,
        });
        let index = self.log.last_index();
        self.mark_unstable(index);
        self.broadcast_pending = true;
        self.maybe_commit();
        index
    }

    /// Appends `cmd` to the leader's log and returns its index; a non-leader answers with the
    /// leader it knows of.
    pub fn propose(&mut self, cmd: C) -> Result<u64, Option<NodeId>> {
        if self.role != Role::Leader {
            return Err(self.leader.clone());
        }
        Ok(self.append_local(Some(cmd)))
    }

    fn broadcast_append(&mut self) {
        let peers: Vec<NodeId> = self.peers().cloned().collect();
        for p in peers {
            self.send_append(&p);
        }
        self.broadcast_pending = false;
    }

    /// Sends the entries from the follower's `next_index` on (or a heartbeat), and advances
    /// `next_index` optimistically so a stream of batches pipelines; a rejection rewinds it.
    fn send_append(&mut self, peer: &str) {
        let Some(pr) = self.progress.get(peer) else {
            return;
        };
        let prev_index = pr.next_index - 1;
        let prev_term = self.log.term_at(prev_index).unwrap_or(0);
        let entries = self.log.slice(pr.next_index, self.config.max_append);
        let sent = entries.len() as u64;
        let msg = Message::Append {
            term: self.hard.term,
            prev_index,
            prev_term,
            entries,
            commit: self.commit,
        };
        if let Some(pr) = self.progress.get_mut(peer) {
            pr.next_index += sent;
        }
        self.send(peer, msg);
    }

    /// Commit rule of section 5.3/5.4.2: the highest index stored on a majority whose entry is of
    /// the current term.
    fn maybe_commit(&mut self) {
        if self.role != Role::Leader {
            return;
        }
        let mut matched: Vec<u64> = self.progress.values().map(|p| p.match_index).collect();
        matched.push(self.log.last_index());
        matched.sort_unstable_by(|a, b| b.cmp(a));
        let candidate = matched[self.quorum() - 1];
        if candidate > self.commit && self.log.term_at(candidate) == Some(self.hard.term) {
            self.commit = candidate;
        }
    }

    /// Handles one message from `from`.
    pub fn step(&mut self, from: &str, msg: Message<C>, now_ms: u64) {
        if msg.term() > self.hard.term && !msg.is_pre_vote() {
            let leader = matches!(msg, Message::Append { .. }).then(|| from.to_string());
            self.become_follower(msg.term(), leader);
        }
        match msg {
            Message::RequestVote {
                term,
                last_index,
                last_term,
                pre: true,
            } => {
                let up_to_date =
                    (last_term, last_index) >= (self.log.last_term(), self.log.last_index());
                let leader_alive = match self.role {
                    Role::Leader => true,
                    _ => {
                        self.leader.is_some()
                            && now_ms.saturating_sub(self.leader_heard_ms)
                                < self.config.election_min_ms
                    }
                };
                let granted = term > self.hard.term && up_to_date && !leader_alive;
                // A granted pre-vote carries the asked term; a refusal carries ours, so a sender
                // behind learns the newer term.
                let term = if granted { term } else { self.hard.term };
                self.send(
                    from,
                    Message::Vote {
                        term,
                        granted,
                        pre: true,
                    },
                );
            }
            Message::RequestVote {
                term,
                last_index,
                last_term,
                pre: false,
            } => {
                let up_to_date =
                    (last_term, last_index) >= (self.log.last_term(), self.log.last_index());
                let free = match &self.hard.voted_for {
                    None => true,
                    Some(v) => v == from,
                };
                let granted = term == self.hard.term && free && up_to_date;
                if granted {
                    self.hard.voted_for = Some(from.to_string());
                    self.hard_dirty = true;
                    self.reset_election_deadline(now_ms);
                }
                let term = self.hard.term;
                self.send(
                    from,
                    Message::Vote {
                        term,
                        granted,
                        pre: false,
                    },
                );
            }
            Message::Vote {
                term,
                granted,
                pre: true,
            } => {
                if self.pre_voting && term == self.hard.term + 1 && granted {
                    self.votes.insert(from.to_string());
                    if self.votes.len() >= self.quorum() {
                        self.start_election(now_ms);
                    }
                } else if !granted && term > self.hard.term {
                    self.become_follower(term, None);
                }
            }
            Message::Vote {
                term,
                granted,
                pre: false,
            } => {
                if self.role == Role::Candidate && term == self.hard.term && granted {
                    self.votes.insert(from.to_string());
                    if self.votes.len() >= self.quorum() {
                        self.become_leader(now_ms);
                    }
                }
            }
            Message::Append {
                term,
                prev_index,
                prev_term,
                entries,
                commit,
            } => {
                if term < self.hard.term {
                    let term = self.hard.term;
                    self.send(
                        from,
                        Message::AppendResponse {
                            term,
                            success: false,
                            index: 0,
                        },
                    );
                    return;
                }
                if self.role != Role::Follower {
                    self.become_follower(term, Some(from.to_string()));
                }
                self.leader = Some(from.to_string());
                self.leader_heard_ms = now_ms;
                self.pre_voting = false;
                self.reset_election_deadline(now_ms);
                let response = self.handle_append(prev_index, prev_term, entries, commit);
                self.send(from, response);
            }
            Message::AppendResponse {
                term,
                success,
                index,
            } => {
                if self.role != Role::Leader || term != self.hard.term {
                    return;
                }
                let Some(pr) = self.progress.get_mut(from) else {
                    return;
                };
                pr.heard_ms = pr.heard_ms.max(now_ms);
                if success {
                    pr.match_index = pr.match_index.max(index);
                    pr.next_index = pr.next_index.max(index + 1);
                    self.maybe_commit();
                } else {
                    pr.next_index = (index + 1).min(pr.next_index).max(1);
                    pr.match_index = pr.match_index.min(index);
                    self.send_append(from);
                }
            }
        }
    }

    /// The consistency check and append of section 5.3.
    fn handle_append(
        &mut self,
        prev_index: u64,
        prev_term: u64,
        entries: Vec<Entry<C>>,
        leader_commit: u64,
    ) -> Message<C> {
        let term = self.hard.term;
        if prev_index > self.log.last_index() {
            let index = self.log.last_index();
            return Message::AppendResponse {
                term,
                success: false,
                index,
            };
        }
        if self.log.term_at(prev_index) != Some(prev_term) {
            // Skip back over the whole conflicting term at once.
            let index = self.log.first_index_of_term_at(prev_index) - 1;
            return Message::AppendResponse {
                term,
                success: false,
                index,
            };
        }
        let count = entries.len() as u64;
        for (i, entry) in entries.into_iter().enumerate() {
            let index = prev_index + 1 + i as u64;
            match self.log.term_at(index) {
                Some(t) if t == entry.term => continue,
                Some(_) => {
                    // Conflict: drop it and everything after (never a committed entry, 5.4).
                    self.log.truncate(index);
                    self.mark_unstable(index);
                    self.log.push(entry);
                }
                None => {
                    self.mark_unstable(index);
                    self.log.push(entry);
                }
            }
        }
        let matched = prev_index + count;
        let new_commit = leader_commit.min(matched);
        if new_commit > self.commit {
            self.commit = new_commit;
        }
        Message::AppendResponse {
            term,
            success: true,
            index: matched,
        }
    }

    /// Everything the driver must do now (see [`Ready`]); marks committed entries as applied.
    pub fn take_ready(&mut self) -> Ready<C> {
        if self.role == Role::Leader && self.broadcast_pending {
            self.broadcast_append();
        }
        let hard_state = std::mem::take(&mut self.hard_dirty).then(|| self.hard.clone());
        let entries_from = self.unstable_from.take();
        let entries = entries_from
            .map(|from| self.log.slice(from, usize::MAX))
            .unwrap_or_default();
        let committed = (self.applied + 1..=self.commit)
            .filter_map(|i| self.log.get(i).map(|e| (i, e.clone())))
            .collect();
        self.applied = self.commit;
        Ready {
            hard_state,
            entries_from,
            entries,
            messages: std::mem::take(&mut self.messages),
            committed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nodes() -> Vec<NodeId> {
        vec!["n1".into(), "n2".into(), "n3".into()]
    }

    fn node(id: &str, term: u64, log: &[u64]) -> RaftNode<u32> {
        let entries = log
            .iter()
            .map(|&t| Entry {
                term: t,
                cmd: Some(0),
            })
            .collect();
        let hard = HardState {
            term,
            voted_for: None,
        };
        RaftNode::new(config_without_pre_vote(id), hard, entries, 0)
    }

    /// The plain elections of section 5.2, which the tests below step through by hand.
    fn config_without_pre_vote(id: &str) -> RaftConfig {
        let mut config = RaftConfig::new(id, &nodes());
        config.pre_vote = false;
        config
    }

    fn vote_granted(msgs: &[(NodeId, Message<u32>)]) -> bool {
        msgs.iter()
            .any(|(_, m)| matches!(m, Message::Vote { granted: true, .. }))
    }

    #[test]
    fn election_times_out_into_candidacy_and_a_majority_makes_a_leader() {
        let mut n1 = node("n1", 0, &[]);
        n1.tick(1_000);
        assert_eq!(n1.role(), Role::Candidate);
        assert_eq!(n1.term(), 1);
        let ready = n1.take_ready();
        assert_eq!(
            ready
                .hard_state
                .as_ref()
                .and_then(|h| h.voted_for.as_deref()),
            Some("n1"),
            "the vote for itself is persisted before the requests go out"
        );
        assert_eq!(ready.messages.len(), 2);
        n1.step(
            "n2",
            Message::Vote {
                term: 1,
                granted: true,
                pre: false,
            },
            1_001,
        );
        assert!(n1.is_leader());
        assert_eq!(n1.last_index(), 1, "a new leader appends its no-op");
    }

    #[test]
    fn a_candidate_with_a_shorter_log_gets_no_vote() {
        // Election restriction (section 5.4.1): n2's log ends in term 2, the candidate's in term 1.
        let mut n2 = node("n2", 2, &[1, 2]);
        n2.step(
            "n1",
            Message::RequestVote {
                term: 3,
                last_index: 5,
                last_term: 1,
                pre: false,
            },
            0,
        );
        assert!(!vote_granted(&n2.take_ready().messages));
        n2.step(
            "n3",
            Message::RequestVote {
                term: 3,
                last_index: 2,
                last_term: 2,
                pre: false,
            },
            0,
        );
        assert!(vote_granted(&n2.take_ready().messages));
        // One vote per term.
        n2.step(
            "n1",
            Message::RequestVote {
                term: 3,
                last_index: 9,
                last_term: 3,
                pre: false,
            },
            0,
        );
        assert!(!vote_granted(&n2.take_ready().messages));
    }

    #[test]
    fn a_follower_replaces_a_conflicting_suffix_and_reports_it_for_persisting() {
        let mut n3 = node("n3", 2, &[1, 2, 2]);
        n3.step(
            "n1",
            Message::Append {
                term: 3,
                prev_index: 1,
                prev_term: 1,
                entries: vec![Entry {
                    term: 3,
                    cmd: Some(7),
                }],
                commit: 2,
            },
            0,
        );
        let ready = n3.take_ready();
        assert_eq!(ready.entries_from, Some(2));
        assert_eq!(ready.entries.len(), 1);
        assert_eq!(n3.last_index(), 2);
        assert_eq!(ready.committed.len(), 2);
        assert_eq!(ready.committed[1].1.cmd, Some(7));
    }

    #[test]
    fn a_leader_does_not_commit_an_old_term_entry_by_counting_replicas() {
        // Figure 8: n1 leads term 4 with an entry from term 2 that n2 also holds; until an entry of
        // term 4 is replicated, index 2 must not commit.
        let mut n1 = node("n1", 3, &[1, 2]);
        n1.tick(1_000);
        n1.step(
            "n2",
            Message::Vote {
                term: 4,
                granted: true,
                pre: false,
            },
            1_000,
        );
        assert!(n1.is_leader());
        n1.step(
            "n2",
            Message::AppendResponse {
                term: 4,
                success: true,
                index: 2,
            },
            1_001,
        );
        assert_eq!(
            n1.commit_index(),
            0,
            "term-2 entry not committed by counting"
        );
        n1.step(
            "n2",
            Message::AppendResponse {
                term: 4,
                success: true,
                index: 3,
            },
            1_002,
        );
        assert_eq!(
            n1.commit_index(),
            3,
            "the term-4 no-op commits, and everything before it"
        );
    }

    /// n1 leads term 1 at time 1 000 ms, n2 having voted for it.
    fn leader_n1(check_quorum: bool) -> RaftNode<u32> {
        let mut config = config_without_pre_vote("n1");
        config.check_quorum = check_quorum;
        let mut n1 = RaftNode::new(config, HardState::default(), Vec::new(), 0);
        n1.tick(1_000);
        n1.step(
            "n2",
            Message::Vote {
                term: 1,
                granted: true,
                pre: false,
            },
            1_000,
        );
        assert!(n1.is_leader());
        n1
    }

    #[test]
    fn a_leader_that_hears_no_quorum_for_an_election_timeout_steps_down() {
        let mut n1 = leader_n1(true);
        // n2 answers until 1 200 ms; n3 never does. One peer + itself is a quorum of three.
        for now in (1_050..=1_200).step_by(50) {
            let ack = Message::AppendResponse {
                term: 1,
                success: true,
                index: 1,
            };
            n1.step("n2", ack, now);
            n1.tick(now);
            assert!(n1.is_leader(), "still hears a quorum at {now} ms");
        }
        // Within the 300 ms window after n2's last answer it stays; past it, it steps down in the
        // same term and proposals are refused with no leader to point at.
        n1.tick(1_500);
        assert!(n1.is_leader());
        n1.tick(1_501);
        assert_eq!(n1.role(), Role::Follower);
        assert_eq!(n1.term(), 1);
        assert_eq!(n1.leader(), None);
        assert_eq!(n1.propose(9), Err(None));
    }

    #[test]
    fn without_check_quorum_a_cut_off_leader_keeps_believing_it_leads() {
        let mut n1 = leader_n1(false);
        n1.tick(60_000);
        assert!(n1.is_leader());
        assert!(n1.propose(9).is_ok());
    }

    #[test]
    fn a_pre_vote_round_keeps_the_term_until_a_quorum_would_vote() {
        let mut n1 = RaftNode::<u32>::new(
            RaftConfig::new("n1", &nodes()),
            HardState::default(),
            Vec::new(),
            0,
        );
        n1.tick(1_000);
        assert_eq!(n1.role(), Role::Follower);
        assert_eq!(n1.term(), 0, "asking costs no term");
        let ready = n1.take_ready();
        assert!(
            ready.hard_state.is_none(),
            "nothing to persist for a pre-vote"
        );
        assert!(ready.messages.iter().all(|(_, m)| matches!(
            m,
            Message::RequestVote {
                term: 1,
                pre: true,
                ..
            }
        )));
        // n2 has heard no leader: it says yes without changing its own term or vote.
        let mut n2 = node("n2", 0, &[]);
        n2.step("n1", ready.messages[0].1.clone(), 1_000);
        assert_eq!(n2.term(), 0);
        let answer = n2.take_ready().messages.remove(0).1;
        assert_eq!(
            answer,
            Message::Vote {
                term: 1,
                granted: true,
                pre: true
            }
        );
        n1.step("n2", answer, 1_001);
        assert_eq!(
            n1.role(),
            Role::Candidate,
            "a quorum would vote: the real election"
        );
        assert_eq!(n1.term(), 1);
    }

    #[test]
    fn a_follower_that_hears_its_leader_refuses_pre_votes_so_a_rejoining_node_cannot_depose_it() {
        // n2 follows n1 in term 4; n3 was cut off and wants term 5.
        let mut n2 = node("n2", 4, &[4]);
        let heartbeat = Message::Append {
            term: 4,
            prev_index: 1,
            prev_term: 4,
            entries: Vec::new(),
            commit: 1,
        };
        n2.step("n1", heartbeat, 10_000);
        let ask = Message::RequestVote {
            term: 5,
            last_index: 1,
            last_term: 4,
            pre: true,
        };
        n2.step("n3", ask.clone(), 10_100);
        let answer = n2.take_ready().messages.pop().expect("an answer").1;
        assert_eq!(
            answer,
            Message::Vote {
                term: 4,
                granted: false,
                pre: true
            }
        );
        assert_eq!(
            (n2.term(), n2.leader().map(String::as_str)),
            (4, Some("n1"))
        );
        // Once the leader has been silent for an election timeout, the same question is granted.
        n2.step("n3", ask, 10_151);
        assert!(vote_granted(&n2.take_ready().messages));
        assert_eq!(n2.term(), 4, "granting a pre-vote changes nothing here");
    }

    #[test]
    fn a_node_cut_off_from_everyone_keeps_its_term_through_many_timeouts() {
        let mut n3 = RaftNode::<u32>::new(
            RaftConfig::new("n3", &nodes()),
            HardState {
                term: 7,
                voted_for: None,
            },
            Vec::new(),
            0,
        );
        for now in (0..10_000).step_by(10) {
            n3.tick(now);
            n3.take_ready();
        }
        assert_eq!(n3.term(), 7);
        assert_ne!(n3.role(), Role::Candidate);
    }
}
