//! `Value(init)` and `Array(n, init)`: numbers in shared memory, with a lock.
//!
//! A Value lives in its slot: `count` = the number (an `i64`, or the bits of
//! an `f64`); `aux[0]` = 1 for a float Value; `aux[1]` = its lock's id (an
//! RLock, as Python's `get_lock()` gives). An Array of n numbers keeps them
//! in a chain of data blocks (`aux[2]` = first block, `aux[3]` = bytes, 8 per
//! element); a write builds the new chain and swaps it in, and every access
//! happens under the slot's mutex, so no reader ever sees a freed block.
//!
//! Its lock is created right after it, named `Value-N lock`.
//!
//! Each read (`v.value`, `a[i]`) is one op (`Load`) and each write
//! (`v.value = x`, `a[i] = x`) is another (`Store`): so `v.value += 1` is a
//! read, then a write, with a gate between them. Two processes that both read
//! before either writes lose an update — for real, and reproducibly under a
//! schedule. Holding `v.get_lock()` around it makes it safe.
//!
//! Records: `Load`/`Store` a = the number (the `f64` bits for a float),
//! b = element index (-1 for a Value; -2 for `a.to_list()`, whose a is the
//! length), c = 1 for a float. Creation writes a
//! `Store` with b = -1 and the detail `{"lock": ID, "values": [...]}`, so the
//! model learns the lock and the first contents.

use std::sync::atomic::Ordering::*;

use crate::runtime::{LessonError, LessonResult, LaneRuntime};
use crate::shm::layout::{NONE, ResourceSlot};
use crate::shm::mutex::Guard;
use crate::shm::record::{Op, ResKind};

/// Most elements an Array may have.
pub const MAX_ARRAY: i64 = 10_000;

/// A shared number.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Num {
    Int(i64),
    Float(f64),
}

impl Num {
    /// The bits stored in shared memory.
    pub fn bits(self) -> i64 {
        match self {
            Num::Int(i) => i,
            Num::Float(f) => f.to_bits() as i64,
        }
    }

    pub fn from_bits(bits: i64, float: bool) -> Num {
        if float { Num::Float(f64::from_bits(bits as u64)) } else { Num::Int(bits) }
    }

    pub fn is_float(self) -> bool {
        matches!(self, Num::Float(_))
    }

    /// Converts to the type of a shared number that is `float` or not, as
    /// ctypes does: an int into a float slot becomes a float; a float into an
    /// int slot is Python's TypeError.
    pub fn coerce(self, float: bool) -> LessonResult<Num> {
        match (self, float) {
            (Num::Int(i), true) => Ok(Num::Float(i as f64)),
            (Num::Float(_), false) => Err(LessonError::type_error("'float' object cannot be interpreted as an integer")),
            (n, _) => Ok(n),
        }
    }

    pub fn to_json(self) -> serde_json::Value {
        match self {
            Num::Int(i) => serde_json::Value::from(i),
            Num::Float(f) => serde_json::Number::from_f64(f).map_or(serde_json::Value::Null, serde_json::Value::Number),
        }
    }
}

/// Whether a Python typecode is a float (`d`, `f`), an int (`i`, `l`, `q`, …), or refused.
pub fn typecode_is_float(code: &str) -> LessonResult<bool> {
    match code {
        "d" | "f" => Ok(true),
        "b" | "B" | "h" | "H" | "i" | "I" | "l" | "L" | "q" | "Q" => Ok(false),
        "c" | "u" => Err(LessonError::type_error(format!("typecode '{code}' is not supported here: use 'i' for integers or 'd' for floats"))),
        _ => Err(LessonError::type_error("this type has no size")),
    }
}

fn encode(nums: &[Num]) -> Vec<u8> {
    nums.iter().flat_map(|n| n.bits().to_le_bytes()).collect()
}

impl LaneRuntime {
    /// Creates the RLock of a Value/Array, then the resource, then the
    /// creation record.
    fn shared_new(&self, kind: ResKind, values: &[Num], float: bool, line: u32) -> LessonResult<(u32, u32)> {
        self.set_line(line);
        let values: Vec<Num> = values.iter().map(|n| n.coerce(float)).collect::<LessonResult<_>>()?;
        let chain = if kind == ResKind::Array { self.v.write_chain(&encode(&values))? } else { NONE };
        let first = values.first().copied().unwrap_or(if float { Num::Float(0.0) } else { Num::Int(0) });
        let capacity = values.len() as i64;
        let id = self.new_resource(kind, None, capacity, |s| {
            s.count.store(first.bits(), Relaxed);
            s.aux[0].store(float as u64, Relaxed);
            s.aux[1].store(NONE as u64, Relaxed);
            s.aux[2].store(chain as u64, Relaxed);
            s.aux[3].store(values.len() as u64 * 8, Relaxed);
        })?;
        // Its lock is named after it. No other process knows the Value yet:
        // its handle leaves this process only as an argument, later.
        let lock = self.rlock_named(&format!("{} lock", self.v.resource(id).map(|s| s.name.get()).unwrap_or_default()))?;
        self.v.resource(id).expect("just created").aux[1].store(lock as u64, Release);
        let detail = serde_json::json!({ "lock": lock, "values": values.iter().map(|n| n.to_json()).collect::<Vec<_>>() });
        self.record_op(Op::Store, id, NONE, first.bits(), -1, float as i64, Some(&detail.to_string()));
        Ok((id, lock))
    }

    /// `Value(init)`: returns the Value's id and its lock's.
    pub fn value_new(&self, init: Num, float: bool, line: u32) -> LessonResult<(u32, u32)> {
        self.shared_new(ResKind::Value, &[init], float, line)
    }

    /// `Array(n, init)` / `Array([..])`.
    pub fn array_new(&self, values: &[Num], float: bool, line: u32) -> LessonResult<(u32, u32)> {
        if values.len() as i64 > MAX_ARRAY {
            return Err(LessonError::value(format!("Array length {} is more than forkscope keeps ({MAX_ARRAY})", values.len())));
        }
        self.shared_new(ResKind::Array, values, float, line)
    }

    /// The slot of a Value or an Array, and whether it holds floats.
    fn shared_slot(&self, id: u32, kind: ResKind) -> LessonResult<(&'static ResourceSlot, bool)> {
        let slot = self.slot(id, kind)?;
        Ok((slot, slot.aux[0].load(Acquire) != 0))
    }

    /// The lock of a Value or Array (`get_lock()`).
    pub fn shared_lock(&self, id: u32) -> LessonResult<u32> {
        let slot = self.slot(id, ResKind::Value).or_else(|_| self.slot(id, ResKind::Array))?;
        Ok(slot.aux[1].load(Acquire) as u32)
    }

    /// `v.value`.
    pub fn value_load(&self, id: u32, line: u32) -> LessonResult<Num> {
        let (slot, float) = self.shared_slot(id, ResKind::Value)?;
        self.enter_op(Op::Load, line);
        // The record is written under the mutex, as a store's is: a read
        // recorded after it let go could follow, in the records, a store
        // that came after the read, and a replay would read another value.
        let _g = Guard::new(&slot.mutex, self.lane);
        let bits = slot.count.load(Relaxed);
        self.record_op(Op::Load, id, NONE, bits, -1, float as i64, None);
        Ok(Num::from_bits(bits, float))
    }

    /// `v.value = x`.
    pub fn value_store(&self, id: u32, x: Num, line: u32) -> LessonResult<()> {
        let (slot, float) = self.shared_slot(id, ResKind::Value)?;
        let x = x.coerce(float)?;
        self.enter_op(Op::Store, line);
        let _g = Guard::new(&slot.mutex, self.lane);
        slot.count.store(x.bits(), Relaxed);
        slot.version.fetch_add(1, Release);
        self.record_op(Op::Store, id, NONE, x.bits(), -1, float as i64, None);
        Ok(())
    }

    /// Number of elements of Array `id` (fixed at creation).
    pub fn array_len(&self, id: u32) -> LessonResult<i64> {
        let (slot, _) = self.shared_slot(id, ResKind::Array)?;
        Ok(slot.capacity.load(Acquire))
    }

    /// The elements (caller holds the mutex).
    fn array_read(&self, slot: &ResourceSlot, float: bool) -> LessonResult<Vec<Num>> {
        let first = slot.aux[2].load(Relaxed) as u32;
        let len = slot.aux[3].load(Relaxed) as u32;
        let bytes = self.v.read_chain(first, len).ok_or_else(|| LessonError::runtime("the Array's memory is broken"))?;
        Ok(bytes.chunks_exact(8).map(|c| Num::from_bits(i64::from_le_bytes(c.try_into().unwrap_or([0; 8])), float)).collect())
    }

    /// Python's index rules: negative counts from the end.
    fn array_index(&self, slot: &ResourceSlot, i: i64) -> LessonResult<usize> {
        let n = slot.capacity.load(Relaxed);
        let j = if i < 0 { i + n } else { i };
        if !(0..n).contains(&j) {
            return Err(LessonError::new("IndexError", "invalid index"));
        }
        Ok(j as usize)
    }

    /// `a[i]`.
    pub fn array_load(&self, id: u32, i: i64, line: u32) -> LessonResult<Num> {
        let (slot, float) = self.shared_slot(id, ResKind::Array)?;
        let j = self.array_index(slot, i)?;
        self.enter_op(Op::Load, line);
        let _g = Guard::new(&slot.mutex, self.lane);
        let x = self.array_read(slot, float)?[j];
        self.record_op(Op::Load, id, NONE, x.bits(), j as i64, float as i64, None);
        Ok(x)
    }

    /// `a[i] = x`.
    pub fn array_store(&self, id: u32, i: i64, x: Num, line: u32) -> LessonResult<()> {
        let (slot, float) = self.shared_slot(id, ResKind::Array)?;
        let j = self.array_index(slot, i)?;
        let x = x.coerce(float)?;
        self.enter_op(Op::Store, line);
        let _g = Guard::new(&slot.mutex, self.lane);
        let mut all = self.array_read(slot, float)?;
        all[j] = x;
        let chain = self.v.write_chain(&encode(&all))?;
        let old = slot.aux[2].swap(chain as u64, Release) as u32;
        self.v.free_chain(old);
        slot.version.fetch_add(1, Release);
        self.record_op(Op::Store, id, NONE, x.bits(), j as i64, float as i64, None);
        Ok(())
    }

    /// `a.to_list()` (Python's `a[:]`): every element, one op.
    pub fn array_all(&self, id: u32, line: u32) -> LessonResult<Vec<Num>> {
        let (slot, float) = self.shared_slot(id, ResKind::Array)?;
        self.enter_op(Op::Load, line);
        let _g = Guard::new(&slot.mutex, self.lane);
        let all = self.array_read(slot, float)?;
        self.record_op(Op::Load, id, NONE, all.len() as i64, -2, float as i64, None);
        Ok(all)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_keep_their_type_like_ctypes() {
        assert_eq!(Num::Int(3).coerce(true).unwrap(), Num::Float(3.0));
        assert_eq!(Num::Float(2.5).coerce(false).unwrap_err().to_string(), "TypeError: 'float' object cannot be interpreted as an integer");
        for n in [Num::Int(-7), Num::Float(-0.125), Num::Int(i64::MAX)] {
            assert_eq!(Num::from_bits(n.bits(), n.is_float()), n);
        }
        assert!(typecode_is_float("d").unwrap());
        assert!(!typecode_is_float("i").unwrap());
        assert_eq!(typecode_is_float("x").unwrap_err().to_string(), "TypeError: this type has no size");
    }
}
