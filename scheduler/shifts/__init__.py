"""Shift types of a department (early 08:30-17:30 and late 15:00-24:00 by default)."""
