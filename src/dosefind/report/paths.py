"""Text, CSV and JSON renderings of dose transition pathways."""

from __future__ import annotations

import csv
import io
import json
import math

from ..paths.pathways import DosePaths, PathNode, decision_word


def _decision(paths: DosePaths, x: PathNode) -> str:
    labels = paths.design.doses
    word = decision_word(x)
    if word == "stop":
        return f"stop, MTD {labels[x.selected]}" if x.selected >= 0 else "stop, no dose"
    if word in ("stay", "start"):
        return f"{word} at {labels[x.next_dose]}"
    return f"{word} to {labels[x.next_dose]}"


def format_paths(paths: DosePaths) -> str:
    """An indented tree: one line per future cohort outcome with the design's answer (and probability)."""
    root = paths.nodes[0]
    has_prob = paths.true_tox is not None
    head = f"Dose transition pathways for the next {paths.cohorts} cohort(s) of {paths.design.name}"
    if has_prob:
        head += " (probabilities under true P(DLT) " + ", ".join(f"{p:g}" for p in paths.true_tox) + ")"
    lines = [head, f"now ({paths.data.to_notation() or 'no patients'}): {_decision(paths, root)}"]
    width = 0
    rendered = []

    def walk(node: int, prefix: str):
        kids = paths.children(node)
        for i, x in enumerate(kids):
            last = i == len(kids) - 1
            text = f"{prefix}{'`-' if last else '|-'} {x.dose + 1}{x.outcomes} -> {_decision(paths, x)}"
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
    if paths.true_tox is not None:
        header.append("prob")
    rows = []
    for leaf in paths.leaves():
        steps = paths.path_to(leaf.node)
        cells = [f"{x.dose + 1}{x.outcomes}" for x in steps] + [""] * (k - len(steps))
        row = [str(len(rows) + 1), *cells, _decision(paths, steps[-1] if steps else paths.nodes[0])]
        if paths.true_tox is not None:
            row.append(f"{leaf.prob:.4f}")
        rows.append(row)
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = [
        f"Dose transition pathways of {paths.design.name} from {paths.data.to_notation() or 'no patients'}"
    ]
    lines.append("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip())
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
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
