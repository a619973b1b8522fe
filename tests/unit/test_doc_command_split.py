"""The split of the documented commands loses none and runs each standalone one once."""

from .doc_commands import DOCS, README, STANDALONE_FILES, chained, commands_in, is_standalone, standalone


def test_every_command_is_run_by_one_file():
    shown = commands_in([README, *DOCS])
    parts = [c for i in range(STANDALONE_FILES) for c in standalone(i)]
    assert len(parts) == len(set(parts))
    ran = set(parts) | set(chained([README])) | set(chained(DOCS))
    assert ran == set(shown)


def test_commands_that_write_or_read_earlier_outputs_are_chained():
    assert not is_standalone("dosefind platform simulate examples/platforms/esmart-like.toml --out p.csv")
    assert not is_standalone("dosefind simulate scenarios/x.toml -o out.csv")
    assert not is_standalone("dosefind sweep scenarios/random-6dose-study.toml --out results/")
    assert not is_standalone("dosefind recommend --design examples/designs/blrm.toml --no-log")
    assert is_standalone("dosefind simulate scenarios/target30-6dose.toml --exact")
    assert is_standalone("dosefind verify --quick")
