"""LocalCatalog: the catalog in-process, shaped like ckanapi's RemoteCKAN.

    catalog = LocalCatalog(config, user="tanaka")      # or .as_user("tanaka")
    catalog.action.package_create(name="aed", owner_org="kikaku-ka")
    catalog.call_action("package_show", {"id": "aed"})
    catalog.check_access("package_update", {"id": "aed"})   # True / False
    LocalCatalog(config).as_site().action.user_create(name="sato")  # ignore_auth

Errors are ckanapi's classes (kokai/catalog/errors.py): `except ckanapi.NotFound`
works the same against a LocalCatalog and a RemoteCKAN.

A LocalCatalog owns the engine's sessions and the `PackageCache` of its
database; `as_user()` / `as_site()` return clients sharing both. Writes run
in their own transaction, commit, and invalidate the cache; reads sync the
cache with the catalog revision first. `context()` is the one place an action
context is built: the HTTP layer, the CLI and the other parts all go through it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from kokai.catalog import auth, storage
from kokai.catalog.actions import resolve
from kokai.catalog.blobs import BlobStore, blob_store
from kokai.catalog.context import Context
from kokai.catalog.db import change_probe, get_engine, session_scope, sessionmaker_for, writer
from kokai.catalog.dictize import PackageCache, dumps
from kokai.catalog.errors import NotAuthorized, UnknownAction, ValidationError
from kokai.catalog.models import User
from kokai.catalog.validation import surrogate_errors
from kokai.config import Config


@dataclass
class Upload:
    """A file given to an action (`upload=`): what `.filename` and `.file` the
    actions read, as a multipart part carries them."""

    filename: str
    file: Any


def as_upload(value: Any) -> Upload:
    """A file object, or a (filename, file object) tuple as requests takes it."""
    if isinstance(value, tuple):
        return Upload(str(value[0]), value[1])
    return Upload(os.path.basename(str(getattr(value, "name", "") or "file")), value)


class ActionShortcut:
    """`catalog.action.package_show(id="aed")` = `catalog.call_action("package_show",
    {"id": "aed"})`; file-like values are sent as uploads (as ckanapi does)."""

    def __init__(self, catalog: LocalCatalog | Transaction):
        self._catalog = catalog

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)

        def call(**kwargs: Any) -> Any:
            files = {k: v for k, v in kwargs.items() if _is_file_like(v)}
            data = {k: v for k, v in kwargs.items() if k not in files}
            return self._catalog.call_action(name, data, files=files or None)

        call.__name__ = name
        return call


def _is_file_like(value: Any) -> bool:
    return hasattr(value, "read") or (
        isinstance(value, tuple) and len(value) >= 2 and hasattr(value[1], "read")
    )


def _check_input(data: dict) -> None:
    errors = surrogate_errors(data)
    if errors:
        raise ValidationError(errors)


_ACTING = object()


class LocalCatalog:
    """The catalog of `config`, acting as `user` (a name or id; None: anonymous)."""

    def __init__(
        self,
        config: Config,
        user: str | None = None,
        *,
        ignore_auth: bool = False,
        engine: Engine | None = None,
        cache: PackageCache | None = None,
    ):
        self.config = config
        self.engine = engine if engine is not None else get_engine(config)
        self.cache = cache if cache is not None else PackageCache(probe=change_probe(self.engine))
        self.sessions = sessionmaker_for(self.engine)
        self.user = user
        self.ignore_auth = ignore_auth
        self.action = ActionShortcut(self)

    def __enter__(self) -> LocalCatalog:
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    def as_user(self, user: str | None) -> LocalCatalog:
        """The same catalog (engine, cache) acting as another user (None: anonymous)."""
        return LocalCatalog(self.config, user, engine=self.engine, cache=self.cache)

    def as_site(self) -> LocalCatalog:
        """The same catalog acting as the site itself: every auth check passes
        (CKAN's `ignore_auth`, as its CLI runs actions)."""
        return LocalCatalog(
            self.config, None, ignore_auth=True, engine=self.engine, cache=self.cache
        )

    # ------------------------------------------------------------ sessions and contexts

    def session(self) -> AbstractContextManager[Session]:
        """A session that commits when the block ends and rolls back on an exception."""
        return session_scope(self.engine)

    def context(
        self,
        session: Session,
        *,
        token: str | None = None,
        read_only: bool = True,
        user: Any = _ACTING,
        on_unknown_token: Callable[[], None] | None = None,
    ) -> Context:
        """The action context: the acting user (this client's, or the owner of
        `token`, or `user` given as a models.User or None), the caches. A token
        that matches no user acts anonymously, as in CKAN, and is reported to
        `on_unknown_token` (the web layer rate-limits such clients)."""
        ignore_auth = self.ignore_auth
        if token is not None:
            acting, ignore_auth = auth.user_for_token(session, token), False
            if acting is None and on_unknown_token is not None:
                on_unknown_token()
        elif user is not _ACTING:
            acting = user
        elif self.user is not None:
            acting = session.scalar(
                select(User).where((User.name == self.user) | (User.id == self.user))
            )
            if acting is None or acting.state != "active":
                raise NotAuthorized(f"User {self.user} not found")
        else:
            acting = None
        if read_only:
            self.cache.sync(session)
            cache = self.cache
        else:  # a write sees its own uncommitted rows: never share them
            cache = PackageCache()
            cache.sync(session)
        return Context(
            session=session, config=self.config, user=acting, ignore_auth=ignore_auth, cache=cache
        )

    # ------------------------------------------------------------ actions

    def call_action(
        self,
        action: str,
        data_dict: dict | None = None,
        context: Any = None,
        apikey: str | None = None,
        files: dict | None = None,
        requests_kwargs: Any = None,
    ) -> Any:
        """Run `action` as ckanapi's RemoteCKAN.call_action does (`apikey`: act
        as the owner of that API token; `files`: {field: file object or
        (filename, file object)}; `context` and `requests_kwargs` are ignored)."""
        data = dict(data_dict or {})
        for key, value in (files or {}).items():
            data[key] = as_upload(value)
        return self.run(action, data, token=apikey)

    def run(
        self,
        name: str,
        data: dict,
        *,
        token: str | None = None,
        on_unknown_token: Callable[[], None] | None = None,
    ) -> Any:
        """Run one action in its own session; a write commits and invalidates the cache."""
        try:
            function, read_only, own_text_checks = resolve(name)
        except KeyError:
            raise UnknownAction(f"Action name not known: {name}") from None
        if not own_text_checks:
            _check_input(data)
        with self.sessions() if read_only else self.write_session() as session:
            context = self.context(
                session, token=token, read_only=read_only, on_unknown_token=on_unknown_token
            )
            return function(context, data)

    def check_access(
        self, name: str, data_dict: dict | None = None, token: str | None = None
    ) -> bool:
        """Whether the acting user may run action `name` on `data_dict`, without
        running it (NotFound when the object it names does not exist)."""
        with self.session() as session:
            context = self.context(session, token=token)
            try:
                return auth.check_access(name, context, data_dict or {})
            except NotAuthorized:
                return False

    @contextmanager
    def write_session(self) -> Iterator[Session]:
        """A write transaction: it holds the catalog's write lock from its first
        statement (kokai.catalog.db), commits when the block ends and drops the
        cache; on an exception it rolls back. Uploaded files are recorded in it
        too (kokai.catalog.storage), so its commit is their only commit point."""
        with session_scope(self.engine, bind=writer(self.engine)) as session:
            yield session
        self.cache.invalidate()

    @property
    def blobs(self) -> BlobStore:
        """The blob store of this catalog's config (kokai/catalog/blobs/)."""
        return blob_store(self.config)

    def sweep_storage(self, older_than: timedelta = storage.GC_GRACE) -> int:
        """Garbage-collect the blob store: delete the blobs no file version
        references (left by a rolled-back write or a killed process) once they
        are older than `older_than`; returns how many were deleted."""
        return storage.collect_garbage(self.write_session, self.blobs, older_than)

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """Several actions in one transaction: committed together when the block
        ends, rolled back together on an exception."""
        with self.write_session() as session:
            yield Transaction(self.context(session, read_only=False))

    def encode(self, value: Any) -> bytes:
        """JSON of an action's result, splicing in the cached text of package
        dicts (search results, package lists); anything else is one json.dumps."""
        raw = self.cache.raw_json(value)
        if raw is not None:
            return raw
        if isinstance(value, list) and value and self.cache.raw_json(value[0]) is not None:
            return b"[" + b", ".join(self.encode(v) for v in value) + b"]"
        if isinstance(value, dict) and isinstance(value.get("results"), list):
            items = (dumps(k) + b": " + self.encode(v) for k, v in value.items())
            return b"{" + b", ".join(items) + b"}"
        return dumps(value)


class Transaction:
    """Actions sharing one context and session (LocalCatalog.transaction())."""

    def __init__(self, context: Context):
        self.context = context
        self.action = ActionShortcut(self)

    def call_action(
        self, action: str, data_dict: dict | None = None, files: dict | None = None, **_: Any
    ) -> Any:
        try:
            function, _, own_text_checks = resolve(action)
        except KeyError:
            raise UnknownAction(f"Action name not known: {action}") from None
        data = dict(data_dict or {})
        for key, value in (files or {}).items():
            data[key] = as_upload(value)
        if not own_text_checks:
            _check_input(data)
        return function(self.context, data)
