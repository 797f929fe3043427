"""How the command line explains itself: usage when no command is given, a description and help for
every command and argument, every default stated, and ``cogov viz`` refusing a busy port in one line."""

from __future__ import annotations

import argparse
import re
import socket
import subprocess
import sys

import pytest

from sim.cli import NO_COMMAND, build_parser, main

COMMANDS = ("run", "validate", "scenarios", "schema", "compare", "sweep", "sensitivity", "report",
            "validate-model", "calibrate", "discover", "viz", "bench")


def subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    (sub,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {"cogov": parser, **sub.choices}


def arguments(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    return [a for a in parser._actions if not isinstance(a, argparse._SubParsersAction)]


def help_of(parser: argparse.ArgumentParser, action: argparse.Action) -> str:
    """The help line as ``-h`` prints it (defaults filled in)."""
    return parser._get_formatter()._expand_help(action)


def test_no_command_prints_usage_and_the_commands_and_exits_2(capsys):
    assert main([]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.strip().splitlines()
    assert lines[0].startswith("usage: cogov ")
    assert lines[-1] == f"error: {NO_COMMAND}"
    listed = {line.split()[0] for line in lines if line.startswith("    ") and line.split()}
    assert set(COMMANDS) <= listed


def test_no_command_exits_2_from_the_shell():
    result = subprocess.run([sys.executable, "-m", "sim"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == f"error: {NO_COMMAND}"


def test_every_command_is_registered_and_has_a_description():
    parsers = subcommands()
    assert set(COMMANDS) <= set(parsers)
    for name, parser in parsers.items():
        assert parser.description and parser.description.strip(), name
        assert parser.description in parser.format_help().replace("\n", " "), name


def test_every_argument_has_help():
    missing = [f"{name} {a.option_strings[0] if a.option_strings else a.dest}"
               for name, parser in subcommands().items() for a in arguments(parser)
               if not (a.help and a.help.strip())]
    assert not missing


def test_every_default_is_stated():
    silent = []
    for name, parser in subcommands().items():
        for a in arguments(parser):
            if isinstance(a, argparse._HelpAction | argparse._VersionAction):
                continue
            if a.default in (None, False, argparse.SUPPRESS):
                continue
            if "default" not in help_of(parser, a):
                silent.append(f"{name} {a.option_strings[0] if a.option_strings else a.dest}")
    assert not silent


def test_compare_states_its_replications_default(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    with pytest.raises(SystemExit) as stop:
        main(["compare", "-h"])
    assert stop.value.code == 0
    assert re.search(r"--reps REPS +replications per point \(default:? 20\)", capsys.readouterr().out)


@pytest.mark.parametrize(("command", "metavar"), [("report", "FOLDER"), ("validate", "files")])
def test_positional_arguments_are_explained(command, metavar, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    with pytest.raises(SystemExit):
        main([command, "-h"])
    out = capsys.readouterr().out
    positional = out.split("positional arguments:")[1].split("options:")[0]
    assert re.search(rf"^  {metavar} +\S", positional, re.MULTILINE), positional


def test_viz_refuses_a_busy_port_in_one_line_before_printing_anything(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "sim", "viz", "baseline", "--port", str(port)],
                                capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [f"error: --port {port}: the port is in use; choose another with --port"]
