"""Keeping the catalog: references, vectors, search index, check history, audit log."""
