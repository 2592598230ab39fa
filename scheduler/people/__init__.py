"""Employees: the people rosters are made for."""
