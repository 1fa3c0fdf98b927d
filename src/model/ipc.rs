//! Model updates for the communication resources: Queue, JoinableQueue, Pipe,
//! Pool, AsyncResult, Socket. (Fields per kind: see [`super::ResourceState`].)

use super::{Model, ResOp};

/// Applies a completed op on resource `id`.
pub fn apply(_model: &mut Model, _id: u32, _op: &ResOp<'_>) {}
