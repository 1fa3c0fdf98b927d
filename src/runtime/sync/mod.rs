//! Synchronisation primitives other than Lock, each in its own file: RLock,
//! Semaphore / BoundedSemaphore, Event, Condition, Barrier, Value / Array.
