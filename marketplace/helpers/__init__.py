"""A stall's helpers: people the owner lets sell at the booth."""
