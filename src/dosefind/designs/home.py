"""The design protocol's upper floor: what a design means above the engine, asked through one object.

A design's home is a folder, ``designs/<name>/``, that spans two floors. Below the engine, ``spec.py``
holds the frozen spec (validation, compilation to arrays, and the few facts the engine and the Python
API read from the spec class itself: :attr:`~dosefind.designs.base.Design.unit`, ``start_field``,
``uses_posterior_cache``, ``uses_tie_uniform``, ``dose_grid``, ``initial_admissible``). Above the engine,
``home.py`` holds a :class:`DesignHome`: how its reason codes read as sentences, its fast posterior table
and PyMC model, its decision table where it has one, how its own randomness splits pathways and what its
plots show. ``live/``, ``inference/``, ``report/`` and ``paths/`` call :func:`home_of` and ask; none of
them tests a design's type.

Every method has a default that suits a design on the beta-binomial side of the house (independent Beta
posteriors per dose, no decision table, no randomness of its own), so a home overrides only what its
design means differently. Nothing here decides: decisions are the kernels' (``engine/decisions.py``);
homes read them and explain them.

Imports: this module imports nothing above the designs' lower floor at import time (the defaults import
``inference``, ``report`` and ``paths`` inside the methods), so the modules that call :func:`home_of` may
themselves be imported by the homes.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ..constants import CREDIBLE_MASS
from ..errors import SpecError
from . import registry

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from ..constants import Reason, Status
    from .base import Design


class DesignHome:
    """What a design means beyond its kernel. Subclass it in ``designs/<name>/home.py`` and register the
    spec class with it (:func:`dosefind.designs.registry.register_design`)."""

    #: the mass of the equal-tailed credible intervals the design's posterior tables report (fast and MCMC),
    #: as the design's reference software reports them: 90% by default (dfcrm's ``crm``), 95% for the BLRM
    #: (OncoBayes2's 2.5% and 97.5% quantiles)
    credible_mass: float = CREDIBLE_MASS

    #: whether the posterior table estimates doses nobody was treated at (a dose-toxicity model does;
    #: independent beta-binomial posteriors only restate the prior there, so plots leave them blank)
    estimates_untried: bool = False

    # ---- reason codes and sentences (live/explain.py, live/recommend.py) ------------------------------
    def reason_codes(self, design: Design) -> tuple[Reason, ...]:
        """The reason codes the design's base rule can return (modifiers' and global codes excluded):
        the contract test asks :meth:`explain` for a sentence for each."""
        return ()

    def explain(
        self,
        design: Design,
        reason: Reason,
        n_at: np.ndarray,
        tox_at: np.ndarray,
        cur: int,
        proposed: int,
        detail: Any = None,
    ) -> str | None:
        """The sentence for one of the design's own reason codes after a cohort at ``cur`` (0-based), with
        the numbers behind it; None for a code that is not the design's (modifiers, global rules)."""
        return None

    def decision_detail(self, design: Design, compiled, n_at, tox_at, step, fast_table) -> Any:
        """What the explanation of the last decision needs beyond the counts, read from the kernels or the
        fast posterior (e.g. the CRM's estimates, the ordering a PO-CRM used); None by default."""
        return None

    def detail_json(self, design: Design, detail: Any) -> dict:
        """Keys the recommendation's JSON adds for ``detail`` (none by default)."""
        return {}

    def elimination_lines(self, design: Design, n_at, tox_at, newly: list[int], step) -> list[str]:
        """Sentences for doses the last decision made inadmissible (``newly``, 0-based), shown before the
        rule that fired; none by default."""
        return []

    # ---- decisions with pending patients (live/pending.py: recommend, paths, report --as-of) -----------
    def decide_with_pending(self, design: Design, clock, compiled):
        """(next dose, status, reason code, suspend, per-patient weights) on the data as of ``clock`` for a
        design with its own event kernel; None (the default) sends the design to
        ``engine.tite.decide_pending``."""
        return None

    def admissible_as_of(self, design: Design, tox_at, cur: int):
        """Doses still open on the data as of a day (0/1 per dose); every dose by default (a design whose
        decision re-checks eliminations from the counts needs nothing more)."""
        import numpy as np

        return np.ones(design.n_doses, dtype=np.int8)

    def pending_sentence(self, design: Design, n: int, y: int, m: int, stft: float, decision: str):
        """The sentence for a decision taken with m of the n patients at the current dose pending (their
        follow-up ``stft`` windows in total), when the design's reason sentence reads only the counts;
        None (the default) keeps the reason sentence."""
        return None

    def pending_lines(self, design: Design, clock, compiled, hold: bool) -> list[str]:
        """Lines of the design's own about its state as of the clock's day (they replace the generic
        "accrual is suspended" line when the design holds); none by default."""
        return []

    def hold_word(self, design: Design) -> str:
        """The decision's word while the design holds the next patient (``"suspend"``: accrual is
        suspended; a design that treats patients meanwhile says what it does instead)."""
        return "suspend"

    def reads_backfill(self, design: Design) -> bool:
        """Whether the design takes backfill patients (``phase = backfill`` rows) and reads the escalation
        patients' responses (which open doses for backfill); False by default."""
        return False

    def needs_dlt_days(self, design: Design) -> bool:
        """Whether the design's decisions with pending patients read each DLT's day (which the outcome
        notation does not write); False by default."""
        return False

    def live_warnings(self, design: Design, data) -> list[str]:
        """Warnings a recommendation on ``data`` (a TrialData) must carry for this design; none by default."""
        return []

    def tie_sentence(self, design: Design, alternatives, chosen: int, status: Status, u_tie: float) -> str:
        """The decision depended on the design's uniform: the candidates and the one chosen."""
        listed, picked = tie_names(design, alternatives, chosen, status)
        return (
            f"the design chooses at random between {design.unit}s {listed}: u_tie = {u_tie:.4f} (derived "
            f"from the data's content hash) chose {picked}"
        )

    # ---- posterior (inference/summary.py, inference/mcmc.py) ------------------------------------------
    def posterior_table(self, design: Design, n_at, tox_at):
        """The fast per-dose posterior (:class:`~dosefind.inference.summary.PosteriorTable`): by default
        an independent Beta prior per dose, closed form, with :meth:`posterior_extra` columns."""
        from ..inference.summary import beta_posterior

        return beta_posterior(design, n_at, tox_at, extra=self.posterior_extra(design, n_at, tox_at))

    def live_side_work(self, design: Design, n_at, tox_at):
        """Work of the meeting's table that needs only the final counts, not the decisions: a callable a
        replay runs beside its decisions (its result in the context's ``side_result``, which
        :meth:`posterior_table_after_replay` reads), or None."""
        return None

    def posterior_table_after_replay(self, design: Design, context):
        """The fast table of the state a replay ended in, built on what its last decision computed
        (``context``: the replay's :class:`~dosefind.engine.replay.DecisionContext`), or None when the
        design reuses nothing (then :meth:`posterior_table` computes it)."""
        return None

    def posterior_with_responses(self, design: Design, n_at, tox_at, resp_at):
        """The fast table of a phase I/II design given each dose's responses (``resp_at`` [2, D]): by
        default :meth:`posterior_table` with the :meth:`response_columns` beside it; a design whose model
        joins toxicity and response (EffTox) computes the whole table from both."""
        from dataclasses import replace

        table = self.posterior_table(design, n_at, tox_at)
        return replace(table, extra={**table.extra, **self.response_columns(design, n_at, tox_at, resp_at)})

    def response_columns(self, design: Design, n_at, tox_at, resp_at) -> dict[str, np.ndarray]:
        """Columns a phase I/II design adds from the responses (``resp_at`` [2, D]: responses, responses
        with a DLT), e.g. the posterior response rate and utility; none by default."""
        return {}

    def posterior_extra(self, design: Design, n_at, tox_at) -> dict[str, np.ndarray]:
        """Design-specific columns of the beta-binomial table (e.g. the final selection's isotonic
        estimate), the same for the fast and the PyMC back end; none by default."""
        return {}

    def model_line(self, design: Design) -> str:
        """One line naming the posterior's model and prior (the same for both back ends)."""
        from ..inference.summary import beta_model_line

        return beta_model_line()

    def check_has_posterior(self, design: Design) -> None:
        """Raise :class:`SpecError` when the design has no posterior to sample (e.g. maximum likelihood)."""

    def pymc_model(self, design: Design, n_at, tox_at):
        """The PyMC model ``--posterior mcmc`` samples (PyMC imported lazily): by default the beta-binomial
        model with :data:`~dosefind.inference.summary.BETA_PRIOR`."""
        from ..inference.mcmc import build_beta_binomial_model

        return build_beta_binomial_model(design, n_at, tox_at)

    def pymc_model_with_responses(self, design: Design, n_at, tox_at, resp_at):
        """The PyMC model of a phase I/II design given each dose's responses (``resp_at`` [2, D]); by
        default the toxicity model of :meth:`pymc_model` (the response columns are closed form beside it,
        :meth:`columns_from_draws_with_responses`); a design whose model joins toxicity and response
        (EffTox) samples both."""
        return self.pymc_model(design, n_at, tox_at)

    def draws_of_p(self, design: Design, n_at, tox_at, idata):
        """(sampled variable names, draws of every dose's DLT probability [chain, draw, dose], extra
        columns) from the model's draws; by default the model samples ``p`` itself."""
        import numpy as np

        p = np.asarray(idata.posterior["p"].values, dtype=float)
        return ["p"], p, dict(self.posterior_extra(design, n_at, tox_at))

    def columns_from_draws(self, design: Design, n_at, tox_at, idata):
        """(var_names, (mean, lower, upper, P(> target)), extra, orderings, warnings) of the draws; by
        default the per-dose summaries of :meth:`draws_of_p` with ArviZ MCSEs."""
        from ..inference.mcmc import columns_from_p

        var_names, p, extra = self.draws_of_p(design, n_at, tox_at, idata)
        columns, mcse = columns_from_p(design, p)
        extra.update(mcse)
        return var_names, columns, extra, (), ()

    def columns_from_draws_with_responses(self, design: Design, n_at, tox_at, resp_at, idata):
        """:meth:`columns_from_draws` of the model of :meth:`pymc_model_with_responses`, with the
        :meth:`response_columns` beside them (by default closed form, whatever the toxicity back end)."""
        var_names, columns, extra, orderings, warnings = self.columns_from_draws(design, n_at, tox_at, idata)
        extra = {**extra, **self.response_columns(design, n_at, tox_at, resp_at)}
        return var_names, columns, extra, orderings, warnings

    # ---- decision table (report/decision_table.py) ----------------------------------------------------
    def decision_table(self, design: Design, max_n: int | None):
        """The design's (patients, DLTs) decision table at the current dose, or :class:`SpecError`."""
        raise SpecError(
            "design.kind", self.no_table_reason(design), "use `dosefind paths` for dose transition pathways"
        )

    def no_table_reason(self, design: Design) -> str:
        return f"no decision table for design kind {design.kind!r}"

    # ---- pathways (paths/pathways.py) -----------------------------------------------------------------
    def choice_uniforms(self, ctx, n_at, tox_at):
        """Where the decision on the counts after a cohort may use ``u_tie``: the kind of random choice and,
        per interval of u_tie on which the kernel's choice is constant, a uniform inside it and the
        interval's length. Default: the design has no randomness of its own (one interval)."""
        from ..paths.pathways import NO_CHOICE

        return NO_CHOICE

    def root_choice(self, design: Design):
        """The kind of random choice behind a tie the real data's last decision broke."""
        from ..paths.pathways import RandomChoice

        return RandomChoice.TIE


def tie_names(design: Design, alternatives, chosen: int, status) -> tuple[str, str]:
    """("a, b and c", the chosen one) for a decision's alternatives ((dose, status) pairs; a stop reads
    "stop")."""
    from ..constants import Status

    def name(d: int, st) -> str:
        return design.doses[d] if st == Status.CONTINUE else "stop"

    names = [name(d, st) for d, st in alternatives]
    return ", ".join(names[:-1]) + f" and {names[-1]}", name(chosen, status)


def home_of(design_or_kind) -> DesignHome:
    """The home of a design (an instance, its class, or its kind name), from the registry."""
    kind = design_or_kind if isinstance(design_or_kind, str) else design_or_kind.kind
    ref = registry.home_ref(kind)
    if isinstance(ref, DesignHome):
        return ref
    if isinstance(ref, type) and issubclass(ref, DesignHome):
        home = ref()
    else:
        module, _, name = str(ref).partition(":")
        home = getattr(importlib.import_module(module), name)()
    registry.cache_home(kind, home)
    return home
