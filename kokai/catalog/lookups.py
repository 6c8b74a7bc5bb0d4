"""Finding catalog objects by id or name; NotFound with CKAN's messages."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kokai.catalog.dictize import PACKAGE_LOAD_OPTIONS
from kokai.catalog.errors import NotFound, ValidationError
from kokai.catalog.models import Group, Package, Resource, User
from kokai.catalog.validation import MISSING_VALUE


def ref_param(data: dict, *keys: str) -> str:
    """The first of `keys` given (an id or a name), as a string."""
    for key in keys:
        value = data.get(key)
        if value not in (None, ""):
            if not isinstance(value, str | int):
                raise ValidationError({key: ["Must be a string"]})
            return str(value)
    raise ValidationError({keys[0]: [MISSING_VALUE]})


def get_or_bust(data: dict, key: str) -> Any:
    value = data.get(key)
    if value is None or value == "" or value == []:
        raise ValidationError({key: [MISSING_VALUE]})
    return value


def get_group(session: Session, ref: str, is_organization: bool | None = True) -> Group:
    query = select(Group).where((Group.id == ref) | (Group.name == ref), Group.state == "active")
    if is_organization is not None:
        query = query.where(Group.is_organization.is_(is_organization))
    group = session.scalar(query)
    if group is None:
        raise NotFound("Organization was not found." if is_organization else "Group was not found.")
    return group


def get_package(session: Session, ref: str) -> Package:
    """By id, else by name (an id wins, as in CKAN), with its relations loaded."""
    package = session.scalar(
        select(Package).where(Package.id == ref).options(*PACKAGE_LOAD_OPTIONS)
    ) or session.scalar(select(Package).where(Package.name == ref).options(*PACKAGE_LOAD_OPTIONS))
    if package is None:
        raise NotFound()
    return package


def get_resource(session: Session, ref: str) -> Resource:
    resource = session.get(Resource, ref)
    if resource is None or resource.state != "active":
        raise NotFound("Resource was not found.")
    return resource


def get_user(session: Session, ref: str) -> User:
    user = session.scalar(select(User).where((User.id == ref) | (User.name == ref)))
    if user is None:
        raise NotFound("User not found")
    return user


def get_showcase(session: Session, ref: str) -> Package:
    package = get_package(session, ref)
    if package.type != "showcase" or package.state != "active":
        raise NotFound("Showcase not found")
    return package
