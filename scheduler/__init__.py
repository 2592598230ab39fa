"""The department's business: people, calendars, rosters, requests, attendance.

Owns the database (models, sessions, queries) and the rules; calls ``solver`` with plain data.
"""
