"""Catalog: stalls and their products."""
