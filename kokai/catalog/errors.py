"""The exceptions CKAN actions raise, as ckanapi's own classes.

Each class here subclasses the ckanapi class of the same name, so code written
for `ckanapi.RemoteCKAN` (`except ckanapi.NotFound`) catches the errors of
`LocalCatalog` too; the HTTP layer maps them to CKAN's statuses.
"""

from __future__ import annotations

from typing import Any

from ckanapi import errors as ckanapi_errors


class ActionError(Exception):
    """Base of the errors an action raises on purpose."""


class _MessageError(ActionError):
    """An error with one message, kept where ckanapi's classes keep it."""

    def __init__(self, message: str = ""):
        Exception.__init__(self, message)
        self.message = message
        self.extra_msg = message

    def __str__(self) -> str:
        return self.message


class NotFound(_MessageError, ckanapi_errors.NotFound):
    pass


class NotAuthorized(_MessageError, ckanapi_errors.NotAuthorized):
    pass


class ValidationError(ckanapi_errors.ValidationError, ActionError):
    """`errors` (also `error_dict`, as ckanapi names it) maps field names to
    lists of messages, or to lists of such dicts for lists of dicts."""

    def __init__(self, errors: dict[str, Any]):
        Exception.__init__(self, errors)
        self.errors = errors
        self.error_dict = errors

    def __str__(self) -> str:
        return repr(self.errors)


class SearchQueryError(_MessageError, ckanapi_errors.SearchQueryError):
    pass


class SearchError(_MessageError, ckanapi_errors.SearchError):
    pass


class UnknownAction(_MessageError, ckanapi_errors.CKANAPIError):
    """No action of that name (over HTTP: 400 "Action name not known")."""
