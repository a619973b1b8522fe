"""Text, CSV and JSON renderings of dose transition pathways."""

from __future__ import annotations

import csv
import io
import json
import math

from ..paths.pathways import DosePaths, PathNode, RandomChoice, chance_text


def _decision(paths: DosePaths, x: PathNode) -> str:
    labels = paths.design.doses
    word = paths.decision_word(x)
    unit = paths.design.unit
    if word == "stop":
        return f"stop, MTD {labels[x.selected]}" if x.selected >= 0 else f"stop, no {unit}"
    if word in ("stay", "start"):
        return f"{word} at {labels[x.next_dose]}"
    return f"{word} to {labels[x.next_dose]}"


def _others(paths: DosePaths, x: PathNode) -> str:
    labels = paths.design.doses
    names = [labels[d] if d >= 0 else "stop" for d in x.alternatives if d != x.next_dose]
    return ", ".join(names)


def choice_note(paths: DosePaths, x: PathNode) -> str:
    """The random choice behind a branch, e.g. ``"[tie with 1.3 broken at random: chance 1/2]"`` ("" if
    the decision did not depend on chance). The root (the real data) names the data's uniform instead."""
    if not x.alternatives:
        return ""
    others = _others(paths, x)
    if x.depth == 0:
        u = paths.data.tie_uniforms()[-1]
        what = "tie with" if x.choice == RandomChoice.TIE else "random choice; otherwise"
        return f"[{what} {others}: chosen by the data's uniform u_tie = {u:.4f}]"
    c = chance_text(x.chance)
    if x.choice == RandomChoice.TIE:
        return f"[tie with {others} broken at random: chance {c}]"
    if x.choice == RandomChoice.TIED_ORDERINGS:
        return f"[tied orderings, one taken at random: chance {c}; otherwise {others}]"
    if x.choice == RandomChoice.RANDOMISATION:
        return f"[randomised by utility: chance {c}; otherwise {others}]"
    return f"[ordering drawn at random: chance {c}; otherwise {others}]"


def _with_note(paths: DosePaths, x: PathNode) -> str:
    note = choice_note(paths, x)
    return f"{_decision(paths, x)} {note}" if note else _decision(paths, x)


def scenario_text(paths: DosePaths) -> str:
    """The scenario's true P(DLT): a list per dose, or rows of the grid (drug A levels) separated by /."""
    design = paths.design
    g = design.dose_grid
    if g is not None:
        rows = " / ".join(
            " ".join(f"{paths.true_tox[j * g.n_cols + k]:g}" for k in range(g.n_cols))
            for j in range(g.n_rows)
        )
        return f"true P(DLT) by cell, rows {g.drug_a} 1..{g.n_rows}, columns {g.drug_b} 1..{g.n_cols}: {rows}"
    return "true P(DLT) " + ", ".join(f"{p:g}" for p in paths.true_tox)


def format_paths(paths: DosePaths) -> str:
    """An indented tree: one line per future cohort outcome with the design's answer (and probability).

    A cohort outcome whose decision the design leaves to chance appears once per possible decision, each
    marked with its chance (included in p)."""
    root = paths.nodes[0]
    has_prob = paths.true_tox is not None
    head = f"Dose transition pathways for the next {paths.cohorts} cohort(s) of {paths.design.name}"
    if has_prob:
        head += f" (probabilities under {scenario_text(paths)})"
    lines = [head, f"now ({paths.data.to_notation() or 'no patients'}): {_with_note(paths, root)}"]
    if paths.has_random_choices:
        lines.append(
            "An outcome followed by [...] is a decision the design takes at random (a tie broken at "
            "random, or a randomisation): one line per possible decision, with its chance"
            + (" (p includes it)." if has_prob else ".")
        )
    rendered = []

    def walk(node: int, prefix: str):
        kids = paths.children(node)
        for i, x in enumerate(kids):
            last = i == len(kids) - 1
            text = f"{prefix}{'`-' if last else '|-'} {paths.token(x)} -> {_with_note(paths, x)}"
            rendered.append((text, x))
            walk(x.node, prefix + ("   " if last else "|  "))

    walk(0, "")
    width = max((len(t) for t, _ in rendered), default=0)
    for text, x in rendered:
        lines.append(f"{text.ljust(width)}   p = {x.prob:.4f}" if has_prob else text)
    if has_prob:
        leaves = paths.leaves()
        total = sum(x.prob for x in leaves)
        lines.append(f"({len(leaves)} paths; their probabilities sum to {total:.6f})")
    return "\n".join(lines)


def paths_table(paths: DosePaths) -> str:
    """One row per complete path (Yap et al.'s layout): each future cohort's dose and outcomes, the
    design's answer after it, and the path's probability when a scenario was given."""
    k = paths.cohorts
    header = ["path"] + [f"cohort {i + 1}" for i in range(k)] + ["then"]
    chances = paths.has_random_choices
    if chances:
        header.append("chance")
    if paths.true_tox is not None:
        header.append("prob")
    rows = []
    for leaf in paths.leaves():
        steps = paths.path_to(leaf.node)
        cells = [paths.token(x) for x in steps] + [""] * (k - len(steps))
        row = [str(len(rows) + 1), *cells, _decision(paths, steps[-1] if steps else paths.nodes[0])]
        if chances:  # the product of the chances of the random choices along the path
            row.append(chance_text(math.prod(x.chance for x in steps)))
        if paths.true_tox is not None:
            row.append(f"{leaf.prob:.4f}")
        rows.append(row)
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = [
        f"Dose transition pathways of {paths.design.name} from {paths.data.to_notation() or 'no patients'}"
    ]
    lines.append("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip())
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    if chances:
        lines.append(
            "chance: probability of the design's random choices (ties broken at random) along the path"
            + ("; prob includes it" if paths.true_tox is not None else "")
        )
    return "\n".join(lines)


def paths_csv(paths: DosePaths) -> str:
    rows = paths.rows()
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    for r in rows:
        writer.writerow({k: ("" if v is None else v) for k, v in r.items()})
    return buf.getvalue()


def paths_json(paths: DosePaths) -> str:
    return json.dumps(
        {
            "design": paths.design.name,
            "design_hash": paths.design.config_hash(),
            "data": paths.data.to_notation(),
            "data_hash": paths.data.content_hash,
            "cohorts": paths.cohorts,
            "true_tox": list(paths.true_tox) if paths.true_tox is not None else None,
            "nodes": [
                {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()}
                for r in paths.rows()
            ],
        },
        indent=2,
    )
