//! The script objects of the synchronisation primitives: thin, copyable
//! handles naming a resource slot. Their behaviour lives in
//! `runtime::sync`; a copy sent to another process names the same resource.

/// An `RLock` (also what `v.get_lock()` returns).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RLockObj {
    pub id: u32,
}

/// A `Semaphore` or a `BoundedSemaphore`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SemaphoreObj {
    pub id: u32,
    pub bounded: bool,
}

/// An `Event`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventObj {
    pub id: u32,
}

/// A `Condition` (its lock is found through its slot).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConditionObj {
    pub id: u32,
}

/// A `Barrier`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BarrierObj {
    pub id: u32,
}

/// A shared `Value`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ValueObj {
    pub id: u32,
}

/// A shared `Array`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArrayObj {
    pub id: u32,
}
