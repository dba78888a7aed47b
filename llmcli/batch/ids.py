"""custom_ids kept as 8-byte digests, so a batch of any length costs a few bytes a line.

A Python `set[str]` of ids costs some 150-200 bytes an id (the string, the set slot,
the int of a line number): 20 MiB at 100,000 lines. `IdTable` is an open-addressing
hash table in one `bytearray`: a slot is a 64-bit blake2b digest of the id and, when
asked, a 64-bit value (a byte offset, a line number), at most 2/3 full, so an id costs
12-24 bytes (24-48 with values). Two different ids may share a digest (about one chance
in 10^9 for a million ids): callers confirm every hit against the text (a second pass
over the input, or the line at the stored offset), so a collision never drops a line.
"""

from __future__ import annotations

import hashlib
import struct

_SLOT = struct.Struct("<Q")
_PAIR = struct.Struct("<QQ")


def digest(custom_id: str) -> int:
    """The id's 64-bit blake2b digest; never 0 (0 marks an empty slot)."""
    raw = hashlib.blake2b(custom_id.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(raw, "little") or 1


class IdTable:
    def __init__(self, values: bool = False, capacity: int = 1024) -> None:
        self.width = 16 if values else 8
        self.capacity = capacity  # a power of two
        self.count = 0
        self.slots = bytearray(capacity * self.width)

    def __len__(self) -> int:
        return self.count

    @property
    def nbytes(self) -> int:
        return len(self.slots)

    def _index(self, key: int) -> int:
        """The slot holding `key`, else the empty slot where it would go."""
        mask = self.capacity - 1
        index = key & mask  # blake2b's low bits are as uniform as the rest
        while True:
            (found,) = _SLOT.unpack_from(self.slots, index * self.width)
            if found == key or found == 0:
                return index
            index = (index + 1) & mask

    def get(self, key: int) -> int | None:
        """The value stored with `key` (0 without values), None when absent."""
        index = self._index(key)
        if self.width == 8:
            (found,) = _SLOT.unpack_from(self.slots, index * 8)
            return 0 if found else None
        found, value = _PAIR.unpack_from(self.slots, index * 16)
        return value if found else None

    def __contains__(self, key: int) -> bool:
        return self.get(key) is not None

    def add(self, key: int, value: int = 0) -> bool:
        """Store `key` (with `value`) unless present; True when it was new."""
        index = self._index(key)
        (found,) = _SLOT.unpack_from(self.slots, index * self.width)
        if found:
            return False
        self._put(index, key, value)
        self.count += 1
        if self.count * 3 > self.capacity * 2:
            self._grow()
        return True

    def _put(self, index: int, key: int, value: int) -> None:
        if self.width == 8:
            _SLOT.pack_into(self.slots, index * 8, key)
        else:
            _PAIR.pack_into(self.slots, index * 16, key, value)

    def _grow(self) -> None:
        old, width = self.slots, self.width
        self.capacity *= 2
        self.slots = bytearray(self.capacity * width)
        for at in range(0, len(old), width):
            (key,) = _SLOT.unpack_from(old, at)
            if key:
                value = _SLOT.unpack_from(old, at + 8)[0] if width == 16 else 0
                self._put(self._index(key), key, value)
