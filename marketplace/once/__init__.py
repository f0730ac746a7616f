"""One-time keys: an action that creates an order or moves money happens once per form."""
