"""Organisation structure: organisation, departments, teams."""
