"""French punctuation kept on its word's line when Rich and Textual wrap a text.

French writes a space before « : », « ; », « ! », « ? » and « », and after « «; Rich
(which Textual's own text uses too) breaks a line at any Unicode space, a no-break one
included, so that a notification could start a line with « : » at 80 columns. The word
pattern Rich wraps by is replaced once, when the app is imported: those spaces, and the
no-break ones (U+00A0, U+202F, U+2007), join the words around them. Every other space
still breaks as before. tests/screens/test_french_wrap.py fails if a Rich upgrade
changes the pattern's place.
"""

import re

import rich._wrap

_NO_BREAK = "\u00a0\u202f\u2007"
_BREAKING_SPACE = rf"[^\S{_NO_BREAK}]"
# A space that French typography ties to what follows it (« : », « ; »…) or precedes
# it (« « »), and the no-break spaces.
_TIED = rf"(?:[{_NO_BREAK}]|\s(?=[:;!?»])|(?<=«)\s)"
FRENCH_WORD = re.compile(rf"(?:(?!{_TIED}){_BREAKING_SPACE})*(?:{_TIED}|\S)+{_BREAKING_SPACE}*")
"""A word as Rich wraps it: the spaces before it, itself (with its tied spaces), and
the spaces after it."""


def keep_french_punctuation_with_its_word() -> None:
    """Rich's wrap by :data:`FRENCH_WORD` instead of ``\\s*\\S+\\s*``."""
    rich._wrap.re_word = FRENCH_WORD


keep_french_punctuation_with_its_word()
