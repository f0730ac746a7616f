"""Main package."""
