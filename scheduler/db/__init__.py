"""Database plumbing shared by every concept: the declarative base, types and sessions."""
