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


class NotFound(ckanapi_errors.NotFound, ActionError):
    def __init__(self, message: str = ""):
        Exception.__init__(self, message)
        self.message = message
        self.extra_msg = message

    def __str__(self) -> str:
        return self.message


class NotAuthorized(ckanapi_errors.NotAuthorized, ActionError):
    def __init__(self, message: str = ""):
        Exception.__init__(self, message)
        self.message = message
        self.extra_msg = message

    def __str__(self) -> str:
        return self.message


class ValidationError(ckanapi_errors.ValidationError, ActionError):
    """`errors` (also `error_dict`, as ckanapi names it) maps field names to
    lists of messages, or to lists of such dicts for lists of dicts."""

    def __init__(self, errors: dict[str, Any]):
        Exception.__init__(self, errors)
        self.errors = errors
        self.error_dict = errors

    def __str__(self) -> str:
        return repr(self.errors)


class SearchQueryError(ckanapi_errors.SearchQueryError, ActionError):
    def __init__(self, message: str):
        Exception.__init__(self, message)
        self.message = message
        self.extra_msg = message

    def __str__(self) -> str:
        return self.message


class SearchError(ckanapi_errors.SearchError, ActionError):
    def __init__(self, message: str):
        Exception.__init__(self, message)
        self.message = message
        self.extra_msg = message

    def __str__(self) -> str:
        return self.message


class UnknownAction(ckanapi_errors.CKANAPIError, ActionError):
    """No action of that name (over HTTP: 400 "Action name not known")."""

    def __init__(self, message: str):
        Exception.__init__(self, message)
        self.message = message
        self.extra_msg = message
