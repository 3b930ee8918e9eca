"""The lesson kit: ``cisim lesson`` writes a PDF handout, its figures and metadata, and the
commands it prints to reproduce the figures give the handout's numbers."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest
from cli_call import call
from PIL import Image

from cisim.experiments.compare import compare
from cisim.interfaces.lesson import (
    CONDITIONS,
    FIGURES,
    METADATA_NAME,
    PDF_NAME,
    QUESTIONS,
    SCENARIOS,
    findings,
    write_lesson,
)

R, SEED = 3, 2


@pytest.fixture(scope="module")
def kit(tmp_path_factory):
    out = tmp_path_factory.mktemp("lesson")
    status, stdout, stderr = call(["lesson", "--replicates", str(R), "--seed", str(SEED), "--out", str(out),
                                   "--json"])
    assert status == 0, stderr
    return out, json.loads(stdout)


def test_handout_is_a_pdf_of_five_pages(kit):
    out, digest = kit
    pdf = Path(digest["handout"])
    assert pdf == out / PDF_NAME
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    assert data.rstrip().endswith(b"%%EOF")
    pages = re.findall(rb"/Type\s*/Page[^s]", data)
    assert len(pages) == 5
    assert re.search(rb"/Count\s+5\b", data)
    assert b"Why isolated impact fails" in data  # the document title in its metadata
    assert len(data) > 50_000  # figures drawn on the pages, not empty pages


def test_figures_are_written_as_png(kit):
    out, digest = kit
    names = [spec.name for spec in FIGURES]
    assert len(names) == 5
    for name in names:
        path = out / f"{name}.png"
        assert digest["files"][name] == str(path)
        with Image.open(path) as image:
            assert image.format == "PNG"
            assert image.width >= 1200 and image.height >= 500
            extrema = image.convert("L").getextrema()
            assert extrema[0] < 100 < extrema[1]  # something drawn in dark ink on white


def test_metadata_records_scenarios_seeds_versions_and_commands(kit):
    out, digest = kit
    record = json.loads((out / METADATA_NAME).read_text())
    assert record["kind"] == "lesson"
    assert record["scenario_names"] == ["isolated", "collective"]
    assert record["seeds"] == list(range(SEED, SEED + R))
    assert record["replicates"] == R
    assert {"cisim", "mesa", "numpy", "matplotlib", "python"} <= set(record["versions"])
    assert record["command"].startswith("cisim lesson")
    for entry in record["scenarios"]:
        assert entry["parameters"]["conditions"]  # every resolved parameter
    for path in record["files"].values():
        assert Path(path).is_file()
    lesson_cmd = f"cisim lesson --replicates {R} --seed {SEED} --out {out}"
    for spec in FIGURES:
        commands = record["figures"][spec.name]["reproduce"]
        assert commands[0] == lesson_cmd
    assert record["figures"][FIGURES[0].name]["reproduce"][1] == \
        f"cisim compare isolated collective --replicates {R} --seed {SEED} --uncertainty seeds"
    assert "cisim dashboard" in record["figures"][FIGURES[-1].name]["reproduce"][1]


def test_the_compare_command_gives_the_handouts_numbers(kit, tmp_path):
    out, _ = kit
    record = json.loads((out / METADATA_NAME).read_text())
    command = record["figures"][FIGURES[0].name]["reproduce"][1].split()
    status, stdout, stderr = call([*command[1:], "--json", "--out", str(tmp_path)])
    assert status == 0, stderr
    digest = json.loads(stdout)
    for metric, by_scenario in record["key_numbers"].items():
        for name, value in by_scenario.items():
            assert digest["scenarios"][name][metric]["mean"] == pytest.approx(value, rel=1e-12, abs=1e-12), metric
    assert digest["scenarios"]["collective"]["crossover_month"] == record["crossover_month"]["collective"]


def test_lesson_text_output_lists_the_files(tmp_path):
    status, stdout, stderr = call(["lesson", "-r", "2", "--out", str(tmp_path)])
    assert status == 0, stderr
    assert "2 replicates each (seeds 0 to 1)" in stdout
    assert str(tmp_path / PDF_NAME) in stdout
    assert str(tmp_path / METADATA_NAME) in stdout


def test_lesson_needs_two_replicates_for_its_intervals(tmp_path):
    status, _, stderr = call(["lesson", "--replicates", "1", "--out", str(tmp_path)])
    assert status == 2
    assert "expected 2 or more" in stderr
    with pytest.raises(ValueError, match="2 or more replicates"):
        write_lesson(tmp_path, replicates=1)
    assert not any(tmp_path.iterdir())  # nothing half-written


@pytest.fixture(scope="module")
def runs():
    return compare(list(SCENARIOS), replicates=R, seed=SEED)


def test_findings_are_the_runs_numbers(kit, runs):
    """What the handout's captions say comes from the runs, and agrees with its table and metadata."""
    out, _ = kit
    record = json.loads((out / METADATA_NAME).read_text())
    f = findings(runs)
    assert record["findings"] == pytest.approx(f)
    assert f["crossover"] == record["crossover_month"]["collective"]
    numbers = record["key_numbers"]
    assert f["start"] == pytest.approx(numbers["outcome_start"]["isolated"])
    assert f["alone_end"] == pytest.approx(numbers["outcome_final"]["isolated"])
    assert f["together_end"] == pytest.approx(numbers["outcome_final"]["collective"])
    assert f["gain"] == pytest.approx(f["together_end"] - f["alone_end"])
    assert f["together_completed"] == pytest.approx(numbers["people_completed_total"]["collective"])
    assert f["alone_gave_up"] == pytest.approx(numbers["people_dropped_total"]["isolated"])
    assert f["dip"] <= 0 and 0 <= f["dip_month"] <= 24
    for key in ("alone_completed_last_year", "together_completed_last_year", "alone_gave_up_last_year",
                "together_gave_up_last_year"):
        assert f[key] > 0, key


def test_captions_tell_what_the_runs_show(runs):
    by_name = {spec.name: spec for spec in FIGURES}
    f = findings(runs)
    outcome = by_name["lesson-figure-1-outcome"].caption_for(runs)
    assert f"{100 * f['gain']:.1f} points higher" in outcome
    assert f"{f['together_completed_last_year']:,.0f}" in outcome  # people, not only shares
    if f["crossover"] is not None:
        assert f"month {f['crossover']}" in outcome
    never = dataclasses.replace(runs, crossover={"collective": None})
    assert "never pulls ahead" in by_name["lesson-figure-1-outcome"].caption_for(never)
    equity = by_name["lesson-figure-4-equity"].caption_for(runs)
    assert f"{100 * f['together_majority_end']:.0f}%" in equity


def test_handout_text_describes_the_second_model(runs):
    """No sentence of the old model survives: people give up at steps, nobody is 'served twice'."""
    text = " ".join([*(spec.caption_for(runs) for spec in FIGURES), *(t for _, t in CONDITIONS), *QUESTIONS])
    for stale in ("served twice", "already serve", "someone else already", "members who left"):
        assert stale not in text.lower(), stale
    assert "give up" in text
