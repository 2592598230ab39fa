"""Jinja2 templates of the server-rendered pages (a package so wheels ship the .html files)."""
