"""Users, roles, passwords and login tokens."""
