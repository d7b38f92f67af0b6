//! A case replica: the event DAG one case-team device holds, checked on every event, and
//! the case's state derived from it the same way on every device.
//!
//! **Acceptance.** An event is accepted once, when it arrives, if:
//! its signature verifies (decoding); it names this organization and case; every parent
//! is held; its time is not before any parent's; the roster lists its author with the
//! role the author signed as and the author's epoch is not newer than the roster held
//! (roster checks); and it is a valid step from the state of *its own causal past* (the
//! fold of its ancestors): the transition is allowed, the author may take it, verified
//! has an unexpired vouch, and so on ([`CaseError`]). Because the causal past is fixed
//! by the parent hashes, every replica with the same roster accepts the same events
//! whatever order they arrive in.
//!
//! **State (the deterministic merge).** The state is a fold of all accepted events in
//! one order: topological (parents first), ties broken by the smaller `(time, hash)`.
//! Two concurrent events can conflict (one declines while another matches); the fold
//! applies each event that is still a valid step at its place in the order and records
//! the others as [superseded](Case::superseded), still in the history. The fold uses only
//! what the events carry (roles were checked at acceptance), so it is a pure function of
//! the set of events: replicas holding the same events hold the same state.

use super::encoding::DecodeError;
use super::event::{CaseEvent, EventBody, EventHeader, MAX_PARENTS};
use super::ids::{CaseId, EventHash, OrgId};
use super::intake::IntakeRequest;
use super::lifecycle::Status;
use super::role::{CaseAction, Role, may_act};
use super::roster::{Roster, RosterError};
use super::vouch::{Tier, Vouch, VouchError};
use crate::primitives::ed25519::VerifyingKey;
use crate::protocol::identity::Identity;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};
use std::fmt;

/// Most events in one case's history.
pub const MAX_EVENTS: usize = 2000;
/// Most vouches attached to one case.
pub const MAX_VOUCHES: usize = 32;

/// Why an event was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CaseError {
    /// Malformed bytes or a bad signature.
    #[error("malformed case event: {0}")]
    Decode(#[from] DecodeError),
    /// The author (or the assignee) is not on the roster, or was removed.
    #[error(transparent)]
    Roster(#[from] RosterError),
    /// The attached vouch is refused.
    #[error(transparent)]
    Vouch(#[from] VouchError),
    /// The event is for another organization.
    #[error("the event is for another organization")]
    WrongOrganization,
    /// The event is for another case.
    #[error("the event is for another case")]
    WrongCase,
    /// A case must start with an opened event.
    #[error("a case starts with an opened event")]
    NotOpened,
    /// A second opened event for a case already held.
    #[error("the case is already open")]
    AlreadyOpened,
    /// A parent is not held yet (deliver parents first; the event can be retried).
    #[error("the event's parents are not all held yet")]
    MissingParents,
    /// The event is dated before one of its parents.
    #[error("the event is dated before one of its parents")]
    TimeBeforeParent,
    /// The author acted under a roster epoch newer than the one held (update the
    /// roster, then retry).
    #[error("the event names a roster epoch newer than the one held")]
    RosterBehind,
    /// The author signed as a role the roster does not give them.
    #[error("the author's role on the roster is not the role they signed as")]
    RoleMismatch,
    /// The author's role does not allow the action (or the author is a caseworker the
    /// case is not assigned to).
    #[error("not allowed to {0}")]
    NotAuthorized(CaseAction),
    /// A case can be assigned only to a caseworker.
    #[error("a case can be assigned only to a caseworker")]
    AssigneeNotCaseworker,
    /// The status change is not an allowed transition.
    #[error("a case cannot go from {from} to {to}")]
    InvalidTransition {
        /// The status before.
        from: Status,
        /// The status asked for.
        to: Status,
    },
    /// Verified needs a vouch, and the case has none.
    #[error("a case cannot be verified without a vouch")]
    NoVouch,
    /// Every vouch on the case has expired at the time of the change.
    #[error("the case's vouches have expired")]
    VouchExpired,
    /// No vouch on the case is valid at the time of the change, and not all have
    /// expired. Accepted histories cannot produce it (a vouch is valid when attached, and
    /// the change that uses it is never dated before the attachment); it keeps corrupt
    /// input typed.
    #[error("no vouch on the case is valid at this time")]
    NoValidVouch,
    /// Matched needs an assigned caseworker.
    #[error("a case must be assigned before it is matched")]
    NeedsAssignee,
    /// Nothing follows closed.
    #[error("the case is closed")]
    Closed,
    /// The action is not possible in the case's status (a vouch after the case ended).
    #[error("not possible while the case is {0}")]
    NotInStatus(Status),
    /// The history is at [`MAX_EVENTS`].
    #[error("the case history is full")]
    TooManyEvents,
    /// The case has [`MAX_VOUCHES`] vouches.
    #[error("the case has too many vouches")]
    TooManyVouches,
}

/// A note on the case. `Debug` shows nothing.
#[derive(Clone, PartialEq, Eq)]
pub struct Note {
    /// Who wrote it.
    pub author: VerifyingKey,
    /// When.
    pub time: u64,
    /// The event that carries it.
    pub event: EventHash,
}

impl fmt::Debug for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Note(..)")
    }
}

/// A case as the fold of its events leaves it. `Debug` shows only the status.
#[derive(Clone, PartialEq, Eq)]
pub struct CaseState {
    org: OrgId,
    case: CaseId,
    requester: VerifyingKey,
    referrer: Option<VerifyingKey>,
    opened_by: VerifyingKey,
    opened_at: u64,
    status: Status,
    assignee: Option<VerifyingKey>,
    vouches: Vec<Vouch>,
    verified_tier: Option<Tier>,
    notes: Vec<Note>,
    closed_at: Option<u64>,
    updated_at: u64,
}

impl fmt::Debug for CaseState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CaseState")
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

impl CaseState {
    fn opened(event: &CaseEvent) -> Result<Self, CaseError> {
        let EventBody::Opened {
            requester,
            referrer,
            ..
        } = event.body()
        else {
            return Err(CaseError::NotOpened);
        };
        if !may_act(event.author_role(), false, CaseAction::Open) {
            return Err(CaseError::NotAuthorized(CaseAction::Open));
        }
        Ok(Self {
            org: event.org(),
            case: event.case(),
            requester: *requester,
            referrer: *referrer,
            opened_by: *event.author(),
            opened_at: event.time(),
            status: Status::New,
            assignee: None,
            vouches: Vec::new(),
            verified_tier: None,
            notes: Vec::new(),
            closed_at: None,
            updated_at: event.time(),
        })
    }

    /// The organization.
    pub fn org(&self) -> OrgId {
        self.org
    }
    /// The case id.
    pub fn case(&self) -> CaseId {
        self.case
    }
    /// The requester's pairwise key.
    pub fn requester(&self) -> &VerifyingKey {
        &self.requester
    }
    /// The referrer, when the request came through a referral code.
    pub fn referrer(&self) -> Option<&VerifyingKey> {
        self.referrer.as_ref()
    }
    /// The coordinator who opened it.
    pub fn opened_by(&self) -> &VerifyingKey {
        &self.opened_by
    }
    /// When it was opened.
    pub fn opened_at(&self) -> u64 {
        self.opened_at
    }
    /// The current status.
    pub fn status(&self) -> Status {
        self.status
    }
    /// The assigned caseworker.
    pub fn assignee(&self) -> Option<&VerifyingKey> {
        self.assignee.as_ref()
    }
    /// The vouches attached, in the order the fold applied them.
    pub fn vouches(&self) -> &[Vouch] {
        &self.vouches
    }
    /// The tier of the vouch that verified the case: among the vouches valid at the
    /// verifying event, the one that expires last (ties: the higher tier, direct > co >
    /// partner).
    pub fn verified_tier(&self) -> Option<Tier> {
        self.verified_tier
    }
    /// The notes, in fold order (the text is in the event: [`Case::event`]).
    pub fn notes(&self) -> &[Note] {
        &self.notes
    }
    /// When the case was closed.
    pub fn closed_at(&self) -> Option<u64> {
        self.closed_at
    }
    /// The time of the last event applied.
    pub fn updated_at(&self) -> u64 {
        self.updated_at
    }

    /// When a closed case is due to be purged under a retention of `retention_secs`.
    pub fn purge_at(&self, retention_secs: u64) -> Option<u64> {
        self.closed_at.map(|t| t.saturating_add(retention_secs))
    }

    fn authorize(&self, event: &CaseEvent, action: CaseAction) -> Result<(), CaseError> {
        let is_assignee = self.assignee.as_ref() == Some(event.author());
        if may_act(event.author_role(), is_assignee, action) {
            Ok(())
        } else {
            Err(CaseError::NotAuthorized(action))
        }
    }

    /// Applies one event that is not the opening one: checks everything first and
    /// changes nothing on error. Uses only what the event carries.
    fn step(&mut self, event: &CaseEvent) -> Result<(), CaseError> {
        if self.status.is_terminal() {
            return Err(CaseError::Closed);
        }
        match event.body() {
            EventBody::Opened { .. } => return Err(CaseError::AlreadyOpened),
            EventBody::Assigned { caseworker } => {
                self.authorize(event, CaseAction::Assign)?;
                self.assignee = Some(*caseworker);
            }
            EventBody::StatusChanged { to, .. } => {
                self.authorize(event, CaseAction::ChangeStatus)?;
                let (from, to) = (self.status, *to);
                if !from.may_become(to) {
                    return Err(CaseError::InvalidTransition { from, to });
                }
                let mut tier = self.verified_tier;
                if to == Status::Verified && from == Status::Verifying {
                    tier = Some(self.valid_vouch_tier(event.time())?);
                }
                if to == Status::Matched && self.assignee.is_none() {
                    return Err(CaseError::NeedsAssignee);
                }
                self.verified_tier = tier;
                self.status = to;
                if to == Status::Closed {
                    self.closed_at = Some(event.time());
                }
            }
            EventBody::Vouched { vouch } => {
                self.authorize(event, CaseAction::AttachVouch)?;
                if !self.status.accepts_vouches() {
                    return Err(CaseError::NotInStatus(self.status));
                }
                vouch.check(self.org, self.case, &self.requester, event.time())?;
                if self.vouches.len() >= MAX_VOUCHES {
                    return Err(CaseError::TooManyVouches);
                }
                self.vouches.push(vouch.clone());
            }
            EventBody::Noted { .. } => {
                self.authorize(event, CaseAction::Note)?;
                self.notes.push(Note {
                    author: *event.author(),
                    time: event.time(),
                    event: event.hash(),
                });
            }
        }
        self.updated_at = self.updated_at.max(event.time());
        Ok(())
    }

    fn valid_vouch_tier(&self, at: u64) -> Result<Tier, CaseError> {
        if self.vouches.is_empty() {
            return Err(CaseError::NoVouch);
        }
        let best = self
            .vouches
            .iter()
            .filter(|v| v.check_time(at).is_ok())
            .max_by_key(|v| (v.expires_at(), v.tier()));
        match best {
            Some(vouch) => Ok(vouch.tier()),
            None if self.vouches.iter().all(|v| at > v.expires_at()) => {
                Err(CaseError::VouchExpired)
            }
            None => Err(CaseError::NoValidVouch),
        }
    }
}

/// What [`Case::apply`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Applied {
    /// The event was new and is now in the history.
    Added,
    /// The event was already held.
    AlreadyHeld,
}

/// One device's replica of a case: the accepted events and the state they fold to.
#[derive(Clone)]
pub struct Case {
    genesis: EventHash,
    events: BTreeMap<EventHash, CaseEvent>,
    heads: BTreeSet<EventHash>,
    state: CaseState,
    superseded: BTreeSet<EventHash>,
}

impl fmt::Debug for Case {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Case")
            .field("status", &self.state.status)
            .field("events", &self.events.len())
            .finish_non_exhaustive()
    }
}

impl Case {
    /// A coordinator opens a case from an intake request: returns the replica and the
    /// opening event to send to the rest of the case team.
    ///
    /// # Errors
    /// As [`Self::open`].
    #[allow(clippy::too_many_arguments)]
    pub fn create(
        coordinator: &Identity,
        roster: &Roster,
        case: CaseId,
        requester: VerifyingKey,
        referrer: Option<VerifyingKey>,
        request: IntakeRequest,
        time: u64,
    ) -> Result<(Self, CaseEvent), CaseError> {
        let role = roster.role_of(coordinator.public().signing_key())?;
        let header = EventHeader {
            org: roster.org(),
            case,
            parents: Vec::new(),
            roster_epoch: roster.number(),
            author_role: role,
            time,
        };
        let event = CaseEvent::sign(
            coordinator,
            header,
            EventBody::Opened {
                requester,
                referrer,
                request,
            },
        )?;
        let case = Self::open(event.clone(), roster)?;
        Ok((case, event))
    }

    /// Starts a replica from a case's opening event.
    ///
    /// # Errors
    /// [`CaseError::NotOpened`] unless it is an opened event; [`CaseError::WrongOrganization`];
    /// the roster checks ([`CaseError::Roster`], [`CaseError::RoleMismatch`],
    /// [`CaseError::RosterBehind`]); [`CaseError::NotAuthorized`] unless by a coordinator.
    pub fn open(event: CaseEvent, roster: &Roster) -> Result<Self, CaseError> {
        if event.org() != roster.org() {
            return Err(CaseError::WrongOrganization);
        }
        check_author(&event, roster)?;
        Self::start(event)
    }

    fn start(event: CaseEvent) -> Result<Self, CaseError> {
        let state = CaseState::opened(&event)?;
        let hash = event.hash();
        Ok(Self {
            genesis: hash,
            events: BTreeMap::from([(hash, event)]),
            heads: BTreeSet::from([hash]),
            state,
            superseded: BTreeSet::new(),
        })
    }

    /// Reloads a replica from events that were accepted before (from the encrypted
    /// store), opening event first and parents before children ([`Self::events_in_order`]
    /// gives that order). Roster checks are not repeated: they held when the events were
    /// accepted, and a member removed since must not rewrite the history.
    ///
    /// # Errors
    /// Any structural or lifecycle refusal of [`Self::apply`].
    pub fn restore(events: Vec<CaseEvent>) -> Result<Self, CaseError> {
        let mut events = events.into_iter();
        let first = events.next().ok_or(CaseError::NotOpened)?;
        let mut case = Self::start(first)?;
        for event in events {
            case.accept(event, None)?;
        }
        Ok(case)
    }

    /// Accepts an event (see the [module docs](self)). On error nothing changes.
    ///
    /// # Errors
    /// See [`CaseError`].
    pub fn apply(&mut self, event: CaseEvent, roster: &Roster) -> Result<Applied, CaseError> {
        self.accept(event, Some(roster))
    }

    /// Checks that `event` would be accepted, without adding it.
    ///
    /// # Errors
    /// As [`Self::apply`].
    pub fn check(&self, event: &CaseEvent, roster: &Roster) -> Result<(), CaseError> {
        self.check_inner(event, Some(roster)).map(drop)
    }

    /// Signs an event by `author` on top of the current heads (at most [`MAX_PARENTS`],
    /// the smallest hashes first), checks that it would be accepted, and applies it.
    /// Returns the event to send to the rest of the case team.
    ///
    /// # Errors
    /// As [`Self::apply`]; [`CaseError::Roster`] if `author` is not on the roster.
    pub fn author(
        &mut self,
        author: &Identity,
        roster: &Roster,
        time: u64,
        body: EventBody,
    ) -> Result<CaseEvent, CaseError> {
        let role = roster.role_of(author.public().signing_key())?;
        let header = EventHeader {
            org: self.state.org,
            case: self.state.case,
            parents: self.heads.iter().take(MAX_PARENTS).copied().collect(),
            roster_epoch: roster.number(),
            author_role: role,
            time,
        };
        let event = CaseEvent::sign(author, header, body)?;
        self.apply(event.clone(), roster)?;
        Ok(event)
    }

    /// Runs every acceptance check. `Ok(None)`: already held. `Ok(Some(state))`: the
    /// state of the event's causal past after the event.
    fn check_inner(
        &self,
        event: &CaseEvent,
        roster: Option<&Roster>,
    ) -> Result<Option<CaseState>, CaseError> {
        if event.org() != self.state.org {
            return Err(CaseError::WrongOrganization);
        }
        if event.case() != self.state.case {
            return Err(CaseError::WrongCase);
        }
        if self.events.contains_key(&event.hash()) {
            return Ok(None);
        }
        if matches!(event.body(), EventBody::Opened { .. }) {
            return Err(CaseError::AlreadyOpened);
        }
        let mut latest_parent = 0u64;
        for parent in event.parents() {
            let held = self.events.get(parent).ok_or(CaseError::MissingParents)?;
            latest_parent = latest_parent.max(held.time());
        }
        if event.time() < latest_parent {
            return Err(CaseError::TimeBeforeParent);
        }
        if let Some(roster) = roster {
            check_author(event, roster)?;
            match event.body() {
                EventBody::Assigned { caseworker }
                    if roster.role_of(caseworker)? != Role::Caseworker =>
                {
                    return Err(CaseError::AssigneeNotCaseworker);
                }
                EventBody::Vouched { vouch } if !roster.may_vouch(vouch.signer(), vouch.tier()) => {
                    return Err(VouchError::SignerNotAuthorized.into());
                }
                _ => {}
            }
        }
        if self.events.len() >= MAX_EVENTS {
            return Err(CaseError::TooManyEvents);
        }
        let parents: BTreeSet<EventHash> = event.parents().iter().copied().collect();
        let mut past = if parents == self.heads {
            self.state.clone()
        } else {
            self.fold(Some(&self.ancestors(&parents))).0
        };
        past.step(event)?;
        Ok(Some(past))
    }

    fn accept(&mut self, event: CaseEvent, roster: Option<&Roster>) -> Result<Applied, CaseError> {
        let Some(after) = self.check_inner(&event, roster)? else {
            return Ok(Applied::AlreadyHeld);
        };
        let hash = event.hash();
        let extends_all_heads = event.parents().len() == self.heads.len()
            && event.parents().iter().all(|p| self.heads.contains(p));
        for parent in event.parents() {
            self.heads.remove(parent);
        }
        self.heads.insert(hash);
        self.events.insert(hash, event);
        if extends_all_heads {
            // A child of every head follows every held event in the order, so the fold
            // of everything is the fold so far plus this event.
            self.state = after;
        } else {
            let (state, superseded) = self.fold(None);
            self.state = state;
            self.superseded = superseded;
        }
        Ok(Applied::Added)
    }

    /// `roots` and all their ancestors.
    fn ancestors(&self, roots: &BTreeSet<EventHash>) -> BTreeSet<EventHash> {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<EventHash> = roots.iter().copied().collect();
        while let Some(hash) = stack.pop() {
            if seen.insert(hash) {
                if let Some(event) = self.events.get(&hash) {
                    stack.extend(event.parents().iter().copied());
                }
            }
        }
        seen
    }

    /// The deterministic order: parents first, ties by the smaller `(time, hash)`.
    fn order(&self, subset: Option<&BTreeSet<EventHash>>) -> Vec<EventHash> {
        let included = |hash: &EventHash| subset.is_none_or(|s| s.contains(hash));
        let mut waiting: BTreeMap<EventHash, usize> = BTreeMap::new();
        let mut children: BTreeMap<EventHash, Vec<EventHash>> = BTreeMap::new();
        let mut ready = BinaryHeap::new();
        for (hash, event) in self.events.iter().filter(|(h, _)| included(h)) {
            let parents = event.parents().iter().filter(|p| included(p)).count();
            for parent in event.parents() {
                children.entry(*parent).or_default().push(*hash);
            }
            if parents == 0 {
                ready.push(Reverse((event.time(), *hash)));
            } else {
                waiting.insert(*hash, parents);
            }
        }
        let mut order = Vec::with_capacity(self.events.len());
        while let Some(Reverse((_, hash))) = ready.pop() {
            order.push(hash);
            for child in children.get(&hash).into_iter().flatten() {
                if let Some(count) = waiting.get_mut(child) {
                    *count -= 1;
                    if *count == 0 {
                        waiting.remove(child);
                        if let Some(event) = self.events.get(child) {
                            ready.push(Reverse((event.time(), *child)));
                        }
                    }
                }
            }
        }
        order
    }

    /// Folds the events of `subset` (all when `None`) in [`Self::order`]: the state and
    /// the events that were not valid steps at their place.
    fn fold(&self, subset: Option<&BTreeSet<EventHash>>) -> (CaseState, BTreeSet<EventHash>) {
        let mut state = self.state_at_genesis();
        let mut superseded = BTreeSet::new();
        for hash in self.order(subset) {
            if hash == self.genesis {
                continue;
            }
            if let Some(event) = self.events.get(&hash) {
                if state.step(event).is_err() {
                    superseded.insert(hash);
                }
            }
        }
        (state, superseded)
    }

    fn state_at_genesis(&self) -> CaseState {
        let mut state = self.state.clone();
        if let Some(Ok(opened)) = self.events.get(&self.genesis).map(CaseState::opened) {
            state = opened;
        }
        state
    }

    /// The current state.
    pub fn state(&self) -> &CaseState {
        &self.state
    }
    /// The case id.
    pub fn id(&self) -> CaseId {
        self.state.case
    }
    /// The opening event's hash.
    pub fn genesis(&self) -> EventHash {
        self.genesis
    }
    /// The heads: events no other event names as a parent.
    pub fn heads(&self) -> &BTreeSet<EventHash> {
        &self.heads
    }
    /// The event with hash `hash`.
    pub fn event(&self, hash: &EventHash) -> Option<&CaseEvent> {
        self.events.get(hash)
    }
    /// How many events the history holds.
    pub fn len(&self) -> usize {
        self.events.len()
    }
    /// Always false: a case has at least its opening event.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }
    /// The intake request the case was opened from.
    pub fn request(&self) -> Option<&IntakeRequest> {
        match self.events.get(&self.genesis).map(CaseEvent::body) {
            Some(EventBody::Opened { request, .. }) => Some(request),
            _ => None,
        }
    }
    /// Accepted events the fold did not apply, because a concurrent event it ordered
    /// first made them invalid (for example a decline concurrent with a match). They stay
    /// in the history so the team can see and resolve the conflict.
    pub fn superseded(&self) -> &BTreeSet<EventHash> {
        &self.superseded
    }
    /// Every event in the fold's order (parents first): the order to store and to
    /// [`restore`](Self::restore) from.
    pub fn events_in_order(&self) -> Vec<&CaseEvent> {
        self.order(None)
            .iter()
            .filter_map(|hash| self.events.get(hash))
            .collect()
    }
    /// Whether the case is closed and its retention (`retention_secs`, from the roster)
    /// has run out at `now`: then every device purges it.
    pub fn purge_due(&self, retention_secs: u64, now: u64) -> bool {
        self.state
            .purge_at(retention_secs)
            .is_some_and(|at| now >= at)
    }
}

/// The roster checks on an event's author.
fn check_author(event: &CaseEvent, roster: &Roster) -> Result<(), CaseError> {
    if event.roster_epoch() > roster.number() {
        return Err(CaseError::RosterBehind);
    }
    if roster.role_of(event.author())? != event.author_role() {
        return Err(CaseError::RoleMismatch);
    }
    Ok(())
}
