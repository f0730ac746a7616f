"""Orders: cart, checkout, booth sales and stock."""
