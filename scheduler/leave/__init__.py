"""leave."""
