"""Signed notes and checkpoints in the C2SP formats, byte for byte as Go's note package
writes them (its published example key and note)."""

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from csu.domain.checkpoint import Checkpoint, Note, NoteError, NoteSigner, NoteVerifier
from csu.domain.merkle import hash_leaf, tree_head

# golang.org/x/mod/sumdb/note, note_test.go
GO_SIGNER = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VERIFIER = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_NOTE = (
    GO_TEXT + "\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXg"
    "KvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)
ROOT = tree_head([hash_leaf(b"a"), hash_leaf(b"b"), hash_leaf(b"c")])


def test_signing_reproduces_the_go_reference_note() -> None:
    assert NoteSigner.parse(GO_SIGNER).sign(GO_TEXT) == GO_NOTE


def test_the_verifier_key_of_the_go_signer_is_the_published_one() -> None:
    assert str(NoteSigner.parse(GO_SIGNER).verifier) == GO_VERIFIER


def test_a_signer_key_written_then_read_is_the_same_key() -> None:
    signer = NoteSigner.generate("csu.example/journal")
    again = NoteSigner.parse(signer.private_text())
    assert str(again.verifier) == str(signer.verifier)


def test_the_go_note_opens_with_the_go_verifier() -> None:
    assert Note.parse(GO_NOTE).open(NoteVerifier.parse(GO_VERIFIER)) == GO_TEXT


def test_a_note_changed_after_signing_is_refused() -> None:
    forged = GO_NOTE.replace("cryptography", "cryptographY")
    with pytest.raises(NoteError, match="Signature invalide"):
        Note.parse(forged).open(NoteVerifier.parse(GO_VERIFIER))


def test_a_note_signed_by_another_key_is_refused_and_names_it() -> None:
    other = NoteSigner.generate("ailleurs.example/log")
    with pytest.raises(NoteError, match=r"autre clé.*ailleurs\.example/log"):
        Note.parse(other.sign(GO_TEXT)).open(NoteVerifier.parse(GO_VERIFIER))


def test_a_key_with_the_same_name_but_another_secret_is_another_key() -> None:
    impostor = NoteSigner.generate("PeterNeumann")
    with pytest.raises(NoteError, match="autre clé"):
        Note.parse(impostor.sign(GO_TEXT)).open(NoteVerifier.parse(GO_VERIFIER))


def test_a_verifier_key_whose_hash_was_changed_is_refused() -> None:
    with pytest.raises(NoteError, match="altérée"):
        NoteVerifier.parse(GO_VERIFIER.replace("c74f20a3", "c74f20a4"))


def test_a_verifier_key_whose_hash_is_not_hexadecimal_names_the_hash_not_the_key() -> None:
    with pytest.raises(NoteError) as caught:
        NoteVerifier.parse(GO_VERIFIER.replace("c74f20a3", "zzzzzzzz"))
    assert str(caught.value) == (
        "Clé publique illisible : son empreinte « zzzzzzzz » (après le nom) doit compter 8 "
        "chiffres hexadécimaux (0-9, a-f)."
    )


def test_a_signer_key_whose_hash_is_not_hexadecimal_names_the_hash_not_the_key() -> None:
    with pytest.raises(NoteError, match=r"^Clé de signature illisible : son empreinte « c74f »"):
        NoteSigner.parse(GO_SIGNER.replace("c74f20a3", "c74f"))


def test_a_key_whose_hash_is_written_in_capitals_is_read_as_go_reads_it() -> None:
    assert str(NoteVerifier.parse(GO_VERIFIER.replace("c74f20a3", "C74F20A3"))) == GO_VERIFIER
    assert NoteSigner.parse(GO_SIGNER.replace("c74f20a3", "C74F20A3")).private_text() == (
        GO_SIGNER
    )


@pytest.mark.parametrize("name", ["", "deux mots", "a+b"])
def test_a_key_name_with_a_space_or_a_plus_is_refused(name: str) -> None:
    with pytest.raises(NoteError, match="Nom de clé"):
        NoteSigner.generate(name)


def test_a_checkpoint_text_is_origin_size_and_base64_root() -> None:
    checkpoint = Checkpoint("csu.example/journal", 3, ROOT)
    origin, size, root, end = checkpoint.text().split("\n")
    assert (origin, size, end) == ("csu.example/journal", "3", "")
    assert base64.b64decode(root) == ROOT


def test_a_signed_checkpoint_opens_to_the_same_checkpoint() -> None:
    signer = NoteSigner.generate("csu.example/journal")
    checkpoint = Checkpoint("csu.example/journal", 3, ROOT)
    note = checkpoint.sign(signer)
    assert note.startswith(checkpoint.text() + "\n— csu.example/journal ")
    assert Checkpoint.open(note, signer.verifier) == checkpoint


@given(st.integers(min_value=0, max_value=2**63 - 1))
def test_any_size_survives_the_text_format(size: int) -> None:
    assert Checkpoint.parse(Checkpoint("o", size, ROOT).text()).size == size


@pytest.mark.parametrize(
    "text",
    [
        "o\n007\n" + base64.b64encode(ROOT).decode() + "\n",  # leading zeros
        "o\n3\nnot-base64\n",
        "o\n3\n" + base64.b64encode(ROOT[:16]).decode() + "\n",  # not a SHA-256
        "o\n3\n",
        "\n3\n" + base64.b64encode(ROOT).decode() + "\n",  # no origin
    ],
)
def test_a_malformed_checkpoint_text_is_refused(text: str) -> None:
    with pytest.raises(NoteError, match="Point de contrôle illisible"):
        Checkpoint.parse(text)


def test_a_note_without_its_blank_line_is_refused() -> None:
    with pytest.raises(NoteError, match="illisible"):
        Note.parse(GO_NOTE.replace("\n\n", "\n"))
