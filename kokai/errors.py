"""Errors that end a command with a message for staff instead of a traceback."""


class KokaiError(Exception):
    """A problem the user can fix (bad argument, unreadable file); exit status 2 by default."""

    def __init__(self, message: str, exit_code: int = 2):
        super().__init__(message)
        self.exit_code = exit_code
