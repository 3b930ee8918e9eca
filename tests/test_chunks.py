"""Chunks that prove themselves: damaged, foreign, misnamed and stray chunk files are set aside and rerun on
resume, refused by reports, and the final dataset equals an uninterrupted run's exactly; one writer per folder."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from cli_call import call

from cisim.experiments import chunks, lock
from cisim.experiments import sweep as sw
from cisim.experiments.chunks import ChunkError
from cisim.experiments.experiment import load_experiment
from cisim.model.scenario import ScenarioError

ROOT = Path(__file__).resolve().parent.parent
SMOKE = ROOT / "experiments" / "smoke.toml"
SIZE = 3  # runs per chunk: the smoke experiment's 12 runs in 4 chunks


@pytest.fixture(scope="module")
def full(tmp_path_factory) -> tuple[Path, pd.DataFrame]:
    """An uninterrupted sweep: its folder and its rows."""
    out = tmp_path_factory.mktemp("full")
    return out, sw.run_sweep(SMOKE, out, workers=1, progress=False, chunk_runs=SIZE)


def copy_of(full, tmp_path: Path) -> Path:
    out = tmp_path / "copy"
    shutil.copytree(full[0], out)
    return out


def chunk(out: Path, k: int) -> Path:
    return sw.chunk_path(out, k)


def truncate(out: Path) -> None:
    p = chunk(out, 1)
    p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])


def empty(out: Path) -> None:
    chunk(out, 1).write_bytes(b"")


def garbage(out: Path) -> None:
    chunk(out, 1).write_bytes(b"PAR1 this is no parquet file \x00\xff" * 40)


def swap(out: Path) -> None:
    a, b = chunk(out, 1), chunk(out, 2)
    tmp = a.with_suffix(".swap")
    a.rename(tmp)
    b.rename(a)
    tmp.rename(b)


def duplicate(out: Path) -> None:
    shutil.copyfile(chunk(out, 1), chunk(out, 2))


def stray_copy(out: Path) -> None:
    shutil.copyfile(chunk(out, 1), out / "runs" / "chunk-00001 (copy).parquet")


def beyond_plan(out: Path) -> None:
    shutil.copyfile(chunk(out, 1), chunk(out, 99))


def tampered(out: Path) -> None:
    """One value changed, the manifest (and its checksum) kept."""
    table = pq.read_table(chunk(out, 1))
    df = table.to_pandas()
    df.loc[0, "outcome_final"] += 0.01
    import pyarrow as pa

    changed = pa.Table.from_pandas(df, preserve_index=False).replace_schema_metadata(table.schema.metadata)
    pq.write_table(changed, chunk(out, 1))


def no_manifest(out: Path) -> None:
    pd.read_parquet(chunk(out, 1)).to_parquet(chunk(out, 1), index=False)


def foreign(out: Path, other: Path) -> None:
    shutil.copyfile(chunk(other, 1), chunk(out, 1))


def leftover_temp(out: Path) -> None:
    (out / "runs" / ".chunk-00001.parquet.abc123.tmp").write_bytes(b"PAR1 half")
    chunk(out, 1).unlink()


DAMAGE = {"truncated": (truncate, "truncated"), "empty": (empty, "empty (0 bytes)"),
          "garbage": (garbage, "cannot be read as Parquet"), "swapped": (swap, "misnamed copy"),
          "duplicated": (duplicate, "misnamed copy"), "tampered": (tampered, "do not match its checksum"),
          "no manifest": (no_manifest, "no cisim manifest")}


@pytest.mark.parametrize("name", list(DAMAGE))
def test_a_damaged_chunk_is_set_aside_and_rerun_and_the_dataset_equals_an_uninterrupted_one(full, tmp_path, name):
    damage, reason = DAMAGE[name]
    out = copy_of(full, tmp_path)
    damage(out)
    with pytest.raises(ChunkError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        sw.load_results(out)  # a report never trusts it
    lines: list[str] = []
    again = sw.run_sweep(SMOKE, out, workers=1, progress=False, resume=True, log=lines.append)
    pd.testing.assert_frame_equal(again, full[1])
    pd.testing.assert_frame_equal(sw.load_results(out, complete=True), full[1])
    assert lines and all(reason in line and "running it again" in line for line in lines), lines
    assert len(lines) == (2 if name == "swapped" else 1)
    rejected = sorted((out / chunks.REJECTED_DIR).iterdir())
    assert len(rejected) == len(lines) and all(p.name.startswith("chunk-0000") for p in rejected)
    record = json.loads((out / "metadata.json").read_text())
    assert record["runs_ok"] == 12 and record["sessions"][-1]["chunks_run"] == len(lines)


@pytest.mark.parametrize("damage", [stray_copy, beyond_plan])
def test_files_that_are_no_planned_chunk_are_set_aside(full, tmp_path, damage):
    out = copy_of(full, tmp_path)
    damage(out)
    with pytest.raises(ChunkError, match="no chunk of the plan"):
        sw.load_results(out)
    lines: list[str] = []
    again = sw.run_sweep(SMOKE, out, workers=1, progress=False, resume=True, log=lines.append)
    pd.testing.assert_frame_equal(again, full[1])
    assert len(lines) == 1 and "not a chunk of this sweep's plan" in lines[0]
    assert sorted(p.name for p in (out / "runs").iterdir()) == [chunk(out, k).name for k in range(4)]


def test_a_chunk_of_another_experiment_is_set_aside(full, tmp_path):
    other = load_experiment(SMOKE)
    other.seed += 1
    elsewhere = tmp_path / "other"
    sw.run_sweep(other, elsewhere, workers=1, progress=False, chunk_runs=SIZE)
    out = copy_of(full, tmp_path)
    foreign(out, elsewhere)
    lines: list[str] = []
    again = sw.run_sweep(SMOKE, out, workers=1, progress=False, resume=True, log=lines.append)
    pd.testing.assert_frame_equal(again, full[1])
    assert len(lines) == 1 and "belongs to another sweep" in lines[0]


def test_a_half_written_chunk_from_a_killed_write_is_removed(full, tmp_path):
    out = copy_of(full, tmp_path)
    leftover_temp(out)
    lines: list[str] = []
    again = sw.run_sweep(SMOKE, out, workers=1, progress=False, resume=True, log=lines.append)
    pd.testing.assert_frame_equal(again, full[1])
    assert lines == [] and not list((out / "runs").glob(".*"))


def test_every_chunk_records_what_it_holds(full):
    out, rows = full
    plan = json.loads((out / "plan.json").read_text())
    for k, (lo, hi) in enumerate(plan["bounds"]):
        m = chunks.manifest(chunk(out, k))
        assert (m["chunk"], m["lo"], m["hi"], m["rows"]) == (k, lo, hi, hi - lo)
        assert m["fingerprint"] == plan["fingerprint"] == load_experiment(SMOKE).fingerprint()
        assert m["keys"] == plan["keys"][k] == chunks.digest(rows.iloc[lo:hi], sw.KEY_COLUMNS)
        assert m["sha256"] == chunks.digest(pd.read_parquet(chunk(out, k)))


def test_the_digest_sees_every_value_and_no_storage_detail():
    a = pd.DataFrame({"seed": [2**62 + 1, 5], "x": [0.1, float("nan")],
                      "error": pd.array([None, "boom"], dtype="string")})
    b = a.copy()
    b.loc[0, "seed"] = 2**62  # a float64 would not tell these apart
    assert chunks.digest(a) != chunks.digest(b)
    c = a.copy()
    c["error"] = c["error"].astype(object)
    assert chunks.digest(a) == chunks.digest(c)


def test_cli_report_refuses_a_folder_whose_chunks_do_not_match_their_plan(full, tmp_path):
    out = copy_of(full, tmp_path)
    truncate(out)
    status, stdout, stderr = call(["report", "discover", str(out), "--where", "outcome_final > 0.5"])
    assert status == 2 and stdout == "" and "Traceback" not in stderr
    assert len(stderr.strip().splitlines()) == 1 and "runs/chunk-00001.parquet" in stderr and "truncated" in stderr


def test_cli_report_refuses_an_unfinished_sweep(full, tmp_path):
    out = copy_of(full, tmp_path)
    chunk(out, 2).unlink()
    with pytest.raises(ChunkError, match="1 of 4 chunks are not there"):
        sw.load_results(out, complete=True)
    assert len(sw.load_results(out)) == 9 and sw.kept_runs(out) == 9


# ---------------------------------------------------------------- one writer per folder

def test_a_second_sweep_into_a_folder_in_use_is_refused(full, tmp_path):
    out = tmp_path / "busy"
    with lock.hold(out, command="cisim sweep smoke"):
        with pytest.raises(ScenarioError, match=r"is in use by process \d+ on .* \(cisim sweep smoke\)"):
            sw.run_sweep(SMOKE, out, workers=1, progress=False, chunk_runs=SIZE)
    assert not (out / lock.LOCK_NAME).exists()
    pd.testing.assert_frame_equal(sw.run_sweep(SMOKE, out, workers=1, progress=False, chunk_runs=SIZE), full[1])
    assert not (out / lock.LOCK_NAME).exists()


def test_a_stale_lock_of_a_dead_process_is_taken_over(full, tmp_path):
    import subprocess
    import sys

    out = tmp_path / "stale"
    # a process that takes the lock and is killed while holding it
    code = ("import os, signal, sys; from cisim.experiments import lock; "
            f"h = lock.hold({str(out)!r}, command='killed'); h.__enter__(); os.kill(os.getpid(), signal.SIGKILL)")
    subprocess.run([sys.executable, "-c", code], timeout=120)
    assert json.loads((out / lock.LOCK_NAME).read_text())["command"] == "killed"
    lines: list[str] = []
    rows = sw.run_sweep(SMOKE, out, workers=1, progress=False, chunk_runs=SIZE, log=lines.append)
    pd.testing.assert_frame_equal(rows, full[1])
    assert len(lines) == 1 and "took over the lock" in lines[0] and "(killed)" in lines[0]
    assert not (out / lock.LOCK_NAME).exists()


def test_a_sweep_that_cannot_start_leaves_no_folder(tmp_path):
    out = tmp_path / "never"
    with pytest.raises(sw.DaskSetupError):
        sw.run_sweep(SMOKE, out, progress=False, scheduler="tcp://127.0.0.1:1")
    assert not out.exists()
