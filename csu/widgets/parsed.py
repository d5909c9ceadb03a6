"""A field checked as it is typed with the domain's parser: a typo (a date that does not
exist, a malformed NUMEN) shows at once, in French, before anything is sent."""

from collections.abc import Callable

from textual.validation import ValidationResult, Validator

from csu.domain.errors import InvalidValue


class Parsed(Validator):
    """Only the format is checked, never a record, so nothing is revealed; an empty
    field is left to the check at submission, which names what is missing."""

    def __init__(self, parse: Callable[[str], object]) -> None:
        super().__init__()
        self._parse = parse

    def validate(self, value: str) -> ValidationResult:
        if not value.strip():
            return self.success()
        try:
            self._parse(value)
        except InvalidValue as error:
            return self.failure(str(error))
        return self.success()
