"""Fairs, the stalls that take part in them, and campaigns."""
