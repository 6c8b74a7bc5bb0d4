"""The public static site: built from the catalog's read actions, never from
the raw dataset files (see DESIGN.md, site/)."""
