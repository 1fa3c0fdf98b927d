"""forkscope's `Value` and `Array`: numbers in the run's shared memory. Each
read and each write is an op, so `counter.value += 1` is two (the lost update
of the course is there to step through). With `lock=True` (the default) they
come with an RLock (`get_lock()`), as CPython's synchronized wrappers do.
"""
import ctypes
import struct

import forkscope_rt as rt
from forkscope_rt import ok

__all__ = ["RawValue", "RawArray", "Value", "Array", "copy", "synchronized"]

# typecode -> ctypes type (as CPython's sharedctypes)
typecode_to_type = {
    "c": ctypes.c_char, "u": ctypes.c_wchar,
    "b": ctypes.c_byte, "B": ctypes.c_ubyte,
    "h": ctypes.c_short, "H": ctypes.c_ushort,
    "i": ctypes.c_int, "I": ctypes.c_uint,
    "l": ctypes.c_long, "L": ctypes.c_ulong,
    "q": ctypes.c_longlong, "Q": ctypes.c_ulonglong,
    "f": ctypes.c_float, "d": ctypes.c_double,
    "?": ctypes.c_bool,
}
_FLOATS = (ctypes.c_float, ctypes.c_double)


def _ctype(typecode_or_type, structures=False):
    t = typecode_to_type.get(typecode_or_type, typecode_or_type)
    if structures and isinstance(t, type) and issubclass(t, ctypes.Structure):
        _fields(t)
        return t
    if not (isinstance(t, type) and issubclass(t, ctypes._SimpleCData)):
        what = "numbers and Structures of numbers" if structures else "numbers"
        raise TypeError("forkscope shares %s only: %r is not a number type code or ctypes number type" % (what, typecode_or_type))
    return t


def _fields(stype):
    """A Structure's fields, (name, ctypes number type) each; a field of
    another kind (a nested Structure, an array, a bit field) is a TypeError."""
    fields = []
    for f in getattr(stype, "_fields_", ()):
        if len(f) != 2 or not (isinstance(f[1], type) and issubclass(f[1], ctypes._SimpleCData)):
            raise TypeError("forkscope shares Structures of numbers only: field %r of %s is not a ctypes number" % (f[0], stype.__name__))
        fields.append((f[0], f[1]))
    if not fields:
        raise TypeError("forkscope shares Structures of numbers only: %s has no fields" % stype.__name__)
    return fields


def _bits(ctype, x):
    """The 64 bits stored for `x` as `ctype` holds it (wrapping like C)."""
    v = ctype(x).value
    if ctype in _FLOATS:
        return struct.unpack("<q", struct.pack("<d", float(v)))[0], 1
    if isinstance(v, bytes):
        v = v[0] if v else 0
    elif isinstance(v, str):
        v = ord(v) if v else 0
    return int(v), 0


def _value(ctype, bits):
    if ctype in _FLOATS:
        return struct.unpack("<d", struct.pack("<q", bits))[0]
    if ctype is ctypes.c_char:
        return bytes([bits & 0xFF])
    if ctype is ctypes.c_wchar:
        return chr(bits)
    if ctype is ctypes.c_bool:
        return bool(bits)
    return bits


class _Shared:
    def __getstate__(self):
        from ._common import assert_spawning

        assert_spawning(self)
        return dict(self.__dict__)


class SynchronizedBase:
    """What CPython's synchronized wrappers add to a raw shared object: its
    lock. (`lock=False` and the Raw* functions give the raw object, which
    has none, as in CPython.) A wrapper is this and its raw class, in that
    order: `(what, init, lock, name)` makes the raw object of `(what, init,
    name)` and its lock. Named as CPython names them: `Synchronized` (a
    number), `SynchronizedArray`, `SynchronizedString` (of `'c'`),
    `Synchronized<Structure's name>`."""

    # The name its repr gives, if not its class's.
    _shown_as = None

    def __init__(self, what, init, lock, name):
        super().__init__(what, init, name)
        self.__dict__["_lock"] = _lock_of(self._id, lock)

    def __repr__(self):
        return "<%s wrapper for %s>" % (self._shown_as or type(self).__name__, super().__repr__())

    def get_lock(self):
        return self._lock

    def get_obj(self):
        """The raw shared object under the lock (the same memory)."""
        raw_type = next(c for c in (_RawArray, _RawStructArray, _RawStructure, _RawValue) if isinstance(self, c))
        raw = raw_type.__new__(raw_type)
        raw.__dict__.update((k, v) for k, v in self.__dict__.items() if k != "_lock")
        return raw

    def acquire(self, *args):
        return self._lock.acquire(*args)

    def release(self):
        return self._lock.release()

    def __enter__(self):
        return self._lock.__enter__()

    def __exit__(self, *args):
        return self._lock.__exit__(*args)


def _lock_of(id, lock):
    from .synchronize import RLock

    if lock is True or lock is None:
        return RLock(_id=ok(rt.lib.fs_shared_lock(id)))
    if not hasattr(lock, "acquire"):
        raise AttributeError("%r has no method 'acquire'" % lock)
    return lock


class _RawValue(_Shared):
    """A shared number without a lock (CPython's raw ctypes object)."""

    # How the variables pane shows it (`<Value balance>`: its repr would
    # read it, an op).
    _fs_kind = "Value"

    def __init__(self, ctype, init, name):
        self._ctype = ctype
        self._name = name
        bits, fl = _bits(ctype, init)
        b, n = rt.text(name)
        self._id = ok(rt.lib.fs_value_new(bits, fl, b, n, rt.line()))

    @property
    def value(self):
        bits = ctypes.c_int64()
        ok(rt.lib.fs_value_load(self._id, rt.line(), ctypes.byref(bits)))
        return _value(self._ctype, bits.value)

    @value.setter
    def value(self, x):
        bits, fl = _bits(self._ctype, x)
        ok(rt.lib.fs_value_store(self._id, bits, fl, rt.line()))

    def __repr__(self):
        return "%s(%r)" % (self._ctype.__name__, self.value)


class _RawStructure(_Shared):
    """A shared ctypes Structure of numbers without a lock: each field a
    shared number of its own (`foo.x`, `foo.y`), read and written as such."""

    _fs_kind = "Value"

    def __init__(self, stype, init, name):
        d = self.__dict__
        d["_ctype"] = stype
        d["_name"] = name
        d["_fields"] = {f: _RawValue(t, getattr(init, f), "%s.%s" % (name, f)) for f, t in _fields(stype)}
        d["_id"] = next(iter(d["_fields"].values()))._id

    def __getattr__(self, name):
        fields = self.__dict__.get("_fields")
        if fields is not None and name in fields:
            return fields[name].value
        raise AttributeError("%r object has no attribute %r" % (type(self).__name__, name))

    def __setattr__(self, name, value):
        fields = self.__dict__.get("_fields")
        if fields is not None and name in fields:
            fields[name].value = value
        else:
            self.__dict__[name] = value

    def __setstate__(self, state):
        self.__dict__.update(state)

    def __repr__(self):
        return "<%s.%s object at %#x>" % (self._ctype.__module__, self._ctype.__qualname__, id(self))


class _SynchronizedStructure(SynchronizedBase, _RawStructure):
    """A Structure's wrapper; each Structure type has its subclass,
    `Synchronized<name>` (see `_structure_wrapper`)."""

    def __reduce__(self):
        return (_rebuild_structure, (self._ctype, self.__getstate__()))


_structure_wrappers = {}


def _structure_wrapper(stype):
    """`SynchronizedPoint` for `Point`, made once per Structure type."""
    cls = _structure_wrappers.get(stype)
    if cls is None:
        name = "Synchronized" + stype.__name__
        cls = _structure_wrappers[stype] = type(name, (_SynchronizedStructure,), {"__qualname__": name})
    return cls


def _rebuild_structure(stype, state):
    cls = _structure_wrapper(stype)
    s = cls.__new__(cls)
    s.__dict__.update(state)
    return s


class Synchronized(SynchronizedBase, _RawValue):
    pass


class _Elements(_Shared):
    """What a shared array has whatever its elements: a length, indices as
    ctypes arrays take them, slices, iteration, CPython's repr. Elements
    are got and set by `_get(i)` / `_set(i, x)`."""

    def __len__(self):
        return self._len

    def _index(self, i):
        if not isinstance(i, int):
            raise TypeError("indices must be integers")
        if i < 0:
            i += self._len
        if not 0 <= i < self._len:
            raise IndexError("invalid index")
        return i

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(self._len))]
        return self._get(self._index(i))

    def __setitem__(self, i, x):
        if isinstance(i, slice):
            keys = range(*i.indices(self._len))
            x = list(x)
            if len(x) != len(keys):
                raise ValueError("Can only assign sequence of same size")
            for k, v in zip(keys, x):
                self[k] = v
            return
        self._set(self._index(i), x)

    def __iter__(self):
        for k in range(self._len):
            yield self[k]

    def __repr__(self):
        return "<multiprocessing.sharedctypes.%s_Array_%d object at %#x>" % (self._ctype.__name__, self._len, id(self))


class _RawArray(_Elements):
    """A shared array of numbers without a lock (CPython's raw ctypes array)."""

    _fs_kind = "Array"

    def __init__(self, ctype, values, name):
        self._ctype = ctype
        self._name = name
        pairs = [_bits(ctype, x) for x in values]
        fl = 1 if ctype in _FLOATS else 0
        arr = (ctypes.c_int64 * max(len(pairs), 1))(*[b for b, _ in pairs])
        b, n = rt.text(name)
        self._id = ok(rt.lib.fs_array_new(arr, len(pairs), fl, b, n, rt.line()))
        self._len = len(pairs)

    def _get(self, i):
        bits = ctypes.c_int64()
        ok(rt.lib.fs_array_load(self._id, i, rt.line(), ctypes.byref(bits)))
        return _value(self._ctype, bits.value)

    def _set(self, i, x):
        bits, fl = _bits(self._ctype, x)
        ok(rt.lib.fs_array_store(self._id, i, bits, fl, rt.line()))

    # A char array's text, as ctypes' c_char and c_wchar arrays have it:
    # `value` up to the first NUL (setting it writes a NUL after it if there
    # is room), `raw` (bytes) all of it.
    def _text(self):
        if self._ctype is ctypes.c_char:
            return b"", b"\0", bytes, "byte string too long"
        if self._ctype is ctypes.c_wchar:
            return "", "\0", str, "string too long"
        raise AttributeError("%r object has no attribute 'value'" % type(self).__name__)

    @property
    def value(self):
        empty, nul, _, _ = self._text()
        return empty.join(self[:]).split(nul, 1)[0]

    @value.setter
    def value(self, text):
        _, nul, kind, too_long = self._text()
        if not isinstance(text, kind):
            raise TypeError("%s expected instead of %s instance" % (kind.__name__, type(text).__name__))
        if len(text) > self._len:
            raise ValueError(too_long)
        if len(text) < self._len:
            text += nul
        self[: len(text)] = [text[i : i + 1] for i in range(len(text))]

    @property
    def raw(self):
        if self._ctype is not ctypes.c_char:
            raise AttributeError("%r object has no attribute 'raw'" % type(self).__name__)
        return b"".join(self[:])

    @raw.setter
    def raw(self, data):
        if self._ctype is not ctypes.c_char:
            raise AttributeError("%r object has no attribute 'raw'" % type(self).__name__)
        data = bytes(data)
        if len(data) > self._len:
            raise ValueError("byte string too long")
        self[: len(data)] = [data[i : i + 1] for i in range(len(data))]


class SynchronizedArray(SynchronizedBase, _RawArray):
    pass


class SynchronizedString(SynchronizedArray):
    pass


class _StructView:
    """One element of a shared array of Structures (`A[0]`): its fields are
    the i-th numbers of the array's columns, read and written as such."""

    def __init__(self, arr, i):
        self.__dict__["_arr"] = arr
        self.__dict__["_i"] = i

    def __getattr__(self, name):
        columns = self.__dict__["_arr"]._columns
        if name in columns:
            return columns[name][self.__dict__["_i"]]
        raise AttributeError("%r object has no attribute %r" % (self.__dict__["_arr"]._ctype.__name__, name))

    def __setattr__(self, name, value):
        columns = self.__dict__["_arr"]._columns
        if name in columns:
            columns[name][self.__dict__["_i"]] = value
        else:
            # As on a ctypes Structure: an attribute of this object only.
            self.__dict__[name] = value

    def __repr__(self):
        t = self.__dict__["_arr"]._ctype
        return "<%s.%s object at %#x>" % (t.__module__, t.__qualname__, id(self))


class _RawStructArray(_Elements):
    """A shared array of ctypes Structures of numbers without a lock
    (`Array(Point, [(1.875, -6.25), …])`, the docs' example): each field a
    shared array of its own, one number per element (`A.x`, `A.y`); `A[i]`
    is the element, its fields read and written as those numbers."""

    _fs_kind = "Array"

    def __init__(self, stype, values, name):
        self._ctype = stype
        self._name = name
        if isinstance(values, int):
            structs = [stype() for _ in range(values)]
        else:
            structs = [v if isinstance(v, stype) else stype(*v) for v in values]
        self._len = len(structs)
        self._columns = {f: _RawArray(t, [getattr(x, f) for x in structs], "%s.%s" % (name, f)) for f, t in _fields(stype)}
        self._id = next(iter(self._columns.values()))._id

    def _get(self, i):
        return _StructView(self, i)

    def _set(self, i, value):
        view = _StructView(self, i)
        if isinstance(value, (self._ctype, _StructView)):
            value = [getattr(value, f) for f in self._columns]
        for f, v in zip(self._columns, value):
            setattr(view, f, v)


class _SynchronizedStructArray(SynchronizedBase, _RawStructArray):
    # An array of Structures is a SynchronizedArray in CPython.
    _shown_as = "SynchronizedArray"


def Value(typecode_or_type, *args, lock=True, ctx=None):
    """A shared number, or Structure of numbers (with its RLock unless
    `lock=False`)."""
    ctype = _ctype(typecode_or_type, structures=True)
    name = rt.created_name("Value")
    if issubclass(ctype, ctypes.Structure):
        if lock is False:
            return _RawStructure(ctype, ctype(*args), name)
        return _structure_wrapper(ctype)(ctype, ctype(*args), lock, name)
    init = args[0] if args else 0
    if lock is False:
        return _RawValue(ctype, init, name)
    return Synchronized(ctype, init, lock, name)


def RawValue(typecode_or_type, *args):
    ctype = _ctype(typecode_or_type, structures=True)
    name = rt.created_name("RawValue")
    if issubclass(ctype, ctypes.Structure):
        return _RawStructure(ctype, ctype(*args), name)
    return _RawValue(ctype, args[0] if args else 0, name)


def _initial(size_or_initializer):
    if isinstance(size_or_initializer, int):
        return [0] * size_or_initializer
    return list(size_or_initializer)


def Array(typecode_or_type, size_or_initializer, *, lock=True, ctx=None):
    """A shared array of numbers, or of Structures of numbers (with its
    RLock unless `lock=False`)."""
    ctype = _ctype(typecode_or_type, structures=True)
    if issubclass(ctype, ctypes.Structure):
        name = rt.created_name("Array")
        if lock is False:
            return _RawStructArray(ctype, size_or_initializer, name)
        return _SynchronizedStructArray(ctype, size_or_initializer, lock, name)
    if lock is False:
        return _RawArray(ctype, _initial(size_or_initializer), rt.created_name("Array"))
    return _array_wrapper(ctype)(ctype, _initial(size_or_initializer), lock, rt.created_name("Array"))


def _array_wrapper(ctype):
    return SynchronizedString if ctype is ctypes.c_char else SynchronizedArray


def RawArray(typecode_or_type, size_or_initializer):
    ctype = _ctype(typecode_or_type, structures=True)
    if issubclass(ctype, ctypes.Structure):
        return _RawStructArray(ctype, size_or_initializer, rt.created_name("RawArray"))
    return _RawArray(ctype, _initial(size_or_initializer), rt.created_name("RawArray"))


def copy(obj):
    """A new raw shared object with `obj`'s type and contents."""
    if isinstance(obj, _RawArray):
        return RawArray(obj._ctype, list(obj))
    if isinstance(obj, _RawStructArray):
        return _RawStructArray(obj._ctype, [tuple(getattr(e, f) for f in obj._columns) for e in obj], rt.created_name("RawArray"))
    if isinstance(obj, _RawValue):
        return RawValue(obj._ctype, obj.value)
    name = rt.created_name("RawValue")
    if isinstance(obj, _RawStructure):
        init = obj._ctype(*[getattr(obj, f) for f, _ in _fields(obj._ctype)])
        return _RawStructure(obj._ctype, init, name)
    # A ctypes object of this process, as CPython's copy takes.
    if isinstance(obj, ctypes.Structure):
        _fields(type(obj))
        return _RawStructure(type(obj), obj, name)
    if isinstance(obj, ctypes._SimpleCData):
        return _RawValue(type(obj), obj.value, name)
    if isinstance(obj, ctypes.Array) and issubclass(obj._type_, ctypes._SimpleCData):
        return _RawArray(obj._type_, list(obj), name)
    raise TypeError("forkscope copies shared numbers, arrays and Structures of numbers only, not %r" % (obj,))


def synchronized(obj, lock=None, ctx=None):
    """`obj` (a raw shared object) with a lock: the same memory."""
    if isinstance(obj, SynchronizedBase):
        raise TypeError("object already synchronized")
    if isinstance(obj, _RawArray):
        cls = _array_wrapper(obj._ctype)
    elif isinstance(obj, _RawStructArray):
        cls = _SynchronizedStructArray
    elif isinstance(obj, _RawStructure):
        cls = _structure_wrapper(obj._ctype)
    elif isinstance(obj, _RawValue):
        cls = Synchronized
    else:
        raise TypeError("forkscope synchronizes its shared numbers and arrays only, not %r" % (obj,))
    s = cls.__new__(cls)
    s.__dict__.update(obj.__dict__)
    s.__dict__["_lock"] = _lock_of(s._id, lock)
    return s
