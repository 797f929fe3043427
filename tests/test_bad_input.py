"""Bad input gets one clear line, exit code 2, and nothing written.

Each case names what a user might get wrong and the words the answer must
contain: the file, the field path, what was given and what is allowed.
``docs/reliability.md`` lists the same cases with the full messages.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sim.cli import main
from sim.errors import UserError
from sim.scenario import load_scenario

SHORT = "simulation: {horizon_weeks: 10, warmup_weeks: 2}\npopulation: {residents: 300}\n"

FILES = {
    "malformed YAML": (b"population: {residents: 5\n", ["malformed YAML at line 2"]),
    "tab indentation": (b"\tname: x\n", ["malformed YAML at line 1", "'\\t'"]),
    "empty file": (b"", ["file is empty"]),
    "only a comment": (b"# nothing here\n", ["file is empty"]),
    "top-level list": (b"- workforce\n- funding\n", ["top level must be a mapping", "got a list"]),
    "top-level text": (b"just words\n", ["top level must be a mapping", "got text"]),
    "misspelled key": (b"workforce:\n  salary_ratoi: 0.8\n",
                       ["workforce.salary_ratoi", "unknown field", "did you mean 'salary_ratio'?"]),
    "misspelled section": (b"popluation:\n  residents: 100\n", ["did you mean 'population'?"]),
    "key given twice": (b"workforce:\n  salary_ratio: 0.8\n  salary_ratio: 0.9\n",
                        ["key 'salary_ratio' appears twice", "line 3"]),
    "text for a number": (b"workforce:\n  salary_ratio: high\n",
                          ["workforce.salary_ratio", "must be a number from 0.05 to 5", "got 'high'"]),
    "yes for a number": (b"workforce:\n  salary_ratio: yes\n", ["workforce.salary_ratio", "got true"]),
    "empty value": (b"workforce:\n  salary_ratio:\n", ["workforce.salary_ratio", "got nothing"]),
    "fraction for a count": (b"population:\n  residents: 500.5\n",
                             ["population.residents", "whole number", "got 500.5"]),
    "number for a section": (b"population: 5\n", ["population", "must be a mapping of parameters"]),
    "negative count": (b"population:\n  residents: -5\n",
                       ["population.residents", "from 1 to 50,000,000 [persons]", "got -5"]),
    "share above 1": (b"population:\n  share_disabled: 1.5\n",
                      ["population.share_disabled", "from 0 to 1", "got 1.5"]),
    "time shares not summing to 1": (b"workforce:\n  share_outreach: 0.5\n",
                                     ["workforce", "must sum to 1, got 1.35"]),
    "age shares above 1": (b"population:\n  share_aged_60_plus: 0.6\n  share_children: 0.5\n",
                           ["share_aged_60_plus + share_children must be at most 1"]),
    "NaN": (b"workforce:\n  salary_ratio: .nan\n", ["workforce.salary_ratio", "finite number", "got nan"]),
    "infinity": (b"funding:\n  budget_multiplier: .inf\n",
                 ["funding.budget_multiplier", "finite number", "got inf"]),
    "population of zero": (b"population:\n  residents: 0\n", ["population.residents", "got 0"]),
    "population too big for memory": (b"population:\n  residents: 40000000\n",
                                      ["population.residents", "GiB of memory", "above the limit"]),
    "warm-up not shorter than horizon": (b"simulation: {horizon_weeks: 10, warmup_weeks: 10}\n",
                                         ["warmup_weeks (10) must be less than"]),
    "event past the horizon": (SHORT.encode() + b"timeline:\n  - week: 20\n"
                               b"    set: {workforce.salary_ratio: 0.8}\n",
                               ["timeline[0].week is 20, past the horizon of 10 weeks"]),
    "event on an unknown parameter": (SHORT.encode() + b"timeline:\n  - week: 3\n"
                                      b"    set: {workforce.salary_ratoi: 0.8}\n",
                                      ["timeline[0].set.workforce.salary_ratoi",
                                       "did you mean 'workforce.salary_ratio'?"]),
    "event changing the population": (SHORT.encode() + b"timeline:\n  - week: 3\n"
                                      b"    set: {population.residents: 10}\n",
                                      ["timeline[0].set.population.residents", "read only when the model is built"]),
    "event on a setup-only agency count": (SHORT.encode() + b"timeline:\n  - week: 3\n    set: {funding.ngos: 2}\n",
                                           ["timeline[0].set.funding.ngos", "read only when the model is built"]),
    "event on the fund's opening balance": (SHORT.encode() + b"timeline:\n  - week: 3\n"
                                            b"    set: {community_fund.initial_balance_yuan: 9}\n",
                                            ["timeline[0].set.community_fund.initial_balance_yuan",
                                             "read only when the model is built"]),
    "event on the initial volunteers": (SHORT.encode() + b"timeline:\n  - week: 3\n"
                                        b"    scale: {volunteers.initial_registered_share: 2}\n",
                                        ["timeline[0].scale.volunteers.initial_registered_share",
                                         "read only when the model is built"]),
    "event pushing a value out of range": (SHORT.encode() + b"timeline:\n  - week: 3\n"
                                           b"    scale: {workforce.salary_ratio: 100}\n",
                                           ["timeline[0]: after its change in week 3, "
                                            "workforce.salary_ratio: must be a number from 0.05 to 5",
                                            "got 64.0"]),
    "event with nothing to change": (SHORT.encode() + b"timeline:\n  - week: 3\n",
                                     ["timeline[0]", "needs 'set' or 'scale'"]),
    "event key misspelled": (SHORT.encode() + b"timeline:\n  - weak: 3\n    set: {workforce.salary_ratio: 1}\n",
                             ["timeline[0].weak", "did you mean 'week'?"]),
    "timeline not a list": (b"timeline: {week: 3}\n", ["timeline", "must be a list"]),
    "name with a slash": (b"name: a/b\n", ["name", "file-name-safe"]),
    "missing parent": (b"extends: no_such_parent\n",
                       ["extends", "parent scenario 'no_such_parent' not found"]),
    "parent not a name": (b"extends: [baseline]\n", ["extends", "must be a scenario file"]),
    "self as parent": (b"extends: bad.yaml\n", ["extends", "cycle of parents: bad.yaml -> bad.yaml"]),
    "not UTF-8": (b"name: caf\xe9\n", ["not UTF-8 text", "line 1"]),
    "UTF-16": ("name: x\n".encode("utf-16"), ["not UTF-8 text"]),
    "Python object tag": (b"!!python/object/apply:os.system ['touch PWNED']\n",
                          ["YAML tag '!!python/object/apply:os.system'", "not allowed"]),
    "Python tag in a field": (b"name: !!python/object/apply:os.system ['touch PWNED']\n",
                              ["not allowed", "line 1, column 7"]),
    "deep nesting": (b"a: " + b"[" * 3000 + b"]" * 3000 + b"\n", ["nested too deeply"]),
}


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """An empty working folder, so that anything written by mistake shows up."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def assert_one_line_error(capsys, code: int, *fragments: str) -> str:
    captured = capsys.readouterr()
    assert code == 2
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), captured.err
    assert "Traceback" not in captured.err + captured.out
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


@pytest.mark.parametrize("case", sorted(FILES))
def test_bad_scenario_file(case, workdir, capsys):
    content, fragments = FILES[case]
    (workdir / "bad.yaml").write_bytes(content)
    assert_one_line_error(capsys, main(["validate", "bad.yaml"]), "bad.yaml: ", *fragments)
    code = main(["run", "bad.yaml", "--out", "out"])
    assert_one_line_error(capsys, code, "bad.yaml: ", *fragments)
    assert sorted(p.name for p in workdir.iterdir()) == ["bad.yaml"]


def test_extends_cycle_names_every_file(workdir, capsys):
    (workdir / "a.yaml").write_text("extends: b\n")
    (workdir / "b.yaml").write_text("extends: a\n")
    code = main(["validate", "a.yaml"])
    assert_one_line_error(capsys, code, "extends", "cycle of parents: a.yaml -> b.yaml -> a.yaml")


def test_error_in_a_parent_names_the_parent(workdir, capsys):
    (workdir / "parent.yaml").write_text("workforce:\n  salary_ratoi: 0.8\n")
    (workdir / "child.yaml").write_text("extends: parent\n")
    assert_one_line_error(capsys, main(["validate", "child.yaml"]), "error: parent.yaml: ",
                          "workforce.salary_ratoi")


ARGS = {
    "missing scenario file": (["run", "nosuch.yaml"], ["nosuch.yaml: scenario file not found"]),
    "misspelled bundled name": (["run", "baselin"], ["did you mean 'baseline'?"]),
    "folder as scenario": (["run", "."], ["is a folder"]),
    "--weeks 0": (["run", "baseline", "--weeks", "0"], ["--weeks", "from 1 to 5,200", "got '0'"]),
    "--weeks negative": (["run", "baseline", "--weeks", "-3"], ["--weeks", "got '-3'"]),
    "--weeks text": (["run", "baseline", "--weeks", "ten"], ["--weeks", "got 'ten'"]),
    "--weeks too many": (["run", "baseline", "--weeks", "99999"], ["--weeks", "got '99999'"]),
    "--seed negative": (["run", "baseline", "--seed", "-1"], ["--seed", "from 0 to", "got '-1'"]),
    "--seed text": (["run", "baseline", "--seed", "abc"], ["--seed", "got 'abc'"]),
    "--seed too big": (["run", "baseline", "--seed", str(2**64)], ["--seed", "got '18446744073709551616'"]),
    "--set without =": (["run", "baseline", "--set", "workforce.salary_ratio"], ["--set", "KEY=VALUE"]),
    "--set without a name": (["run", "baseline", "--set", "=3"], ["--set", "missing the parameter name"]),
    "--set without a value": (["run", "baseline", "--set", "workforce.salary_ratio="],
                              ["--set", "missing the value"]),
    "--set unknown parameter": (["run", "baseline", "--set", "workforce.salary_ratoi=0.8"],
                                ["--set: workforce.salary_ratoi", "did you mean 'workforce.salary_ratio'?"]),
    "--set unknown section": (["run", "baseline", "--set", "wrokforce.salary_ratio=0.8"],
                              ["--set", "did you mean 'workforce'?"]),
    "--set below a parameter": (["run", "baseline", "--set", "workforce.salary_ratio.x=1"],
                                ["--set", "has no sub-fields"]),
    "--set NaN": (["run", "baseline", "--set", "workforce.salary_ratio=.nan"],
                  ["--set: workforce.salary_ratio", "finite number", "got nan"]),
    "--set nan as text": (["run", "baseline", "--set", "workforce.salary_ratio=nan"],
                          ["--set: workforce.salary_ratio", "finite number"]),
    "--set infinity": (["run", "baseline", "--set", "funding.budget_multiplier=.inf"],
                       ["--set: funding.budget_multiplier", "finite number", "got inf"]),
    "--set out of range": (["run", "baseline", "--set", "population.residents=0"],
                           ["--set: population.residents", "from 1 to 50,000,000", "got 0"]),
    "--set huge population": (["run", "baseline", "--set", "population.residents=40000000"],
                              ["--set: population.residents", "GiB"]),
    "--set a section to a number": (["run", "baseline", "--set", "workforce=3"],
                                    ["--set: workforce", "must be a mapping"]),
    "--set yes for a number": (["run", "baseline", "--set", "workforce.salary_ratio=yes"],
                               ["--set: workforce.salary_ratio", "got true"]),
    "unknown option": (["run", "baseline", "--bogus"], ["unrecognized arguments: --bogus"]),
    "unknown command": (["frobnicate"], ["invalid choice: 'frobnicate'"]),
    "validate without files": (["validate"], ["required: files"]),
}


@pytest.mark.parametrize("case", sorted(ARGS))
def test_bad_argument(case, workdir, capsys):
    argv, fragments = ARGS[case]
    code = main([*argv, "--out", "out"] if argv[0] == "run" else argv)
    assert_one_line_error(capsys, code, *fragments)
    assert list(workdir.iterdir()) == []


def test_out_inside_a_regular_file(workdir, capsys):
    (workdir / "file").write_text("not a folder")
    code = main(["run", "baseline", "--weeks", "5", "--out", "file/run"])
    assert_one_line_error(capsys, code, "--out file/run", "'file' is a file, not a folder")
    assert sorted(p.name for p in workdir.iterdir()) == ["file"]


def test_out_is_a_folder_of_other_files(workdir, capsys):
    """A run replaces its folder; a folder holding anything else is refused, not deleted."""
    (workdir / "notes").mkdir()
    (workdir / "notes" / "thesis.tex").write_text("years of work")
    code = main(["run", "baseline", "--weeks", "5", "--out", "notes"])
    assert_one_line_error(capsys, code, "--out notes", "not a run's results")
    assert (workdir / "notes" / "thesis.tex").read_text() == "years of work"


def _unwritable_place(tmp_path: Path) -> Path:
    """A folder this process cannot create files in, whether or not it runs as root."""
    if os.geteuid() != 0:
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
        return locked
    for candidate in (Path("/sys"), Path("/proc")):
        try:
            (candidate / "cogov-probe").mkdir()
        except OSError:
            return candidate
        (candidate / "cogov-probe").rmdir()
    pytest.skip("no folder here refuses writes to this user")


def test_out_not_writable(workdir, capsys):
    place = _unwritable_place(workdir)
    code = main(["run", "baseline", "--weeks", "5", "--out", str(place / "run")])
    assert_one_line_error(capsys, code, f"--out {place / 'run'}", "cannot write in")
    assert not (place / "run").exists()


def test_python_tags_are_never_executed(workdir, capsys):
    (workdir / "bad.yaml").write_bytes(FILES["Python object tag"][0])
    assert main(["validate", "bad.yaml"]) == 2
    assert not (workdir / "PWNED").exists()


def test_unaffordable_posts_warn_and_still_run(workdir, capsys):
    """More posts than the contracts pay for is a warning: the agencies fill fewer posts."""
    code = main(["run", "baseline", "--weeks", "5", "--set", "population.residents=300",
                 "--set", "funding.contract_value_per_post_yuan_year=1000", "--no-figure",
                 "--out", "out"])
    captured = capsys.readouterr()
    assert code == 0
    assert captured.err.startswith("warning: funding.contract_value_per_post_yuan_year (1,000")
    assert (workdir / "out" / "summary.json").is_file()


def test_short_run_warns_about_events_it_drops(workdir, capsys):
    week = load_scenario("funding_cut").timeline[0].week
    code = main(["run", "funding_cut", "--weeks", "5", "--set", "population.residents=300",
                 "--no-figure", "--out", "out"])
    assert code == 0
    assert f"ends the run before the timeline event in week {week}" in capsys.readouterr().err


def test_debug_shows_the_traceback(workdir):
    with pytest.raises(UserError, match="scenario file not found"):
        main(["--debug", "run", "nosuch.yaml"])


def test_validate_reports_every_bad_file(workdir, capsys):
    (workdir / "a.yaml").write_text("population:\n  residents: 0\n")
    (workdir / "b.yaml").write_text("workforce:\n  salary_ratoi: 1\n")
    code = main(["validate", "a.yaml", "baseline", "b.yaml"])
    captured = capsys.readouterr()
    assert code == 2
    assert [line.split(":")[1].strip() for line in captured.err.splitlines()] == ["a.yaml", "b.yaml"]
    assert "baseline: ok" in captured.out
