"""The one error type that every domain rule raises for bad input."""


class InvalidValue(ValueError):
    """A value that a rule refused, with a French message for the operator.

    ``field`` names the field in French (``NIR``, ``Matricule``...),
    ``fault`` says what is wrong with it; ``str(error)`` joins both:
    ``NIR : clé de contrôle 12 incorrecte``.
    """

    def __init__(self, field: str, fault: str) -> None:
        self.field = field
        self.fault = fault
        super().__init__(f"{field} : {fault}")

    @property
    def message(self) -> str:
        return str(self)
