"""RFC 6962 Merkle tree hashes over the journal's leaf hashes.

The tree head (MTH) of ``n`` leaf hashes ``D[0:n]`` is, as in RFC 6962 §2.1::

    MTH({})      = SHA-256()
    MTH({d})     = d                       (d = SHA-256(0x00 || entry), the leaf hash)
    MTH(D[0:n])  = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n]))   k: largest power of 2 < n

A :class:`CompactRange` holds the perfect subtrees that cover a run of leaves, placed
where they sit in the whole tree, so that leaves are added one by one (one pass over
the journal, no tree in memory: at most one hash per level) and two ranges that touch
are joined: the journal can be hashed in two parts by two processes.
"""

import hashlib
from collections.abc import Iterable, Sequence

EMPTY_ROOT = hashlib.sha256(b"").digest()


def hash_leaf(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def hash_children(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def split_point(size: int) -> int:
    """The largest power of two smaller than ``size`` (``size`` > 1): where RFC 6962
    cuts a tree of ``size`` leaves into its two subtrees."""
    if size < 2:
        raise ValueError("a tree of fewer than two leaves has no split point")
    return 1 << ((size - 1).bit_length() - 1)


class CompactRange:
    """The Merkle subtrees covering leaves ``begin`` to ``end`` (excluded).

    Nodes are kept left to right, each as (level, hash): a node of level ``l`` is the
    root of ``2**l`` leaves, aligned on a multiple of ``2**l`` in the whole tree.
    """

    __slots__ = ("_hashes", "_levels", "begin", "end")

    def __init__(self, begin: int = 0) -> None:
        self.begin = begin
        self.end = begin
        self._levels: list[int] = []
        self._hashes: list[bytes] = []

    @property
    def nodes(self) -> list[tuple[int, bytes]]:
        return list(zip(self._levels, self._hashes, strict=True))

    @classmethod
    def from_nodes(cls, begin: int, nodes: Iterable[tuple[int, bytes]]) -> "CompactRange":
        """A range rebuilt from the nodes another process or an earlier run computed."""
        joined = cls(begin)
        for level, digest in nodes:
            joined.push(level, digest)
        return joined

    @classmethod
    def of_prefix(cls, size: int, hashes: Sequence[bytes]) -> "CompactRange":
        """The range of leaves ``0`` to ``size`` from its node hashes alone: their
        levels are the bits of ``size``, highest first."""
        levels = [bit for bit in reversed(range(size.bit_length())) if size >> bit & 1]
        if len(levels) != len(hashes):
            raise ValueError(f"a range of {size} leaves has {len(levels)} nodes, not {len(hashes)}")
        return cls.from_nodes(0, zip(levels, hashes, strict=True))

    def append(self, leaf: bytes) -> None:
        self.push(0, leaf)

    def extend(self, leaves: Sequence[bytes]) -> None:
        """Add many leaves: each largest aligned block is hashed level by level, a
        list at a time, which costs a third of adding its leaves one by one."""
        sha256 = hashlib.sha256
        start, count = 0, len(leaves)
        while start < count:
            level = (count - start).bit_length() - 1
            if self.end:  # the block must sit on a multiple of its size
                level = min(level, (self.end & -self.end).bit_length() - 1)
            block = leaves[start : start + (1 << level)]
            for _ in range(level):
                block = [
                    sha256(b"\x01" + left + right).digest()
                    for left, right in zip(block[0::2], block[1::2], strict=True)
                ]
            self.push(level, block[0])
            start += 1 << level

    def push(self, level: int, digest: bytes) -> None:
        """Add the root of the next ``2**level`` leaves (aligned on that size)."""
        index = self.end >> level
        if index << level != self.end:
            raise ValueError(f"a node of level {level} cannot start at leaf {self.end}")
        self.end += 1 << level
        levels, hashes = self._levels, self._hashes
        # A right child (odd index) joins its left sibling when the range holds it.
        while index & 1 and levels and levels[-1] == level:
            levels.pop()
            digest = hashlib.sha256(b"\x01" + hashes.pop() + digest).digest()
            index >>= 1
            level += 1
        levels.append(level)
        hashes.append(digest)

    def join(self, other: "CompactRange") -> None:
        """Add the range that follows this one (``other.begin == self.end``)."""
        if other.begin != self.end:
            raise ValueError(f"ranges do not touch: {self.end} then {other.begin}")
        for level, digest in other.nodes:
            self.push(level, digest)

    def root(self) -> bytes:
        """MTH of leaves ``0`` to ``end``: the nodes folded from the right."""
        if self.begin != 0:
            raise ValueError("only a range starting at the first leaf has a tree head")
        if not self._hashes:
            return EMPTY_ROOT
        digest = self._hashes[-1]
        for left in reversed(self._hashes[:-1]):
            digest = hashlib.sha256(b"\x01" + left + digest).digest()
        return digest


def tree_head(leaves: Iterable[bytes]) -> bytes:
    """MTH of the given leaf hashes."""
    tree = CompactRange()
    tree.extend(list(leaves))
    return tree.root()
