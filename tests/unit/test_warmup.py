"""The warm-up's parts: disjoint, together every run, each on a bundled file; a bad part is one line."""

from pathlib import Path

import pytest

from dosefind import warmup

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("parts", [1, 2, 3, 4])
def test_parts_are_disjoint_and_cover_every_run(parts):
    got = [run for part in range(parts) for run in warmup.runs_of_part(part, parts)]
    assert sorted(got) == sorted(warmup.RUNS) and len(set(got)) == len(got)


def test_every_run_reads_a_bundled_file():
    for run in warmup.RUNS:
        files = [a for a in run if a.endswith(".toml")]
        assert files and all((ROOT / f).is_file() for f in files), run


def test_bad_part_is_refused_with_one_line(capsys):
    assert warmup.main(["--part", "2", "--parts", "2"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--part" in err


def test_a_part_runs_its_commands():
    # the smallest part on a cache the suite has warmed: every run returns its time
    timings = warmup.warm(part=3, parts=4, root=ROOT)
    assert [c for c, _ in timings] == [" ".join(r) for r in warmup.runs_of_part(3, 4)]
