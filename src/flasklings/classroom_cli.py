"""`flasklings classroom` (instructor), `flasklings join` and `flasklings leave` (learner)."""

from __future__ import annotations

import getpass

import click

from flasklings import rooms
from flasklings.report import command


def _code(ctx, param, value: str | None) -> str | None:
    if value is not None and not 4 <= len(value.replace("-", "").replace(" ", "")) <= 60:
        raise click.BadParameter("give 4 to 60 letters or digits (dashes and spaces are ignored)")
    return value


@click.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="The address to listen on: 0.0.0.0 lets the room's laptops in.",
)
@click.option(
    "--port", default=8750, show_default=True, type=click.IntRange(1, 65535), help="The port."
)
@click.option("--code", callback=_code, help="The join code learners type (default: a random one).")
def classroom(host: str, port: int, code: str | None) -> None:
    """Start the live dashboard of the room (Gunicorn), until Ctrl-C.

    Learners who join with the code printed here send their check results to it; the
    instructor address shows every learner's lesson, tasks and how long they have been stuck.
    """
    from flasklings.classroom import serve  # Flask and Gunicorn only for this command

    try:
        room = serve.start(host, port, code)
    except serve.StartError as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(2) from None
    click.echo(f"Classroom dashboard running at {room.url} (Ctrl-C stops it).\n")
    click.echo("Learners join with:")
    click.echo(f"  {command('join', room.url, room.join_code)}\n")
    click.echo("Your page (keep this address to yourself: it opens the room):")
    click.echo(f"  {room.instructor_url}")
    if host in ("127.0.0.1", "localhost", "::1"):
        click.echo("\nOnly this machine can reach it; `--host 0.0.0.0` opens it to the network.")
    interrupted = serve.run_until_interrupted(room)
    if not interrupted:
        click.echo(f"Gunicorn ended by itself (exit status {room.process.returncode}).", err=True)
        raise SystemExit(1)
    click.echo("\nDashboard stopped; the room's data was deleted.")


@click.command()
@click.argument("url")
@click.argument("code")
@click.option("--name", help="How the instructor sees you (default: your login name).")
def join(url: str, code: str, name: str | None) -> None:
    """Join the classroom dashboard at URL with the instructor's join CODE.

    From then on every check sends its results (lesson, task and check states, timings: never
    your code or its messages) to the dashboard, until `flasklings leave`.
    """
    if rooms.membership() is not None:
        rooms.leave()  # one room at a time; the old dashboard is told
    try:
        member = rooms.join(url, code, name or getpass.getuser())
    except rooms.ClassroomError as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(2) from None
    click.echo(f"Joined the dashboard at {member.url} as {member.name!r}.")
    click.echo("Each check now sends its results there: the lesson, which tasks and checks pass,")
    click.echo("and how long the check took. Never your code, your files or error messages.")
    click.echo(f"`{command('leave')}` stops it.")


@click.command()
def leave() -> None:
    """Stop sending check results to the classroom dashboard, and forget it."""
    member = rooms.leave()
    if member is None:
        click.echo("You have not joined a classroom dashboard: nothing is being sent.")
        return
    click.echo(f"Left the dashboard at {member.url}: nothing more is sent.")
