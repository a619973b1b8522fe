"""Prior files (TOML) with their provenance, and writing a BLRM prior into a design file.

A prior file::

    [prior]
    kind = "beta"              # or "bvn" (BLRM, on (log alpha, log beta))
    endpoint = "binary"        # or "blrm"
    reference_dose = 50        # BLRM only: the d* the prior refers to
    weights = [...]            # beta: a = [...], b = [...]; bvn: means, sds, corrs
    ...
    [provenance]               # dosefind version, data file and its SHA-256, MCMC settings and seed,
                               # hyperpriors, diagnostics, EM criterion and its values, robustification

Reading checks every field (:class:`~dosefind.errors.SpecError` naming the file and field).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import tomli_w
import tomllib

from .. import __version__
from ..errors import SpecError
from .mixtures import BetaMixture, BvnMixture

KINDS = {"beta": "binary", "bvn": "blrm"}


@dataclass(frozen=True)
class PriorFile:
    mixture: BetaMixture | BvnMixture
    reference_dose: float | None = None
    provenance: dict = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return "beta" if isinstance(self.mixture, BetaMixture) else "bvn"

    @property
    def endpoint(self) -> str:
        return KINDS[self.kind]

    def with_mixture(self, mixture, **provenance) -> PriorFile:
        prov = dict(self.provenance)
        prov.update(provenance)
        return PriorFile(mixture, self.reference_dose, prov)

    def to_dict(self) -> dict:
        prior = {"kind": self.kind, "endpoint": self.endpoint}
        if self.reference_dose is not None:
            prior["reference_dose"] = self.reference_dose
        prior.update(self.mixture.to_dict())
        out = {"prior": prior}
        prov = {"dosefind_version": __version__}
        prov.update({k: v for k, v in self.provenance.items() if k != "dosefind_version"})
        prov["dosefind_version"] = self.provenance.get("dosefind_version", __version__)
        out["provenance"] = _toml_safe(prov)
        return out

    def dumps(self) -> str:
        head = "# A prior written by dosefind (dosefind prior); [provenance] says how it was made.\n"
        return head + tomli_w.dumps(self.to_dict())


def _toml_safe(x):
    """TOML has no null: drop None values; keys as strings."""
    if isinstance(x, dict):
        return {str(k): _toml_safe(v) for k, v in x.items() if v is not None}
    if isinstance(x, (list, tuple)):
        return [_toml_safe(v) for v in x if v is not None]
    if hasattr(x, "item"):
        return x.item()
    return x


def prior_from_dict(data: dict, source: str = "prior file") -> PriorFile:
    try:
        if "prior" not in data or not isinstance(data["prior"], dict):
            raise SpecError(
                "prior", "missing", "a prior file has a [prior] table (write one with dosefind prior map)"
            )
        p = dict(data["prior"])
        kind = p.pop("kind", None)
        if kind not in KINDS:
            raise SpecError("prior.kind", f"{kind!r} is not known", 'write kind = "beta" or kind = "bvn"')
        endpoint = p.pop("endpoint", KINDS[kind])
        if endpoint != KINDS[kind]:
            raise SpecError(
                "prior.endpoint",
                f"{endpoint!r} does not go with kind {kind!r}",
                f'write endpoint = "{KINDS[kind]}"',
            )
        ref = p.pop("reference_dose", None)
        if kind == "bvn":
            if ref is None:
                raise SpecError(
                    "prior.reference_dose", "missing", "give the reference dose d* of the BLRM prior"
                )
            if (
                isinstance(ref, bool)
                or not isinstance(ref, (int, float))
                or not math.isfinite(ref)
                or ref <= 0
            ):
                raise SpecError("prior.reference_dose", f"{ref!r}", "give a positive reference dose")
            ref = float(ref)
        elif ref is not None:
            raise SpecError(
                "prior.reference_dose", "given for a beta prior", "remove it (only BLRM priors have one)"
            )
        allowed = ["weights", "a", "b"] if kind == "beta" else ["weights", "means", "sds", "corrs"]
        unknown = [k for k in p if k not in allowed]
        if unknown:
            raise SpecError(f"prior.{unknown[0]}", "unknown key", f"a {kind} prior has {', '.join(allowed)}")
        cls = BetaMixture if kind == "beta" else BvnMixture
        mixture = cls.from_dict(p, "prior")
        prov = data.get("provenance", {})
        if not isinstance(prov, dict):
            raise SpecError("provenance", "expected a table", "write [provenance] or leave it out")
    except SpecError as e:
        raise e.with_source(source) from None
    return PriorFile(mixture, ref, prov)


def read_prior(path: str | Path) -> PriorFile:
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise SpecError(
            "file", f"{path} not found", "give the prior file written by dosefind prior map"
        ) from None
    except OSError as e:
        raise SpecError(
            "file", f"cannot read {path}: {e.strerror}", "check the path and permissions"
        ) from None
    except UnicodeDecodeError:
        raise SpecError("file", f"{path} is not UTF-8 text", "give a TOML prior file") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise SpecError(
            "file", f"not valid TOML ({e})", "fix the TOML syntax at that line", path.name
        ) from None
    return prior_from_dict(data, path.name)


def design_with_prior(
    design_text: str, prior: PriorFile, name: str | None = None, source: str = "design"
) -> str:
    """The design file's text with the BLRM design's prior replaced by the prior's ``[[design.prior]]``
    components (``prior_mean``, ``prior_sd``, ``prior_corr`` removed). The result is parsed back as a spec
    before it is returned. TOML comments of the design file are not kept (the file is rewritten)."""
    from ..designs.layout import BLRM_MAX_COMP
    from ..specfile import spec_from_dict

    if prior.kind != "bvn":
        raise SpecError(
            "prior.kind",
            "a beta prior cannot go into a BLRM design",
            "write a BLRM prior (dosefind prior map --endpoint blrm)",
            source,
        )
    try:
        data = tomllib.loads(design_text)
    except tomllib.TOMLDecodeError as e:
        raise SpecError("file", f"not valid TOML ({e})", "fix the TOML syntax at that line", source) from None
    if "design" in data:
        block, field_name = data["design"], "design"
    elif isinstance(data.get("designs"), list):
        blocks = [d for d in data["designs"] if isinstance(d, dict)]
        pick = [d for d in blocks if name is None or d.get("name") == name]
        if name is None and len(blocks) > 1:
            raise SpecError(
                "designs", f"the file holds {len(blocks)} designs", "choose one with --name", source
            )
        if not pick:
            raise SpecError(
                "designs.name", f"no design named {name!r}", "give the name of a BLRM design", source
            )
        block, field_name = pick[0], f"designs[{blocks.index(pick[0])}]"
    else:
        raise SpecError("design", "missing", "give a design file with a [design] section", source)
    if block.get("kind") != "blrm":
        raise SpecError(
            f"{field_name}.kind",
            f"{block.get('kind')!r} is not a BLRM design",
            'a (log alpha, log beta) prior goes into a design with kind = "blrm"',
            source,
        )
    ref = block.get("reference_dose")
    if not isinstance(ref, (int, float)) or not math.isclose(float(ref), prior.reference_dose, rel_tol=1e-12):
        raise SpecError(
            f"{field_name}.reference_dose",
            f"the design's reference dose {ref!r} differs from the prior's {prior.reference_dose:g}",
            f"refit the prior with --reference-dose {ref} (log alpha is the logit DLT rate at d*, so the "
            "prior cannot be moved to another d*), or set reference_dose = "
            f"{prior.reference_dose:g} in the design",
            source,
        )
    if prior.mixture.n_components > BLRM_MAX_COMP:
        raise SpecError(
            "prior",
            f"{prior.mixture.n_components} components, the BLRM takes at most {BLRM_MAX_COMP}",
            "refit with fewer components (--max-components)",
            source,
        )
    for key in ("prior_mean", "prior_sd", "prior_corr", "prior"):
        block.pop(key, None)
    block["prior"] = prior.mixture.to_components()
    spec_from_dict(data, source, require_scenarios=False)  # the result must be a valid design file
    prov = prior.provenance
    head = (
        f"# {source} with its BLRM prior replaced by a mixture written by dosefind {__version__}\n"
        f"# (dosefind prior write) from a prior fitted to {prov.get('data_file', 'unknown data')}\n"
        f"# (sha256 {prov.get('data_sha256', '-')}), seed {prov.get('seed', '-')}; comments of the original "
        "are not kept\n"
    )
    return head + tomli_w.dumps(data)
