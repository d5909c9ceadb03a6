"""RFC 6962 Merkle tree heads: the compact range agrees with the recursive definition,
however the leaves are added and wherever the journal is cut in two."""

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from csu.domain.journal import GENESIS_HASH, chain_hash, verify_chain
from csu.domain.merkle import (
    EMPTY_ROOT,
    CompactRange,
    hash_children,
    hash_leaf,
    split_point,
    tree_head,
)


def naive_head(leaves: list[bytes]) -> bytes:
    """RFC 6962 §2.1, word for word (leaves are already leaf hashes)."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + naive_head(leaves[:k]) + naive_head(leaves[k:])).digest()


def leaves_of(count: int) -> list[bytes]:
    return [hash_leaf(str(number).encode()) for number in range(count)]


def test_the_empty_tree_head_is_the_hash_of_nothing() -> None:
    assert (
        tree_head([])
        == EMPTY_ROOT
        == bytes.fromhex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    )


def test_a_leaf_is_hashed_with_a_zero_byte_before_it() -> None:
    # RFC 6962 test vector: the leaf hash of the empty entry.
    assert hash_leaf(b"").hex() == (
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    )


def test_three_leaves_hash_as_the_rfc_says() -> None:
    a, b, c = leaves_of(3)
    assert tree_head([a, b, c]) == hash_children(hash_children(a, b), c)


@given(st.integers(min_value=0, max_value=300))
def test_leaves_added_one_by_one_give_the_recursive_tree_head(count: int) -> None:
    leaves = leaves_of(count)
    tree = CompactRange()
    for leaf in leaves:
        tree.append(leaf)
    assert tree.root() == naive_head(leaves)


@given(st.integers(min_value=0, max_value=600), st.integers(min_value=1, max_value=70))
def test_leaves_added_in_blocks_give_the_same_tree_head(count: int, block: int) -> None:
    leaves = leaves_of(count)
    tree = CompactRange()
    for start in range(0, count, block):
        tree.extend(leaves[start : start + block])
    assert tree.root() == naive_head(leaves)


@given(st.data())
def test_two_ranges_hashed_apart_join_into_the_whole_tree(data: st.DataObject) -> None:
    count = data.draw(st.integers(min_value=0, max_value=400))
    cut = data.draw(st.integers(min_value=0, max_value=count))
    leaves = leaves_of(count)
    first, second = CompactRange(), CompactRange(cut)
    first.extend(leaves[:cut])
    second.extend(leaves[cut:])
    rebuilt = CompactRange.from_nodes(cut, second.nodes)  # as sent by the second process
    first.join(rebuilt)
    assert first.root() == naive_head(leaves)


@given(st.integers(min_value=2, max_value=10_000))
def test_the_split_point_is_the_largest_power_of_two_below_the_size(size: int) -> None:
    k = split_point(size)
    assert k < size <= 2 * k
    assert k & (k - 1) == 0


@given(st.integers(min_value=2, max_value=300))
def test_a_tree_head_is_the_hash_of_its_two_subtrees_cut_at_the_split_point(size: int) -> None:
    leaves = leaves_of(size)
    k = split_point(size)
    assert tree_head(leaves) == hash_children(tree_head(leaves[:k]), tree_head(leaves[k:]))


@given(st.integers(min_value=0, max_value=300))
def test_the_right_edge_of_a_prefix_rebuilds_its_range(size: int) -> None:
    leaves = leaves_of(size)
    tree = CompactRange()
    tree.extend(leaves)
    again = CompactRange.of_prefix(size, [digest for _, digest in tree.nodes])
    again.extend(leaves_of(size + 5)[size:])
    assert again.root() == naive_head(leaves_of(size + 5))


def test_changing_any_leaf_changes_the_tree_head() -> None:
    leaves = leaves_of(37)
    heads = {tree_head(leaves)}
    for number in range(37):
        changed = list(leaves)
        changed[number] = hash_leaf(b"forged")
        heads.add(tree_head(changed))
    assert len(heads) == 38


def test_ranges_that_do_not_touch_are_not_joined() -> None:
    first, second = CompactRange(), CompactRange(5)
    first.extend(leaves_of(4))
    with pytest.raises(ValueError):
        first.join(second)


def test_a_range_that_does_not_start_at_the_first_leaf_has_no_tree_head() -> None:
    with pytest.raises(ValueError):
        CompactRange(3).root()


def chain_rows(count: int) -> list[tuple[int, bytes, str]]:
    rows, prev = [], GENESIS_HASH
    for seq in range(1, count + 1):
        body = f'{{"n":{seq}}}'.encode()
        prev = chain_hash(seq, prev, body)
        rows.append((seq, body, prev))
    return rows


@given(st.integers(min_value=0, max_value=40), st.integers(min_value=0, max_value=40))
def test_the_chain_check_builds_the_tree_of_its_first_entries(count: int, stop: int) -> None:
    rows = chain_rows(count)
    tree = CompactRange()
    assert verify_chain(rows, tree=tree, tree_stop=stop).ok
    assert tree.end == min(stop, count)
    assert tree.root() == naive_head([hash_leaf(body) for _, body, _ in rows[:stop]])


def test_a_failure_after_the_checkpoint_leaves_the_tree_of_the_entries_before() -> None:
    rows = chain_rows(10)
    rows[7] = (8, b"forged", rows[7][2])
    tree = CompactRange()
    check = verify_chain(rows, tree=tree, tree_stop=5)
    assert check.failed_seq == 8
    assert tree.root() == naive_head([hash_leaf(body) for _, body, _ in rows[:5]])
