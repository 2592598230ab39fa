"""Handover notes (交接) per team, date and shift; ``service.days_with_notes`` for the roster page."""
