"""verb_noun operations: the only code that commits. Services never touch `request`."""


class DomainError(Exception):
    """A refusal the user can understand; views turn it into a 4xx with this message."""

    status = 400

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class Conflict(DomainError):
    status = 409


class NotAllowed(DomainError):
    status = 403
