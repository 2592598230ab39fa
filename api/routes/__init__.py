"""Route handlers, one module per concept."""
