//! Model updates for the synchronisation primitives other than Lock: RLock,
//! Semaphore, BoundedSemaphore, Event, Condition, Barrier, Value, Array.
//! (Fields per kind: see [`super::ResourceState`].)

use super::{Model, ResOp};

/// Applies a completed op on resource `id`.
pub fn apply(_model: &mut Model, _id: u32, _op: &ResOp<'_>) {}
