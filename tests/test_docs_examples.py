"""Every command and code block of README.md and docs/*.md runs, at small settings that still have
social workers, so the documents cannot drift from the code.

The blocks of one document run in order in one temporary folder (holding copies of experiments/,
benchmarks/ and docs/*.yaml), with this environment's ``cogov`` and ``python`` first on PATH:
``bash`` blocks in a shell, ``python`` blocks saved as a script and run as one, ``yaml`` blocks
loaded as an experiment or a scenario. Comments just before a block adapt it (documented in
docs/reliability.md, "Documentation that is run")::

    <!-- test: args OPTIONS -->        appended to each cogov run/compare/sweep/sensitivity
    <!-- test: sub 'OLD' 'NEW' -->     text replaced in the block
    <!-- test: after previous -->      runs in one script with the previous block (once, at the end of the chain)
    <!-- test: skip (reason) -->       not run here (a cluster, a scheduler address)
    <!-- test: xfail (reason) -->      expected to fail until a stated change lands

Blocks without ``args`` get the default small settings below; ``pip install``, ``pytest`` and
``cogov viz`` lines are not run.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SMALL = "--weeks 60 --set simulation.warmup_weeks=8 --set population.residents=3000"
DEFAULTS = {
    "run": SMALL,
    "compare": f"--reps 2 {SMALL} --workers 2 --no-progress",
    "sweep": f"--reps 2 {SMALL} --workers 2 --no-progress",
    "sensitivity": f"--reps 2 --samples 2 {SMALL} --workers 2 --no-progress",
    "bench": "--sizes 1000 --weeks 20 --sweep-runs 2 --agents off",
}
"""Options appended to each command of a block that has no ``args`` comment."""
SHRUNK = ("run", "compare", "sweep", "sensitivity")
NOT_RUN = (re.compile(r"^(python3? -m )?pip install\b"), re.compile(r"^(python3? -m )?pytest\b"),
           re.compile(r"^cogov viz\b"))
COMMAND = re.compile(r"^(cogov|python3?|pip)\b")
KNOWN: dict[tuple[str, str], str] = {}
"""Blocks of documents this suite's owners do not edit that cannot run as they stand, until their
owners mark them (each is a skip, named here)."""
TIMEOUT = 300
DEGENERATE = "no social workers in post"
"""The warning of a run that funds no post: an example that shows it shows nothing."""


@dataclass
class Block:
    doc: Path
    line: int
    lang: str
    code: str
    notes: list[str] = field(default_factory=list)

    @property
    def where(self) -> str:
        return f"{self.doc.name}:{self.line}"

    def note(self, word: str) -> str | None:
        return next((n[len(word):].strip() for n in self.notes if n.split(" ", 1)[0] == word), None)

    def subs(self) -> list[tuple[str, str]]:
        pairs = []
        for n in self.notes:
            if n.startswith("sub "):
                old, new = shlex.split(n[4:])
                pairs.append((old, new))
        return pairs


def blocks(path: Path) -> list[Block]:
    """The fenced blocks of a Markdown file with the test comments just before each."""
    lines = path.read_text(encoding="utf-8").splitlines()
    out, notes, i = [], [], 0
    while i < len(lines):
        text = lines[i].strip()
        marker = re.fullmatch(r"<!-- test: (.*?) -->", text)
        if marker:
            notes.append(marker.group(1).strip())
        elif text.startswith("```"):
            lang, start, body = text[3:].strip().lower(), i + 1, []
            i += 1
            while i < len(lines) and lines[i].strip() != "```":
                body.append(lines[i])
                i += 1
            out.append(Block(path, start, lang, "\n".join(body) + "\n", notes))
            notes = []
        elif text:
            notes = []
        i += 1
    return out


def kind(block: Block) -> str:
    """bash, python, yaml, or text (not run)."""
    if block.lang in ("bash", "sh", "shell", "console"):
        return "bash"
    if block.lang in ("python", "py"):
        return "python"
    if block.lang in ("yaml", "yml"):
        return "yaml"
    first = next((ln.strip() for ln in block.code.splitlines() if ln.strip() and not ln.startswith("#")), "")
    return "bash" if not block.lang and COMMAND.match(first) else "text"


def shell_script(block: Block) -> str:
    """The block's commands with test settings: continuations joined, comments and lines that
    are not run dropped, small settings appended."""
    code = block.code
    for old, new in block.subs():
        code = code.replace(old, new)
    code = code.replace("\\\n", " ")
    extra = block.note("args")
    commands = []
    for line in code.splitlines():
        line = re.sub(r"\s+#.*$", "", line).strip()
        if not line or line.startswith("#"):
            continue
        parts = []
        for part in (p.strip() for p in line.split("&&")):
            if any(rule.match(part) for rule in NOT_RUN):
                continue
            words = part.split()
            if words[:1] == ["cogov"] or words[:3] in (["python", "-m", "sim"], ["python3", "-m", "sim"]):
                verb = words[1] if words[0] == "cogov" else words[3]
                if extra is not None:
                    part += f" {extra}" if verb in SHRUNK else ""
                else:
                    part += f" {DEFAULTS.get(verb, '')}"
            elif "benchmarks/run.py" in part and extra is None:
                part += f" {DEFAULTS['bench']}"
            parts.append(part)
        if parts:
            commands.append(" && ".join(parts))
    return "set -e\n" + "\n".join(commands) + "\n"


def python_code(block: Block, previous: str) -> str:
    code = block.code
    for old, new in block.subs():
        code = code.replace(old, new)
    return (previous + "\n" + code) if block.note("after") is not None else code


def check_yaml(block: Block, folder: Path) -> None:
    from sim.experiments import load_experiment
    from sim.scenario import load_scenario

    data = yaml.safe_load(block.code)
    if "design" in data:
        load_experiment(data, folder=folder)
    else:
        load_scenario(data)


def environment() -> dict[str, str]:
    bin_dir = str(Path(sys.executable).parent)
    return {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""), "MPLBACKEND": "Agg",
            "PYTHONUNBUFFERED": "1"}


def workspace(tmp: Path) -> Path:
    shutil.copytree(ROOT / "experiments", tmp / "experiments")
    (tmp / "benchmarks").mkdir()
    for script in (ROOT / "benchmarks").glob("*.py"):
        shutil.copy(script, tmp / "benchmarks")
    (tmp / "docs").mkdir()
    for spec in (ROOT / "docs").glob("*.yaml"):
        shutil.copy(spec, tmp / "docs")
    return tmp


def known_skip(block: Block) -> str | None:
    return next((why for (doc, text), why in KNOWN.items() if block.doc.name == doc and text in block.code), None)


def run_block(block: Block, folder: Path, previous: str) -> tuple[bool, str, str]:
    """(passed, what ran, output) of one block."""
    what = kind(block)
    if what == "yaml":
        try:
            check_yaml(block, folder)
        except Exception as exc:  # noqa: BLE001 - any failure of the example is the finding
            return False, block.code, f"{type(exc).__name__}: {exc}"
        return True, block.code, ""
    if what == "bash":
        script = shell_script(block)
        argv = ["bash", "-c", script]
    else:
        script = python_code(block, previous)
        path = folder / f"block_{block.doc.stem}_{block.line}.py"
        path.write_text(script, encoding="utf-8")
        argv = [sys.executable, path.name]
    try:
        done = subprocess.run(argv, cwd=folder, env=environment(), capture_output=True, text=True,
                              timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return False, script, f"still running after {TIMEOUT} s: too heavy for the docs test; give it small settings"
    return done.returncode == 0, script, (done.stdout + done.stderr)[-3000:]


def chains(doc: Path) -> list[list[Block]]:
    """The blocks to run, each with the blocks that follow it with ``after previous``."""
    out: list[list[Block]] = []
    for block in blocks(doc):
        if kind(block) == "text" or block.note("skip") is not None or known_skip(block):
            continue
        if block.note("after") is not None and out and kind(out[-1][-1]) == "python" == kind(block):
            out[-1].append(block)
        else:
            out.append([block])
    return out


def problems_of(doc: Path, folder: Path) -> list[str]:
    """What is wrong with the runnable blocks of ``doc`` (empty when every block does what it shows)."""
    problems = []
    for chain in chains(doc):
        code = ""
        for block in chain[:-1]:
            code = python_code(block, code) if block is chain[0] else code + "\n" + python_code(block, "")
        last = chain[-1]
        ok, ran, output = run_block(last, folder, code)
        where = f"{chain[0].where}" + (f"-{last.line}" if len(chain) > 1 else "")
        expected_failure = any(b.note("xfail") is not None for b in chain)
        if expected_failure and ok:
            problems.append(f"{where}: passes now; remove its 'test: xfail' comment")
        elif not ok and not expected_failure:
            problems.append(f"{where} ({kind(last)}) failed:\n{ran}\n--- output ---\n{output}")
        elif DEGENERATE in output:
            problems.append(f"{where} ({kind(last)}) ran a community with no social workers, where every "
                            f"outcome that matters is undefined; give it settings that fund posts:\n{ran}")
    return problems


@pytest.mark.slow
@pytest.mark.parametrize("doc", DOCUMENTS, ids=lambda p: p.name)
def test_every_block_of_the_document_runs(doc, tmp_path):
    problems = problems_of(doc, workspace(tmp_path))
    assert not problems, "\n\n".join(problems)


def test_an_example_without_social_workers_is_reported(tmp_path):
    doc = tmp_path / "z.md"
    doc.write_text("```python\nprint('warning: no social workers in post after warm-up')\n```\n", encoding="utf-8")
    (problem,) = problems_of(doc, tmp_path)
    assert "no social workers" in problem and problem.startswith("z.md:1 ")


@pytest.mark.skipif(not os.environ.get("COGOV_FROM_WHEEL"), reason="set by .ci/run when it runs the examples "
                                                                   "from an installed wheel")
def test_the_examples_run_from_the_installed_wheel_not_the_source_tree():
    import sim

    package = Path(sim.__file__).resolve().parent
    assert package != ROOT / "sim" and "site-packages" in package.parts, f"sim imported from {package}"
    done = subprocess.run([sys.executable, "-c", "import sim; print(sim.__file__)"], cwd=Path(os.sep),
                          env=environment(), capture_output=True, text=True, check=True)
    assert "site-packages" in done.stdout, done.stdout


# The rules themselves -------------------------------------------------------------------------------
def test_markers_and_defaults_are_applied(tmp_path):
    doc = tmp_path / "x.md"
    doc.write_text("text\n\n<!-- test: sub 'pay_raise' 'funding_cut' -->\n```bash\n"
                   "pip install -e . && cogov compare baseline pay_raise --reps 20  # twenty\n"
                   "cogov viz\n```\n\n<!-- test: skip (no cluster) -->\n```bash\ncogov sweep x\n```\n"
                   "```\nresults/\n  runs/\n```\n", encoding="utf-8")
    first, second, third = blocks(doc)
    script = shell_script(first)
    assert "pip" not in script and "viz" not in script and "twenty" not in script
    assert f"cogov compare baseline funding_cut --reps 20 {DEFAULTS['compare']}" in script
    assert second.note("skip") == "(no cluster)"
    assert kind(third) == "text"


def test_a_failing_block_is_reported(tmp_path):
    doc = tmp_path / "y.md"
    doc.write_text("```python\nraise SystemExit('boom')\n```\n", encoding="utf-8")
    ok, _, output = run_block(blocks(doc)[0], tmp_path, "")
    assert not ok and "boom" in output


def test_every_skip_says_why():
    for doc in DOCUMENTS:
        for block in blocks(doc):
            reason = block.note("skip")
            assert reason is None or re.fullmatch(r"\(.+\)", reason), f"{block.where}: skip without a reason"
