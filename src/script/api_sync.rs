//! Script registrations for RLock, Semaphore, BoundedSemaphore, Event,
//! Condition, Barrier, Value, Array.

use std::rc::Rc;

use rhai::{Dynamic, Engine};

use crate::codec::Handle;
use crate::runtime::Rt;

pub fn register(_engine: &mut Engine, _rt: Rc<Rt>) {}

/// The handle of a script object of these kinds, if `d` is one.
pub fn to_handle(_d: &Dynamic) -> Option<Handle> {
    None
}

/// The script object for a received handle of these kinds, if it is one.
pub fn from_handle(_h: &Handle) -> Option<Dynamic> {
    None
}
