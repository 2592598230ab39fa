"""The ``rota`` command line: serve, migrate, manage users, run the demo, solve problems.

Like the HTTP routes, commands only parse and print; the work is done by ``scheduler`` (and
``solver`` for ``rota solve``).
"""

from __future__ import annotations

import click

from api.cli.admin import config_command, migrate_command, user_group
from api.cli.demo import demo_command
from api.cli.export import export_group
from api.cli.roster import roster_group, worker_command
from api.cli.server import serve_command
from api.cli.solve import solve_command


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="rota")
def main() -> None:
    """rota: rosters, leave and attendance for customer-service departments."""


main.add_command(serve_command, "serve")
main.add_command(migrate_command, "migrate")
main.add_command(config_command, "config")
main.add_command(user_group, "user")
main.add_command(demo_command, "demo")
main.add_command(roster_group, "roster")
main.add_command(worker_command, "worker")
main.add_command(solve_command, "solve")
main.add_command(export_group, "export")
