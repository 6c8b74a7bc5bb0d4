"""The shared real-browser fixtures (tests/browser_support.py)."""

from tests.browser_support import *  # noqa: F403 - pytest finds fixtures by name
