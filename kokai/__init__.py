"""kokai (公開): validate, publish and count the reuse of a city's open data."""

__version__ = "0.1.0"
