"""``cogov viz``: start the teaching demo on a local web server and print its address."""

from __future__ import annotations

import argparse
import os
import warnings

from ..errors import UserError


def register(subparsers) -> None:
    p = subparsers.add_parser("viz", help="start the teaching demo in the browser (needs cogov-sim[viz])")
    p.add_argument("scenario", nargs="?", default="baseline",
                   help="bundled scenario name or YAML file to open first (default: baseline)")
    p.add_argument("--port", type=int, default=8765, help="port to listen on (default 8765)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1; 0.0.0.0 to share with a class network)")
    p.set_defaults(func=cmd_viz)


def cmd_viz(args: argparse.Namespace) -> int:
    from .levers import demo_scenario

    demo_scenario(args.scenario)
    if not 0 < args.port < 65536:
        raise UserError(f"must be between 1 and 65535, got {args.port}", field="--port")
    # Solara reads its settings from the environment when first imported.
    os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
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
