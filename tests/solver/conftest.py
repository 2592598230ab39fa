"""Shared fixtures for the solver tests (no database)."""

from __future__ import annotations
