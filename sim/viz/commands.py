"""``cogov viz``: start the teaching demo on a local web server and print its address."""

from __future__ import annotations

import argparse
import errno
import os
import socket
import warnings

from ..errors import UserError


def register(subparsers) -> None:
    p = subparsers.add_parser("viz", help="start the teaching demo in the browser (needs cogov-sim[viz])",
                              description="Start the teaching demo on a local web server and print the "
                                          "address to open in a browser; Ctrl+C stops it.")
    p.add_argument("scenario", nargs="?", default="baseline",
                   help="bundled scenario name or YAML file to open first (default: baseline)")
    p.add_argument("--port", type=int, default=8765, help="port to listen on (default 8765)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1; 0.0.0.0 to share with a class network)")
    p.set_defaults(func=cmd_viz)


def check_port(host: str, port: int) -> None:
    """Refuse a port the server could not listen on, before anything is printed.

    The probe binds as the web server does (address reuse on, so a port a
    stopped server left in TIME_WAIT counts as free) and lets go at once.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except socket.gaierror:
            raise UserError("unknown host name or address", field=f"--host {host}") from None
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise UserError("the port is in use; choose another with --port", field=f"--port {port}") from None
            raise UserError(f"cannot listen on {host}:{port} ({exc.strerror})", field=f"--host {host}") from None


def cmd_viz(args: argparse.Namespace) -> int:
    from .labels import t
    from .levers import demo_scenario

    demo_scenario(args.scenario)
    if not 0 < args.port < 65536:
        raise UserError(f"must be between 1 and 65535, got {args.port}", field="--port")
    check_port(args.host, args.port)
    # Solara reads its settings from the environment when first imported; the title is the
    # browser tab's until the page has loaded and sets its own (in the chosen language).
    os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
    os.environ.setdefault("SOLARA_THEME_TITLE", t("title", "en"))
    os.environ["COGOV_VIZ_SCENARIO"] = args.scenario
    try:
        from solara.__main__ import run
    except ModuleNotFoundError as exc:
        raise UserError(f"the demo needs the viz extra ({exc.name} is missing); "
                        "install it with: pip install 'cogov-sim[viz]'") from None
    # Solara warns about cookies for every page served by address rather than by name; harmless here.
    warnings.filterwarnings("ignore", message="Cookies with samesite=none")
    shown = "localhost" if args.host in ("127.0.0.1", "localhost") else args.host
    print(f"cogov viz: open http://{shown}:{args.port}/ in a browser (Ctrl+C to stop)", flush=True)
    run.main(args=["sim.viz.app", "--host", args.host, "--port", str(args.port), "--production",
                   "--no-open", "--no-check-version"], standalone_mode=False)
    return 0
