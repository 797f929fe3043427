"""The benchmark runs end to end on tiny sizes and writes its JSON (no timing checks)."""

import json

from sim.bench import main, scaled_scenario
from sim.cli import main as cli_main


def test_scaled_scenario_scales_communities_and_agencies():
    s = scaled_scenario(1_000_000, 260)
    assert s["population"]["communities"] == 200
    assert s["funding"]["ngos"] == 50
    assert scaled_scenario(1_000, 5)["funding"]["ngos"] == 1


def test_benchmark_writes_json(tmp_path):
    rc = main(["--sizes", "300,600", "--weeks", "5", "--sweep-runs", "4",
               "--sweep-residents", "300", "--out-dir", str(tmp_path), "--name", "tiny"])
    assert rc == 0
    result = json.loads((tmp_path / "tiny.json").read_text())
    assert {r["residents"] for r in result["sizes"]} == {300, 600}
    assert {r["resident_agents"] for r in result["sizes"]} == {True, False}
    for row in result["sizes"]:
        for key in ("build_s", "wall_s", "cpu_s", "ns_per_resident_week", "peak_rss_mb",
                    "bytes_per_resident"):
            assert row[key] > 0 or key == "bytes_per_resident"
        if row["resident_agents"]:
            assert row["anchor"]["weeks"] == 5
            assert row["anchor_ratio"] > 0
    sweep = result["sweep"]
    assert sweep["one_worker"]["runs"] == 4 and sweep["two_workers"]["workers"] == 2
    for key in ("parallel_efficiency", "overhead_share", "process_start_s"):
        assert key in sweep
    assert [t["target"] for t in result["targets"]][0].startswith("10,000")
    assert all(t["met"] is None for t in result["targets"][:5])


def test_cogov_bench_command(tmp_path, capsys):
    rc = cli_main(["bench", "--sizes", "200", "--weeks", "3", "--agents", "off",
                   "--sweep-runs", "0", "--out-dir", str(tmp_path), "--name", "cli"])
    assert rc == 0
    assert "ns/resident-week" in capsys.readouterr().out
    assert json.loads((tmp_path / "cli.json").read_text())["sizes"][0]["residents"] == 200


def test_bad_weeks_is_a_user_error(tmp_path, capsys):
    rc = cli_main(["bench", "--weeks", "0", "--out-dir", str(tmp_path)])
    assert rc == 2
    assert "--weeks" in capsys.readouterr().err
