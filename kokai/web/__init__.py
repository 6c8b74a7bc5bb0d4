"""The HTTP layer: the FastAPI app on top of the catalog library."""
