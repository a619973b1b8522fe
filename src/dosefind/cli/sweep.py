"""``dosefind sweep | summarize | plot``: studies of many scenarios x designs, resumable, local or on Dask."""

from __future__ import annotations

import json
import sys
from contextlib import ExitStack
from enum import Enum
from pathlib import Path

import typer

from ..report.text_tables import pm as _pm
from ..report.text_tables import pm_columns as _columns
from ..report.text_tables import text_table as _text_table
from .common import check_output_path, emit, fail, note_first_compile, user_errors


def _hms(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 3600}h{s % 3600 // 60:02d}m{s % 60:02d}s" if s >= 3600 else f"{s // 60}m{s % 60:02d}s"


@user_errors
def sweep(
    study: Path = typer.Argument(
        ..., help="Study file (TOML): [study], designs (or arms, platforms, baskets) and scenarios."
    ),
    out: Path = typer.Option(..., "--out", "-o", help="Output folder (created; reused to resume)."),
    workers: int = typer.Option(None, "--workers", "-w", help="Worker processes (default: all cores)."),
    scheduler: str = typer.Option(
        None, "--scheduler", help="Address of a running Dask scheduler, e.g. tcp://host:8786."
    ),
    dask_workers: int = typer.Option(
        None, "--dask-workers", help="Start a local Dask cluster with this many worker processes."
    ),
    serial: bool = typer.Option(False, "--serial", help="Run every task in this process (no pool)."),
    max_tasks: int = typer.Option(None, "--max-tasks", help="Stop after this many new tasks (resume later)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
):
    """Run a study into --out; run it again after a crash or Ctrl-C to finish only what is missing."""
    from ..sweep import load_study, run_study

    if scheduler and dask_workers:
        raise fail("--scheduler and --dask-workers: give one of them (a running cluster, or a local one)")
    if serial and (scheduler or dask_workers or workers):
        raise fail("--serial runs in this process; drop --workers/--scheduler/--dask-workers")
    for option, value in (
        ("--workers", workers),
        ("--dask-workers", dask_workers),
        ("--max-tasks", max_tasks),
    ):
        if value is not None and value < 1:
            raise fail(f"{option}: {value} is not positive; use 1 or more")
    st = load_study(study)
    for note in st.notes[:5]:
        typer.echo(f"note: {note}", err=True)
    if len(st.notes) > 5:
        typer.echo(f"note: ... and {len(st.notes) - 5} more non-monotone scenarios", err=True)
    backend = "serial" if serial else ("dask" if (scheduler or dask_workers) else "local")
    n_workers = dask_workers if backend == "dask" else workers
    units = getattr(st, "units", None)  # a study of arms, platforms and baskets
    if units is not None:
        counts = ", ".join(f"{n:,} {k}" for k, n in _unit_counts(st).items())
        what = f"{len(units):,} units ({counts})"
    else:
        what = f"{len(st.scenarios):,} scenarios x {len(st.designs)} designs"
    exact = getattr(st, "method", None) == "exact" or getattr(st, "exact", False)
    if exact:
        per = "group of units" if units is not None else "design and scenario"
        typer.echo(
            f"study {st.name!r}: {what}, exact operating characteristics: {st.n_tasks:,} tasks, one per "
            f"{per} ({backend})",
            err=True,
        )
    else:
        typer.echo(
            f"study {st.name!r}: {what} x {st.n_trials:,} trials = {st.total_trials:,} trials in "
            f"{st.n_tasks:,} tasks ({backend})",
            err=True,
        )
    note_first_compile(quiet)
    with ExitStack() as stack:  # the bar opens at the first report, after the output folder is checked
        bar: dict = {}

        def progress(done, total):
            if quiet:
                return
            if not bar:
                bar["bar"] = stack.enter_context(
                    typer.progressbar(length=total, label="sweeping", file=sys.stderr, show_eta=True)
                )
                bar["done"] = 0
            bar["bar"].update(done - bar["done"])
            bar["done"] = done

        try:
            run = run_study(
                st,
                out,
                backend=backend,
                workers=n_workers,
                scheduler=scheduler,
                progress=progress,
                max_tasks=max_tasks,
            )
        except KeyboardInterrupt:
            stack.close()
            typer.echo(
                f"\ninterrupted: finished tasks are saved in {out}; run the same command again to finish",
                err=True,
            )
            raise typer.Exit(130) from None
    line = f"{run.computed:,} tasks computed"
    if run.skipped:
        line += f", {run.skipped:,} already done"
    line += f" in {_hms(run.seconds)}"
    if run.workers:
        line += f" ({run.backend}, {run.workers} workers)"
    typer.echo(line, err=True)
    if not run.outputs:
        left = run.n_tasks - run.skipped - run.computed
        typer.echo(f"{left:,} tasks left: run the same command again to finish", err=True)
        return
    typer.echo(f"results in {out}: " + ", ".join(p.name for p in run.outputs), err=True)
    if units is not None:  # tables of their own: the first of each kind (summarize shows them all)
        from ..report.unit_text import units_overview
        from ..sweep.unit_summary import summarize_units

        typer.echo(units_overview(summarize_units(out)))
        return
    from ..sweep.summary import design_summary, read_dataset

    typer.echo(format_designs(design_summary(read_dataset(out, ("oc",))["oc"]), exact))


def _unit_counts(st) -> dict[str, int]:
    """Units per kind of subject, e.g. {"arm units": 10, "basket units": 24}."""
    out: dict[str, int] = {}
    for u in st.units:
        out[f"{u.kind} units"] = out.get(f"{u.kind} units", 0) + 1
    return out


class SummaryFormat(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"


def format_designs(df, exact: bool = False) -> str:
    """Two tables (selection, then patients), probabilities in percent, each column with one number of
    decimals, lines under 110 characters; ``exact`` (an exact study): values without MCSE."""
    records = df.to_dict("records")
    names = [str(r["design"]) for r in records]
    sel = _columns(
        records,
        [
            ("pcs", 100),
            ("benchmark_pcs", 100),
            ("efficiency", 1),
            ("accuracy_index", 1),
            ("prob_select_above_mtd", 100),
        ],
        exact,
    )
    selection = _text_table(
        [
            "design",
            "PCS %",
            "benchmark PCS %",
            "efficiency",
            "accuracy",
            "select > MTD %",
            "mean rank",
            "best",
        ],
        [
            [name, *row, f"{r['mean_rank_pcs']:.2f}", f"{100 * r['share_best_pcs']:.0f}%"]
            for name, row, r in zip(names, sel, records, strict=True)
        ],
    )
    pat = _columns(
        records,
        [("mean_n", 1), ("mean_tox", 1), ("prop_treated_above_mtd", 100), ("prob_early_stop", 100)],
        exact,
    )
    patients = _text_table(
        ["design", "mean n", "mean DLTs", "treated > MTD %", "early stop %"],
        [[name, *row] for name, row in zip(names, pat, strict=True)],
    )
    n = int(df["n_scenarios"].max()) if len(df) else 0
    error = "exact values (no Monte Carlo error)" if exact else "± Monte Carlo SE"
    note = (
        f"averages over {n:,} scenarios, {error}, probabilities in percent; efficiency = PCS /\n"
        "benchmark PCS (nonparametric optimal benchmark, same patients); rank and best: on PCS within each\n"
        "scenario"
    )
    return selection + "\n\n" + patients + "\n" + note


def format_by_mtd(df, exact: bool = False) -> str:
    records = df.to_dict("records")
    cols = _columns(records, [("pcs", 100), ("prob_select_above_mtd", 100)], exact)
    header = ["true MTD", "design", "scenarios", "PCS %", "select > MTD %"]
    rows = [
        [str(r["mtd"]), str(r["design"]), str(r["n_scenarios"]), *c]
        for r, c in zip(records, cols, strict=True)
    ]
    return _text_table(header, rows)


def format_paired(df, exact: bool = False) -> str:
    if df.empty:
        return "no paired comparisons (designs with different targets are not paired)"
    if exact:  # differences of exact values: no standard errors, no variance ratio
        rows = [
            [
                f"{r['design_a']} - {r['design_b']}",
                str(r["metric"]),
                f"{r['mean_diff']:.4f}",
                f"{100 * r['share_a_higher']:.0f}%",
                f"{100 * r['share_a_lower']:.0f}%",
            ]
            for r in df.to_dict("records")
        ]
        return (
            _text_table(["A - B", "metric", "mean diff", "A higher", "A lower"], rows)
            + "\nmean diff: of exact values; A higher/lower: share of scenarios where A's exact value is "
            "higher/lower"
        )
    header = ["A - B", "metric", "mean diff (paired SE)", "unpaired SE", "A higher", "A lower", "var. ratio"]
    rows = [
        [
            f"{r['design_a']} - {r['design_b']}",
            str(r["metric"]),
            _pm(r["mean_diff"], r["mean_diff_mcse"], 4),
            f"{r['mean_diff_mcse_unpaired']:.4f}",
            f"{100 * r['share_a_higher']:.0f}%",
            f"{100 * r['share_a_lower']:.0f}%",
            f"{r['median_variance_ratio']:.2f}",
        ]
        for r in df.to_dict("records")
    ]
    note = (
        "A higher/lower: share of scenarios where the paired difference exceeds 1.96 paired SEs; "
        "var. ratio: median over scenarios of (var A + var B) / var(A - B), the variance reduction of "
        "common random numbers"
    )
    return _text_table(header, rows) + "\n" + note


SUBJECT_OPTION = typer.Option(
    None,
    "--subject",
    help="Only this arm, platform or basket (sweeps of arms, platforms and baskets).",
)


def _refuse_subject(subject: str | None, folder: Path) -> None:
    if subject is not None:
        raise fail(
            f"--subject: {folder} is a sweep of designs (no arms, platforms or baskets); drop --subject"
        )


@user_errors
def summarize(
    results: Path = typer.Argument(..., help="The --out folder of a finished `dosefind sweep`."),
    fmt: SummaryFormat = typer.Option(SummaryFormat.table, "--format", "-f", help="Output format."),
    out: Path = typer.Option(None, "--out", "-o", help="Write to this file (atomically) instead of stdout."),
    subject: str = SUBJECT_OPTION,
):
    """Rank designs across the scenario grid: averages, by true MTD position, and paired differences. On a
    sweep of arms, platforms and baskets: each subject compared across its scenarios."""
    from ..sweep.summary import summarize as run_summary
    from ..sweep.unit_summary import is_unit_folder, read_manifest

    check_output_path(out, example=f"summary.{'txt' if fmt is SummaryFormat.table else fmt.value}")
    if is_unit_folder(read_manifest(results)):
        from ..report.unit_text import units_csv, units_json, units_text
        from ..sweep.unit_summary import summarize_units

        s = summarize_units(results, subject)
        render = {
            SummaryFormat.table: units_text,
            SummaryFormat.csv: units_csv,
            SummaryFormat.json: units_json,
        }
        emit(render[fmt](s), out)
        return
    _refuse_subject(subject, results)
    s = run_summary(results)
    m = s["manifest"]
    if fmt is SummaryFormat.table:
        exact = m.get("method") == "exact"
        size = (
            "exact operating characteristics (MCSE 0)"
            if exact
            else f"{m['n_trials']:,} trials, seed {m['seed']}"
        )
        head = (
            f"study {m['study']['name']!r}: {m['n_scenarios']:,} scenarios x {m['n_designs']} designs x "
            f"{size},\ndosefind {m['version']}, study hash {m['study_hash']}"
        )
        text = "\n\n".join(
            [
                head,
                "Designs across scenarios\n" + format_designs(s["designs"], exact),
                "By true MTD position\n" + format_by_mtd(s["by_mtd"], exact),
                ("Paired comparisons" if exact else "Paired comparisons (common random numbers)")
                + "\n"
                + format_paired(s["paired"], exact),
            ]
        )
    elif fmt is SummaryFormat.csv:
        parts = ["".join(f"# {k}: {v}\n" for k, v in _provenance(m).items()).rstrip("\n")]
        for key in ("designs", "by_mtd", "paired"):
            df = s[key].copy()
            df.insert(0, "table", key)
            parts.append(df.to_csv(index=False))
        text = "\n".join(parts)
    else:
        payload = {
            "provenance": _provenance(m),
            **{k: json.loads(s[k].to_json(orient="records")) for k in ("designs", "by_mtd", "paired")},
        }
        text = json.dumps(payload, indent=2)
    emit(text, out)


def _provenance(manifest: dict) -> dict:
    keys = ("version", "study_hash", "seed", "n_trials", "n_scenarios", "n_designs")
    prov = {"study": manifest["study"]["name"], **{k: manifest[k] for k in keys}}
    prov["method"] = manifest.get("method", "simulation")
    return prov


class FigureFormat(str, Enum):
    png = "png"
    pdf = "pdf"
    svg = "svg"


@user_errors
def plot(
    results: Path = typer.Argument(..., help="The --out folder of a finished `dosefind sweep`."),
    out: Path = typer.Option(..., "--out", "-o", help="Folder for the figures (created if missing)."),
    fmt: FigureFormat = typer.Option(FigureFormat.png, "--format", "-f", help="Figure file format."),
    subject: str = SUBJECT_OPTION,
):
    """Figures: PCS and overdosing per scenario and design, benchmark efficiency, selections, ranking. On a
    sweep of arms, platforms and baskets: P(go) per cohort by scenario and design, platform arms' time to
    RP2D and P(go), arms' selection and patients."""
    from ..report.sweep_plots import save_figures
    from ..sweep.unit_summary import is_unit_folder, read_manifest

    units = is_unit_folder(read_manifest(results))
    if not units:
        _refuse_subject(subject, results)
    if units:
        from ..report.unit_plots import unit_figures
        from ..sweep.unit_summary import summarize_units, units_provenance

        s = summarize_units(results, subject)
        provenance = units_provenance(s["manifest"])
    else:
        from ..report.sweep_plots import sweep_figures
        from ..sweep.summary import read_dataset

        data = read_dataset(results)
        provenance = _provenance(data["manifest"])
    if out.exists() and not out.is_dir():
        raise fail(f"--out: {out} is a file; give a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise fail(
            f"--out: cannot create the folder {out} ({e.strerror}); choose a folder you can create"
        ) from None
    stamp = "dosefind sweep: " + json.dumps(provenance, sort_keys=True)
    figs = unit_figures(s) if units else sweep_figures(data)
    paths = save_figures(figs, out, fmt=fmt.value, provenance=stamp)
    for p in paths:
        typer.echo(str(p))
