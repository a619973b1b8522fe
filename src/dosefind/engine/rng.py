"""Counter-based latent values: every patient's uniforms are a pure function of their coordinates.

``latent_uniform(trial_key, patient, stream)`` is SplitMix64's finaliser applied to a key built from
(seed, scenario key, trial index) and (patient index, stream). No state is carried between calls, so a
simulated patient sees the same value whatever the thread count, chunking or backend, and two designs
simulated with the same seed treat the same patients (common random numbers).

Streams separate the independent latent variables of one patient: ``STREAM_TOX`` is the toxicity
tolerance (a DLT occurs at dose d iff ``u < p_d``), ``STREAM_EFF`` the efficacy latent value (joined
to the toxicity value by a Gaussian copula in arm simulations), ``STREAM_DESIGN`` the uniform a design
uses to break ties at random (indexed by the decision number, not the patient); further streams are
reserved for arrival and event times.
"""

from __future__ import annotations

import numpy as np

from .jit import kernel

STREAM_TOX = 0
STREAM_EFF = 1
STREAM_ARRIVAL = 2
STREAM_EVENT_TIME = 3
STREAM_DESIGN = 4  # a design's own randomness (ties broken at random), indexed by decision number

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_INV53 = 1.0 / 9007199254740992.0  # 2**-53


@kernel
def mix64(z):
    """SplitMix64 finaliser (a bijection on uint64 with strong avalanche)."""
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@kernel
def trial_key(seed, scenario_key, trial):
    """The 64-bit key of one simulated trial, from which all its patients' values derive."""
    k = mix64(np.uint64(seed) + _GOLDEN)
    k = mix64(k ^ (np.uint64(scenario_key) * _M1 + _GOLDEN))
    return mix64(k ^ (np.uint64(trial) * _M2 + _GOLDEN))


@kernel
def latent_uniform(tkey, patient, stream):
    """Uniform on (0, 1) for one patient and one stream of a trial; 53 random bits, never 0."""
    z = mix64(tkey ^ (np.uint64(patient) * _GOLDEN + np.uint64(stream) * _M2 + _M1))
    return ((z >> _S11) + np.uint64(1)) * _INV53 - 0.5 * _INV53


def latent_uniforms(
    seed: int,
    scenario_key: int,
    n_trials: int,
    n_patients: int,
    stream: int = STREAM_TOX,
    first_trial: int = 0,
):
    """Array [n_trials, n_patients] of the latent uniforms of trials first_trial, first_trial + 1, ..."""
    return _fill_uniforms(
        np.int64(seed), np.int64(scenario_key), np.int64(first_trial), n_trials, n_patients, stream
    )


@kernel
def _fill_uniforms(seed, scenario_key, first_trial, n_trials, n_patients, stream):
    out = np.empty((n_trials, n_patients))
    for t in range(n_trials):
        k = trial_key(seed, scenario_key, first_trial + t)
        for i in range(n_patients):
            out[t, i] = latent_uniform(k, i, stream)
    return out
