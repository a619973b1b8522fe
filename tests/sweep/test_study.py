"""Study files: designs, design grids, scenario sources, validation errors, identity and task layout."""

import copy
import itertools
import math
import shutil
import textwrap
from pathlib import Path

import pytest
import tomli_w

from dosefind import design_from_dict
from dosefind.errors import SpecError
from dosefind.scenario.generators import generate
from dosefind.sweep import Study, load_study, study_from_dict
from dosefind.sweep.study import DEFAULT_BLOCK_TRIALS, MAX_ALL_PAIRS_DESIGNS, TASK_TRIALS

from .conftest import study_dict

FILE = "my-study.toml"

BOIN4 = {"name": "BOIN", "kind": "boin", "target": 0.3, "n_doses": 4, "max_n": 12}


def _write(path, text: str):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def _load(tmp_path, data: dict, name: str = FILE) -> Study:
    path = tmp_path / name
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    return load_study(path)


def _base() -> dict:
    """A valid 4-dose study with every scenario source and a design grid."""
    return {
        "study": {"name": "demo", "n_trials": 500, "seed": 11},
        "designs": [dict(BOIN4)],
        "design_grids": [
            {
                "name": "CRM-{model}",
                "base": {
                    "kind": "crm",
                    "target": 0.3,
                    "n_doses": 4,
                    "max_n": 12,
                    "skeleton_halfwidth": 0.05,
                    "skeleton_nu": 2,
                },
                "vary": {"model": ["empiric", "logistic"]},
            }
        ],
        "scenarios": [
            {"name": "S1", "true_tox": [0.1, 0.2, 0.3, 0.45]},
            {"name": "S2", "true_tox": [0.3, 0.4, 0.5, 0.6]},
        ],
        "scenario_grids": [
            {"model": "logistic", "dose_values": [-1.0, 0.0, 1.0, 2.0], "intercept": [-1.0], "slope": [0.5]}
        ],
        "random_scenarios": [
            {"generator": "liu_yuan", "count": 2, "seed": 3, "params": {"n_doses": 4, "target": 0.3}}
        ],
    }


# ---- parsing -----------------------------------------------------------------------------------------------
def test_documented_syntax_designs_and_design_grids(tmp_path):
    path = _write(
        tmp_path / FILE,
        """
        [study]
        name = "grid"
        n_trials = 400
        seed = 7
        block_trials = 150
        acceptable_band = 0.05
        description = "a design grid"

        [[designs]]
        name = "BOIN"
        kind = "boin"
        target = 0.3
        n_doses = 4
        max_n = 12

        [[design_grids]]
        name = "CRM-{model}-c{cohort_size}"
        vary = { model = ["empiric", "logistic"], cohort_size = [1, 3] }
        [design_grids.base]
        kind = "crm"
        target = 0.3
        n_doses = 4
        max_n = 12
        skeleton_halfwidth = 0.05
        skeleton_nu = 2

        [[design_grids]]                 # default names: base name (or kind) and the varied values
        base = { kind = "boin", target = 0.25, n_doses = 4, max_n = 12 }
        vary = { max_n = [12, 18], cutoff_eli = [0.9, 0.95] }

        [[design_grids]]
        name = "B{i}-{target}"
        base = { name = "ignored", kind = "boin", target = 0.3, n_doses = 4, max_n = 12 }
        vary = { target = [0.2, 0.35] }

        [[design_grids]]                 # list-valued alternatives are labelled by position
        base = { name = "skel", kind = "crm", target = 0.3, n_doses = 4, max_n = 12 }
        vary = { skeleton = [[0.1, 0.2, 0.3, 0.4], [0.05, 0.15, 0.3, 0.45]] }

        [[scenarios]]
        name = "S1"
        true_tox = [0.1, 0.2, 0.3, 0.45]
        """,
    )
    study = load_study(path)
    assert (study.name, study.n_trials, study.seed, study.block_trials) == ("grid", 400, 7, 150)
    assert study.acceptable_band == 0.05 and study.description == "a design grid"
    assert study.source == FILE
    names = [d.name for d in study.designs]
    assert names == [
        "BOIN",
        "CRM-empiric-c1",
        "CRM-empiric-c3",
        "CRM-logistic-c1",
        "CRM-logistic-c3",
        "boin[max_n=12,cutoff_eli=0.9]",
        "boin[max_n=12,cutoff_eli=0.95]",
        "boin[max_n=18,cutoff_eli=0.9]",
        "boin[max_n=18,cutoff_eli=0.95]",
        "B0-0.2",
        "B1-0.35",
        "skel[skeleton=#1]",
        "skel[skeleton=#2]",
    ]
    by_name = {d.name: d for d in study.designs}
    crm_base = dict(kind="crm", target=0.3, n_doses=4, max_n=12, skeleton_halfwidth=0.05, skeleton_nu=2)
    for model, cohort in itertools.product(["empiric", "logistic"], [1, 3]):
        name = f"CRM-{model}-c{cohort}"
        expect = design_from_dict({**crm_base, "model": model, "cohort_size": cohort, "name": name})
        assert by_name[name].to_dict() == expect.to_dict()
    boin = by_name["boin[max_n=18,cutoff_eli=0.9]"]
    assert (boin.max_n, boin.cutoff_eli, boin.target) == (18, 0.9, 0.25)
    assert by_name["B1-0.35"].target == 0.35 and by_name["B0-0.2"].target == 0.2
    assert by_name["skel[skeleton=#2]"].skeleton == (0.05, 0.15, 0.3, 0.45)


def test_scenario_sources_in_order_and_files_relative_to_the_study(tmp_path, monkeypatch):
    _write(
        tmp_path / "studies" / "truths" / "more.toml",
        """
        [[scenarios]]
        name = "F1"
        true_tox = [0.05, 0.1, 0.15, 0.3]
        description = "from a file"

        [[scenarios]]
        name = "F2"
        true_tox = [0.4, 0.5, 0.6, 0.7]
        """,
    )
    data = _base()
    data["study"]["scenario_files"] = ["truths/more.toml"]
    (tmp_path / "studies").mkdir(exist_ok=True)
    (tmp_path / "studies" / FILE).write_text(tomli_w.dumps(data), encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # scenario_files resolve against the study file, not the working folder
    study = load_study(tmp_path / "studies" / FILE)
    names = [s.name for s in study.scenarios]
    assert names == ["S1", "S2", "F1", "F2", "logistic[intercept=-1,slope=0.5]", "liu_yuan-0", "liu_yuan-1"]
    f1 = study.scenarios[2]
    assert f1.true_tox == (0.05, 0.1, 0.15, 0.3) and f1.description == "from a file"
    # study_from_dict resolves the same file names against base_dir
    again = study_from_dict(data, FILE, tmp_path / "studies")
    assert again.scenarios == study.scenarios


def test_logistic_scenario_grid_values(tmp_path):
    data = _base()
    data["scenario_grids"] = [
        {
            "model": "logistic",
            "dose_values": [-2, -1, 0, 1.5],
            "intercept": [-1.5, -1.0],
            "slope": [0.5, 2.0],
        },
        {
            "model": "logistic",
            "name": "L{i}-{slope}",
            "dose_values": [-3, -2, -1, 0],
            "intercept": -4.0,
            "slope": [0.25, 1.0],
        },
    ]
    study = _load(tmp_path, data)
    grid = [s for s in study.scenarios if s.name.startswith(("logistic", "L"))]
    expect_names = [
        "logistic[intercept=-1.5,slope=0.5]",
        "logistic[intercept=-1.5,slope=2]",
        "logistic[intercept=-1,slope=0.5]",
        "logistic[intercept=-1,slope=2]",
        "L0-0.25",
        "L1-1",
    ]
    assert [s.name for s in grid] == expect_names
    pars = [(-1.5, 0.5, [-2, -1, 0, 1.5]), (-1.5, 2.0, [-2, -1, 0, 1.5]), (-1.0, 0.5, [-2, -1, 0, 1.5])]
    pars += [(-1.0, 2.0, [-2, -1, 0, 1.5]), (-4.0, 0.25, [-3, -2, -1, 0]), (-4.0, 1.0, [-3, -2, -1, 0])]
    for scen, (a, b, xs) in zip(grid, pars, strict=True):
        expect = [1.0 / (1.0 + math.exp(-(a + b * x))) for x in xs]
        assert scen.true_tox == pytest.approx(expect, rel=1e-14, abs=0)
    assert grid[0].description == "logistic(intercept=-1.5, slope=0.5)"


def test_power_scenario_grid_values(tmp_path):
    skeleton = [0.05, 0.1, 0.2, 0.35]
    data = _base()
    data["scenario_grids"] = [
        {"model": "power", "skeleton": skeleton, "a": [-0.5, 0.0, 0.7]},
        {"model": "power", "name": "P", "skeleton": skeleton, "a": 0.3, "description": "one curve"},
    ]
    study = _load(tmp_path, data)
    grid = {s.name: s for s in study.scenarios if s.name.startswith(("power", "P"))}
    assert list(grid) == ["power[a=-0.5]", "power[a=0]", "power[a=0.7]", "P"]
    for name, a in (("power[a=-0.5]", -0.5), ("power[a=0]", 0.0), ("power[a=0.7]", 0.7), ("P", 0.3)):
        assert grid[name].true_tox == pytest.approx([s ** math.exp(a) for s in skeleton], rel=1e-14, abs=0)
    assert grid["power[a=0]"].true_tox == tuple(skeleton)
    assert grid["power[a=0.7]"].true_tox[0] < 0.05  # a > 0 makes every dose safer
    assert grid["P"].description == "one curve"


@pytest.mark.parametrize("generator", ["liu_yuan", "clertant_oquigley"])
def test_random_scenarios_cross_list_params_with_their_own_indices(tmp_path, generator):
    data = _base()
    params = {"n_doses": 4, "target": 0.3}
    varied = {"mu1": [0.3, 0.6], "mu2": [0.3, 0.6]} if generator == "liu_yuan" else {"min_gap": [0.0, 0.05]}
    data["random_scenarios"] = [
        {"generator": generator, "count": 3, "seed": 19, "prefix": "rnd", "params": {**params, **varied}},
        {"generator": generator, "count": 2, "seed": 4, "params": dict(params)},  # default prefix
    ]
    study = _load(tmp_path, data)
    got = [s for s in study.scenarios if s.name.startswith(("rnd-", generator))]
    expect = []
    keys = list(varied)
    for k, combo in enumerate(itertools.product(*(varied[key] for key in keys))):
        extra = dict(zip(keys, combo, strict=True))
        expect += generate(generator, 3, 19, start=3 * k, prefix="rnd", **params, **extra)
    expect += generate(generator, 2, 4, **params)
    assert got == expect  # names, curves and descriptions
    assert [s.name for s in got[: 3 * 2 ** len(keys)]] == [f"rnd-{i}" for i in range(3 * 2 ** len(keys))]
    assert [s.name for s in got[-2:]] == [f"{generator}-0", f"{generator}-1"]
    assert len({s.true_tox for s in got}) == len(got)  # every combination has its own random streams


def test_single_design_table_and_block_defaults(tmp_path):
    data = _base()
    del data["design_grids"]
    data["design"] = data.pop("designs")[0]
    study = _load(tmp_path, data)
    assert [d.name for d in study.designs] == ["BOIN"]
    assert study.block_trials == 500  # min(n_trials, DEFAULT_BLOCK_TRIALS)
    data["study"].update(n_trials=25_000)
    assert _load(tmp_path, data).block_trials == DEFAULT_BLOCK_TRIALS
    data["study"].update(n_trials=300, block_trials=1000)
    assert _load(tmp_path, data).block_trials == 300  # never more than n_trials
    assert _load(tmp_path, data).n_blocks == 1


def test_a_spec_file_serves_as_a_scenario_file(tmp_path):
    """The shipped spec file (designs, scenarios, [simulation]) lends its [[scenarios]] to a study."""
    root = Path(__file__).resolve().parents[2]
    (tmp_path / "truths").mkdir()
    shutil.copy(root / "scenarios" / "target30-6dose.toml", tmp_path / "truths" / "t30.toml")
    data = {
        "study": {"n_trials": 100, "seed": 1, "scenario_files": ["truths/t30.toml"]},
        "designs": [{**BOIN4, "n_doses": 6}],
    }
    study = _load(tmp_path, data)
    assert study.name == "my-study"  # default: the file's stem
    assert [s.name for s in study.scenarios] == ["S1", "S2", "S3", "S4", "S5", "S6"]
    assert study.scenarios[0].true_tox == (0.26, 0.34, 0.47, 0.64, 0.66, 0.77)
    data["designs"][0]["n_doses"] = 5
    with pytest.raises(SpecError) as info:
        _load(tmp_path, data)
    assert info.value.field == "scenarios[0].true_tox" and FILE in str(info.value)


# ---- errors ------------------------------------------------------------------------------------------------
def _set(path, value):
    def change(d):
        *head, last = path
        node = d
        for key in head:
            node = node[key]
        node[last] = value

    return change


def _drop(*path):
    def change(d):
        *head, last = path
        node = d
        for key in head:
            node = node[key]
        del node[last]

    return change


def _dup_design(d):
    d["designs"].append({**BOIN4, "max_n": 18})


def _dup_scenario(d):
    d["scenarios"].append({"name": "S1", "true_tox": [0.2, 0.3, 0.4, 0.5]})


def _dup_random(d):
    d["random_scenarios"].append(copy.deepcopy(d["random_scenarios"][0]) | {"seed": 4})


def _other_n_doses(d):
    d["designs"].append({**BOIN4, "name": "BOIN5", "n_doses": 5})


def _grid_dup_names(d):
    d["design_grids"][0]["name"] = "CRM"


ERRORS = {
    "missing study": (_drop("study"), "study"),
    "missing n_trials": (_drop("study", "n_trials"), "study.n_trials"),
    "missing seed": (_drop("study", "seed"), "study.seed"),
    "zero n_trials": (_set(["study", "n_trials"], 0), "study.n_trials"),
    "fractional seed": (_set(["study", "seed"], 1.5), "study.seed"),
    "band of 1": (_set(["study", "acceptable_band"], 1.0), "study.acceptable_band"),
    "unknown top-level table": (_set(["simulation"], {"n_trials": 5}), "study file.simulation"),
    "unknown study key": (_set(["study", "n_trial"], 5), "study.n_trial"),
    "unknown design key": (_set(["designs", 0, "cohort"], 3), "designs[0].cohort"),
    "unknown grid key": (_set(["design_grids", 0, "vary2"], {}), "design_grids[0].vary2"),
    "unknown scenario key": (_set(["scenarios", 1, "tox"], [0.1]), "scenarios[1].tox"),
    "unknown scenario-grid key": (_set(["scenario_grids", 0, "offset"], 1.0), "scenario_grids[0].offset"),
    "unknown random key": (_set(["random_scenarios", 0, "start"], 3), "random_scenarios[0].start"),
    "unknown generator parameter": (
        _set(["random_scenarios", 0, "params", "sigma"], 0.3),
        "random_scenarios[0].params.sigma",
    ),
    "duplicate design names": (_dup_design, "designs.name"),
    "duplicate names from a template": (_grid_dup_names, "designs.name"),
    "duplicate scenario names": (_dup_scenario, "scenarios[2].name"),
    "duplicate random scenario names": (_dup_random, "scenarios[5].name"),
    "designs with different n_doses": (_other_n_doses, "designs.n_doses"),
    "scenario with too few doses": (
        _set(["scenarios", 1, "true_tox"], [0.1, 0.2, 0.3]),
        "scenarios[1].true_tox",
    ),
    "probability above 1": (
        _set(["scenarios", 0, "true_tox"], [0.1, 0.2, 1.3, 0.5]),
        "scenarios[0].true_tox[2]",
    ),
    "unknown reference": (_set(["study", "reference"], "CRM"), "study.reference"),
    "vary value not a list": (
        _set(["design_grids", 0, "vary", "model"], "empiric"),
        "design_grids[0].vary.model",
    ),
    "vary value an empty list": (
        _set(["design_grids", 0, "vary", "model"], []),
        "design_grids[0].vary.model",
    ),
    "vary not a table": (_set(["design_grids", 0, "vary"], ["model"]), "design_grids[0].vary"),
    "grid without base": (_drop("design_grids", 0, "base"), "design_grids[0].base"),
    "invalid grid combination": (
        _set(["design_grids", 0, "vary", "cohort_size"], [3, 0]),
        "design_grids[0].cohort_size",
    ),
    "template with an unknown field": (
        _set(["design_grids", 0, "name"], "CRM-{target}"),
        "design_grids[0].name",
    ),
    "template with a position": (_set(["design_grids", 0, "name"], "CRM-{0}"), "design_grids[0].name"),
    "template with a lone brace": (_set(["design_grids", 0, "name"], "CRM-{model"), "design_grids[0].name"),
    "template with an attribute": (
        _set(["design_grids", 0, "name"], "CRM-{model.x}"),
        "design_grids[0].name",
    ),
    "template not text": (_set(["design_grids", 0, "name"], 5), "design_grids[0].name"),
    "unknown generator": (
        _set(["random_scenarios", 0, "generator"], "uniform"),
        "random_scenarios[0].generator",
    ),
    "zero count": (_set(["random_scenarios", 0, "count"], 0), "random_scenarios[0].count"),
    "unknown scenario model": (_set(["scenario_grids", 0, "model"], "probit"), "scenario_grids[0].model"),
    "scenario grid without slope": (_drop("scenario_grids", 0, "slope"), "scenario_grids[0].slope"),
    "no designs": (lambda d: [d.pop(k) for k in ("designs", "design_grids")], "designs"),
    "no scenarios": (
        lambda d: [d.pop(k) for k in ("scenarios", "scenario_grids", "random_scenarios")],
        "scenarios",
    ),
    "missing scenario file": (_set(["study", "scenario_files"], ["nowhere.toml"]), "study.scenario_files[0]"),
}


@pytest.mark.parametrize("case", list(ERRORS))
def test_errors_name_the_field_and_the_file(tmp_path, case):
    change, field = ERRORS[case]
    data = _base()
    change(data)
    with pytest.raises(SpecError) as info:
        _load(tmp_path, data)
    assert info.value.field == field, str(info.value)
    assert FILE in str(info.value)
    assert info.value.source == FILE


def test_missing_scenario_file_message_names_it(tmp_path):
    data = _base()
    data["study"]["scenario_files"] = ["nowhere.toml"]
    with pytest.raises(SpecError, match=r"nowhere\.toml not found") as info:
        _load(tmp_path, data)
    assert str(info.value).startswith(f"{FILE}: study.scenario_files[0]:")


def test_invalid_toml_in_a_scenario_file_names_that_file(tmp_path):
    _write(tmp_path / "broken.toml", '[[scenarios]]\nname = "B"\ntrue_tox = [0.1, 0.2, 0.3, 0.4\n')
    data = _base()
    data["study"]["scenario_files"] = ["broken.toml"]
    with pytest.raises(SpecError) as info:
        _load(tmp_path, data)
    assert info.value.field == "study.scenario_files[0]"
    assert FILE in str(info.value)
    # the user must learn which file has the syntax error, not only which study listed it
    assert "broken.toml" in str(info.value)


def test_bad_scenario_in_a_scenario_file(tmp_path):
    _write(tmp_path / "bad.toml", '[[scenarios]]\nname = "B"\ntrue_tox = [0.1, 0.2, 1.3, 0.4]\n')
    data = _base()
    data["study"]["scenario_files"] = ["bad.toml"]
    with pytest.raises(SpecError, match=r"bad\.toml: scenarios\[0\]\.true_tox\[2\]") as info:
        _load(tmp_path, data)
    assert info.value.field == "study.scenario_files[0]" and FILE in str(info.value)


def test_invalid_toml_in_the_study_file(tmp_path):
    path = _write(tmp_path / FILE, "[study]\nn_trials = \n")
    with pytest.raises(SpecError, match="not valid TOML") as info:
        load_study(path)
    assert info.value.field == "file" and FILE in str(info.value)


# ---- identity ----------------------------------------------------------------------------------------------
def _mutations():
    def scen_value(d):
        d["scenarios"][1]["true_tox"][2] = 0.47

    def scen_name(d):
        d["scenarios"][1]["name"] = "tied2"

    def scen_order(d):
        d["scenarios"].reverse()

    def scen_added(d):
        d["scenarios"].append({"name": "extra", "true_tox": [0.1, 0.2, 0.3, 0.4, 0.5]})

    def design_param(d):
        d["designs"][0]["cutoff_eli"] = 0.9

    def design_name(d):
        d["designs"][0]["name"] = "BOIN-2"

    def design_order(d):
        d["designs"][0], d["designs"][1] = d["designs"][1], d["designs"][0]

    def design_modifier(d):
        d["designs"][0]["modifiers"] = [{"kind": "dont_skip"}]

    return {
        "name": lambda d: d["study"].update(name="other"),
        "n_trials": lambda d: d["study"].update(n_trials=301),
        "seed": lambda d: d["study"].update(seed=2027),
        "block_trials": lambda d: d["study"].update(block_trials=100),
        "acceptable_band": lambda d: d["study"].update(acceptable_band=0.05),
        "reference": lambda d: d["study"].update(reference="CRM"),
        "scenarios_per_task": lambda d: d["study"].update(scenarios_per_task=2),
        "scenario value": scen_value,
        "scenario name": scen_name,
        "scenario order": scen_order,
        "scenario added": scen_added,
        "design parameter": design_param,
        "design name": design_name,
        "design order": design_order,
        "design modifier": design_modifier,
    }


def test_study_hash_is_stable():
    a, b = study_from_dict(study_dict()), study_from_dict(study_dict())
    assert a.study_hash() == b.study_hash()
    assert len(a.study_hash()) == 16 and int(a.study_hash(), 16) >= 0
    # spelled differently, same study: defaults written out, key order, a description, another source
    d = study_dict()
    d["study"] = dict(reversed(list(d["study"].items())))
    d["study"].update(block_trials=300, description="the same study")
    d["designs"][2]["cohort_size"] = 3
    assert study_from_dict(d, "elsewhere.toml").study_hash() == a.study_hash()


@pytest.mark.parametrize("what", list(_mutations()))
def test_study_hash_changes_with_every_setting_design_and_scenario(what):
    base = study_from_dict(study_dict())
    d = study_dict()
    _mutations()[what](d)
    changed = study_from_dict(d)
    assert changed.study_hash() != base.study_hash()


def test_study_hash_of_toml_file_equals_dict(tmp_path):
    data = _base()
    from_file = _load(tmp_path, data)
    assert from_file.study_hash() == study_from_dict(data, None, tmp_path).study_hash()
    data["random_scenarios"][0]["seed"] = 4  # other random curves
    assert _load(tmp_path, data).study_hash() != from_file.study_hash()


# ---- layout ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("n_trials", "block", "n_scen", "per_task"),
    [(1000, 300, 7, 3), (300, 300, 4, 1), (250, 1, 2, 2), (900, 1000, 5, 5), (1000, 333, 6, 0)],
)
def test_tasks_cover_every_scenario_block_exactly_once(n_trials, block, n_scen, per_task):
    scen = [{"name": f"s{i}", "true_tox": [0.05 + 0.01 * i, 0.1, 0.2, 0.3, 0.5]} for i in range(n_scen)]
    study = study_from_dict(
        study_dict(scenarios=scen, n_trials=n_trials, block_trials=block, scenarios_per_task=per_task)
    )
    bt = min(block, n_trials)
    assert study.block_trials == bt
    assert study.n_blocks == math.ceil(n_trials / bt)
    spt = study.scenarios_per_task
    if per_task == 0:
        assert spt == max(1, TASK_TRIALS // (bt * 3))
    else:
        assert spt == per_task
    assert study.n_chunks == math.ceil(n_scen / spt)
    assert study.n_tasks == study.n_chunks * study.n_blocks
    seen: dict[tuple[str, int], int] = {}
    trials = dict.fromkeys((s.name for s in study.scenarios), 0)
    for t in range(study.n_tasks):
        task = study.task(t)
        assert task.task_id == t
        assert task.first_trial == task.block * bt
        assert task.n_trials == min(bt, n_trials - task.first_trial) >= 1
        assert (
            task.scenarios == study.scenarios[task.first_scenario : task.first_scenario + len(task.scenarios)]
        )
        assert task.first_scenario == task.chunk * spt and 1 <= len(task.scenarios) <= spt
        assert task.designs == study.designs and task.pairs == study.pairs and task.seed == study.seed
        for s in task.scenarios:
            seen[(s.name, task.block)] = seen.get((s.name, task.block), 0) + 1
            trials[s.name] += task.n_trials
    assert seen == {(s.name, b): 1 for s in study.scenarios for b in range(study.n_blocks)}
    assert set(trials.values()) == {n_trials}
    assert (
        sum(len(study.task(t).scenarios) * study.task(t).n_trials for t in range(study.n_tasks))
        * len(study.designs)
        == study.total_trials
    )
    for bad in (-1, study.n_tasks):
        with pytest.raises(IndexError):
            study.task(bad)


def test_default_scenarios_per_task_is_at_least_one():
    big = study_from_dict(study_dict(n_trials=10**6))  # 3 designs x 10000 trials per block
    assert big.block_trials == DEFAULT_BLOCK_TRIALS
    assert big.scenarios_per_task == max(1, TASK_TRIALS // (DEFAULT_BLOCK_TRIALS * 3))
    many = [{**BOIN4, "n_doses": 5, "name": f"B{i}"} for i in range(25)]
    assert study_from_dict(study_dict(designs=many, n_trials=10**5)).scenarios_per_task == 1


def _targets_study(targets, **settings):
    designs = [
        {"name": f"D{i}", "kind": "boin", "target": t, "n_doses": 5, "max_n": 12}
        for i, t in enumerate(targets)
    ]
    return study_from_dict(study_dict(designs=designs, **settings))


def test_pairs_only_between_designs_with_the_same_target():
    assert _targets_study([0.3, 0.3, 0.25, 0.3]).pairs == ((0, 1), (0, 3), (1, 3))
    assert _targets_study([0.3, 0.25]).pairs == ()
    assert _targets_study([0.3]).pairs == ()


def test_reference_design_pairs():
    study = _targets_study([0.3, 0.3, 0.25, 0.3], reference="D3")
    assert study.reference == "D3"
    assert study.pairs == ((0, 3), (1, 3))  # D2 has another target
    assert _targets_study([0.3, 0.3, 0.25], reference="D2").pairs == ()


def test_many_designs_are_compared_with_the_first():
    n = MAX_ALL_PAIRS_DESIGNS + 1
    targets = [0.3] * n
    targets[4] = 0.2
    assert _targets_study(targets).pairs == tuple((i, 0) for i in range(1, n) if i != 4)
    assert _targets_study(targets[:MAX_ALL_PAIRS_DESIGNS]).pairs == tuple(
        (a, b) for a, b in itertools.combinations(range(MAX_ALL_PAIRS_DESIGNS), 2) if 4 not in (a, b)
    )
