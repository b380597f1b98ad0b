"""verb_noun operations: the only code that commits. Services never touch `request`.

Nothing under webapp/services imports flask, werkzeug's HTTP layer or a blueprint package
(tests/webapp/test_layering.py walks the imports); configuration comes through
`webapp.extensions.settings`.
"""


class DomainError(Exception):
    """A refusal the user can understand; errors.py turns it into a 4xx with this message."""

    status = 400

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class Conflict(DomainError):
    status = 409


class NotAllowed(DomainError):
    status = 403


class NotFound(DomainError):
    status = 404


class Busy(DomainError):
    """The database stayed locked past the timeout: the transaction rolled back, nothing changed (503)."""

    status = 503
    retry_after = 5  # seconds: a lock is held for well under a second by a filing

    def __init__(self, message: str = "系统繁忙，您的操作未生效（没有任何内容被更改）。请稍后重试。"):
        super().__init__(message)
        self.headers = {"Retry-After": str(self.retry_after)}
