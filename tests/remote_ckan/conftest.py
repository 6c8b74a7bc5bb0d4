"""The real-CKAN fixtures (fixtures.py) for the tests in this folder."""

from .fixtures import ckan_venv, clean_ckan, real_ckan  # noqa: F401
