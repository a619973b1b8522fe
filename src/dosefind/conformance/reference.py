"""Reference values recorded from single calls of the reference software and from publications.

BOIN 2.7.2 (``get.boundary``, ``select.mtd``) and dfcrm 0.2-2.1 (``getprior``, ``crm``) were run beside
the project with R 4.2.2 (the calls: ``benchmarks/reference/README.md`` in the source repository;
``benchmarks/reference/boin_dfcrm_reference.R`` regenerates the values below and the files in ``data/``,
the per-trial replays and R's operating characteristics). Simon's two-stage
designs come from the publications and package outputs named in ``SIMON_SOURCES``.
"""

from __future__ import annotations

from ..designs import calibrate_skeleton

#: dfcrm's skeleton of the recorded crmsim runs: getprior(0.05, 0.3, 3, 6), empiric
SKELETON = calibrate_skeleton(0.3, 0.05, 3, 6)

# get.boundary(target, ncohort = 12, cohortsize = 3)$full_boundary_tab, n = 1..36 (NA -> None)
BOUNDARIES = {
    0.2: (
        "0,0,0,0,0,0,1,1,1,1,1,1,2,2,2,2,2,2,2,3,3,3,3,3,3,4,4,4,4,4,4,5,5,5,5,5",
        "1,1,1,1,2,2,2,2,3,3,3,3,4,4,4,4,5,5,5,5,6,6,6,6,6,7,7,7,7,8,8,8,8,9,9,9",
        "-,-,2,3,3,3,4,4,4,5,5,5,5,6,6,6,7,7,7,7,8,8,8,8,9,9,9,9,10,10,10,11,11,11,11,12",
    ),
    0.25: (
        "0,0,0,0,0,1,1,1,1,1,2,2,2,2,2,3,3,3,3,3,4,4,4,4,4,5,5,5,5,5,6,6,6,6,6,7",
        "1,1,1,2,2,2,3,3,3,3,4,4,4,5,5,5,6,6,6,6,7,7,7,8,8,8,9,9,9,9,10,10,10,11,11,11",
        "-,-,3,3,3,4,4,4,5,5,6,6,6,7,7,7,8,8,8,9,9,9,10,10,10,11,11,11,12,12,12,12,13,13,13,14",
    ),
    0.3: (
        "0,0,0,0,1,1,1,1,2,2,2,2,3,3,3,3,4,4,4,4,4,5,5,5,5,6,6,6,6,7,7,7,7,8,8,8",
        "1,1,2,2,2,3,3,3,4,4,4,5,5,6,6,6,7,7,7,8,8,8,9,9,9,10,10,11,11,11,12,12,12,13,13,13",
        "-,-,3,3,4,4,5,5,5,6,6,7,7,8,8,8,9,9,9,10,10,11,11,11,12,12,12,13,13,14,14,14,15,15,15,16",
    ),
    1 / 3: (
        "0,0,0,1,1,1,1,2,2,2,2,3,3,3,3,4,4,4,4,5,5,5,6,6,6,6,7,7,7,7,8,8,8,8,9,9",
        "1,1,2,2,2,3,3,4,4,4,5,5,6,6,6,7,7,8,8,8,9,9,10,10,10,11,11,12,12,12,13,13,14,14,14,15",
        "-,-,3,3,4,4,5,5,6,6,7,7,8,8,8,9,9,10,10,11,11,11,12,12,13,13,14,14,14,15,15,16,16,16,17,17",
    ),
}

#: get.boundary(0.3, ncohort = 12, cohortsize = 3, extrasafe = TRUE): the extra-safe stopping boundary
EXTRASAFE_STOP = "-,-,2,3,3,4,4,4,5,5,6,6,6,7,7,8,8,8,9,9,9,10,10,10,11,11,12,12,12,13,13,13,14,14,14,15"

# select.mtd(target, npts, ntox, ...) -> MTD (None: R's 99, no dose)
SELECT_MTD = [
    (0.3, (3, 3, 15, 9, 6, 0), (0, 0, 4, 4, 4, 0), {}, 3),
    (0.3, (3, 3, 15, 9, 0), (0, 0, 4, 4, 0), {}, 3),  # help-page example
    (0.3, (3, 6, 12, 9, 6, 0), (0, 1, 3, 5, 5, 0), {}, 3),
    (0.3, (3, 3, 6, 6, 9, 9), (0, 0, 1, 3, 2, 5), {}, 4),
    (0.3, (6, 9, 12, 6, 3, 0), (1, 2, 4, 2, 1, 0), {}, 3),
    (0.3, (3, 0, 0, 0, 0, 0), (3, 0, 0, 0, 0, 0), {}, None),
    (0.3, (6, 0, 0, 0, 0, 0), (3, 0, 0, 0, 0, 0), {"extrasafe": True}, 1),
    (0.3, (6, 0, 0, 0, 0, 0), (3, 0, 0, 0, 0, 0), {}, 1),
    (0.25, (3, 3, 3, 6, 12, 9), (0, 0, 0, 1, 3, 2), {}, 6),
    (0.3, (12, 3, 0, 0, 0, 0), (6, 1, 0, 0, 0, 0), {"extrasafe": True}, None),
    (0.3, (12, 3, 0, 0, 0, 0), (6, 1, 0, 0, 0, 0), {}, 1),
]


# getprior(halfwidth, target, nu, nlevel, model) -> skeleton (12 significant digits as R printed them)
GETPRIOR = [
    ((0.05, 0.25, 3, 5, "empiric"), "0.0839734913056, 0.156741021143, 0.25, 0.354500427615, 0.460343111085"),
    (
        (0.05, 0.3, 3, 6, "empiric"),
        "0.12252935822, 0.203956007633, 0.3, 0.40181943613, 0.501346447755, 0.592814046869",
    ),
    (
        (0.07, 0.2, 4, 6, "empiric"),
        "0.0022673853738, 0.0200853954129, 0.0814433290419, 0.2, 0.35598245888, 0.515376430581",
    ),
    ((0.05, 0.25, 3, 5, "logistic"), "0.0888735648568, 0.158048922029, 0.25, 0.355496069423, 0.461772216694"),
    (
        (0.05, 0.3, 3, 6, "logistic"),
        "0.126253638977, 0.204709038588, 0.3, 0.402001904869, 0.50009073294, 0.586944041207",
    ),
    (
        (0.10, 0.25, 3, 6, "logistic"),
        "0.0177261662878, 0.0861165361565, 0.25, 0.466823452459, 0.646860972931, 0.763057066852",
    ),
    (
        (0.05, 0.3, 1, 6, "empiric"),
        "0.3, 0.40181943613, 0.501346447755, 0.592814046869, 0.673029677886, 0.740922217591",
    ),
    (
        (0.05, 0.3, 6, 6, "empiric"),
        "0.00795386790298, 0.0257120179966, 0.0625197801721, 0.12252935822, 0.203956007633, 0.3",
    ),
]


PR = (0.05, 0.10, 0.20, 0.35, 0.50, 0.70)
# crm(prior, target, tox, level, model) -> (estimate, post.var, mtd); R integrates with rel.tol 1.2e-4,
# which the package's authors accept; against our (1e-7) quadrature the difference measured on 600
# trials was at most 3.3e-5, so the tolerance is 1e-4.
CRM_CASES = [
    (
        PR,
        0.2,
        [0, 0, 1, 0, 0, 1, 1, 0, 0, 0],
        [3, 4, 4, 3, 3, 4, 3, 2, 2, 2],
        "empiric",
        -0.212171526304576,
        0.15759552813151,
        2,
    ),
    (
        PR,
        0.2,
        [0, 0, 1, 0, 0, 1, 1, 0, 0, 0],
        [3, 4, 4, 3, 3, 4, 3, 2, 2, 2],
        "logistic",
        -0.110111608792364,
        0.038695400313753,
        2,
    ),
    (PR, 0.2, [0] * 9, [1, 1, 1, 2, 2, 2, 3, 3, 3], "empiric", 0.978816518958866, 0.562557460974249, 5),
    (PR, 0.2, [0] * 9, [1, 1, 1, 2, 2, 2, 3, 3, 3], "logistic", 0.976101157373836, 0.493395878926124, 6),
    (PR, 0.2, [1, 1, 0, 1, 0, 0], [1] * 6, "empiric", -1.27617894151969, 0.238248983391868, 1),
    (PR, 0.2, [1, 1, 0, 1, 0, 0], [1] * 6, "logistic", -0.764593833450392, 0.110608200320532, 1),
    (
        SKELETON,
        0.3,
        [0, 0, 0, 0, 1, 0, 1, 1, 0],
        [1, 1, 1, 2, 2, 2, 3, 3, 3],
        "empiric",
        -0.322344024008776,
        0.171708846807785,
        2,
    ),
    (
        SKELETON,
        0.3,
        [0, 0, 0, 0, 1, 0, 1, 1, 0],
        [1, 1, 1, 2, 2, 2, 3, 3, 3],
        "logistic",
        -0.169466941673535,
        0.0442193491699314,
        2,
    ),
    (SKELETON, 0.3, [0, 0, 0], [1, 1, 1], "empiric", 0.655950377349385, 0.760077030515379, 5),
    (SKELETON, 0.3, [1, 1, 1], [1, 1, 1], "empiric", -1.7896127112495, 0.522930845356383, 1),
]


#: Each row: (p0, p1, alpha, beta, which, r1, n1, r, n, EN(p0) or None, PET(p0) or None, decimals, source).
SIMON_SOURCES = """
Trial stops after stage 1 iff responses <= r1 of n1; active iff responses > r of n.

Sources (every row names one):
  SIMON89  Simon R. (1989) Optimal two-stage designs for phase II clinical trials. Controlled Clinical
           Trials 10:1-10, table of optimal designs for alpha = 0.05, beta = 0.20, p1 = p0 + 0.20 (p. 4),
           as transcribed with that citation in the test suite of the Julia package
           kkmann/BinaryTwoStageDesigns (test/test_BinaryTwoStageDesign.jl). Designs only (no EN/PET).
  CLINFUN_VIGNETTE  R package clinfun 1.1.5, vignette "clinical-trial-functions", printed output of
           ph2simon(0.05, 0.2, 0.1, 0.1) (the Tchekmedyian et al. 2019 lenvatinib trial) and of
           ph2simon(0.25, 0.45, 0.05, 0.1) / twostage.admissible().
  CLINFUN_DOC  R package clinfun, help page of ph2simon (rendered reference page, Examples section):
           printed output of ph2simon(0.2, 0.4, 0.1, 0.1) and ph2simon(0.2, 0.35, 0.05, 0.05, nmax = 150).
  CLINFUN_RUN  clinfun 1.1.5 ph2simon (its Fortran search f2bdry) run with R 4.2.2 as an independent
           reference implementation (not a publication): used for the minimax designs with beta = 0.20,
           for which no published row was at hand. The same comparison over 116 (p0, p1, alpha, beta)
           combinations (p0 0.05-0.7, p1 - p0 0.15-0.25, alpha 0.05/0.10, beta 0.10/0.20) agreed on every
           optimal and minimax design.
"""
SIMON_ROWS = [
    # Simon (1989) p. 4: optimal designs, alpha 0.05, beta 0.20
    (0.1, 0.3, 0.05, 0.2, "optimal", 1, 10, 5, 29, None, None, 0, "SIMON89"),
    (0.2, 0.4, 0.05, 0.2, "optimal", 3, 13, 12, 43, None, None, 0, "SIMON89"),
    (0.3, 0.5, 0.05, 0.2, "optimal", 5, 15, 18, 46, None, None, 0, "SIMON89"),
    (0.4, 0.6, 0.05, 0.2, "optimal", 7, 16, 23, 46, None, None, 0, "SIMON89"),
    (0.5, 0.7, 0.05, 0.2, "optimal", 8, 15, 26, 43, None, None, 0, "SIMON89"),
    (0.6, 0.8, 0.05, 0.2, "optimal", 7, 11, 30, 43, None, None, 0, "SIMON89"),
    (0.7, 0.9, 0.05, 0.2, "optimal", 4, 6, 22, 27, None, None, 0, "SIMON89"),
    # clinfun vignette
    (0.05, 0.2, 0.1, 0.1, "minimax", 0, 18, 3, 32, 26.44, 0.3972, 2, "CLINFUN_VIGNETTE"),
    (0.05, 0.2, 0.1, 0.1, "optimal", 0, 12, 3, 37, 23.49, 0.5404, 2, "CLINFUN_VIGNETTE"),
    (0.25, 0.45, 0.05, 0.1, "minimax", 6, 26, 17, 49, 37.14596, 0.5153932, 5, "CLINFUN_VIGNETTE"),
    (0.25, 0.45, 0.05, 0.1, "optimal", 6, 22, 19, 57, 32.52206, 0.6993697, 5, "CLINFUN_VIGNETTE"),
    # clinfun help page examples
    (0.2, 0.4, 0.1, 0.1, "minimax", 3, 19, 10, 36, 28.26, 0.4551, 2, "CLINFUN_DOC"),
    (0.2, 0.4, 0.1, 0.1, "optimal", 3, 17, 10, 37, 26.02, 0.5489, 2, "CLINFUN_DOC"),
    (0.2, 0.35, 0.05, 0.05, "minimax", 15, 68, 25, 95, 75.44, 0.7244, 2, "CLINFUN_DOC"),
    (0.2, 0.35, 0.05, 0.05, "optimal", 11, 50, 28, 109, 67.07, 0.7107, 2, "CLINFUN_DOC"),
    # clinfun run locally (reference implementation)
    (0.05, 0.25, 0.05, 0.2, "minimax", 0, 12, 2, 16, 13.8386, 0.5404, 4, "CLINFUN_RUN"),
    (0.05, 0.25, 0.05, 0.2, "optimal", 0, 9, 2, 17, 11.9580, 0.6302, 4, "CLINFUN_RUN"),
    (0.1, 0.3, 0.05, 0.2, "minimax", 1, 15, 5, 25, 19.5096, 0.5490, 4, "CLINFUN_RUN"),
    (0.2, 0.4, 0.05, 0.2, "minimax", 4, 18, 10, 33, 22.2547, 0.7164, 4, "CLINFUN_RUN"),
    (0.2, 0.4, 0.1, 0.2, "minimax", 2, 14, 7, 24, 19.5195, 0.4481, 4, "CLINFUN_RUN"),
    (0.2, 0.4, 0.1, 0.2, "optimal", 2, 12, 7, 25, 17.7415, 0.5583, 4, "CLINFUN_RUN"),
    # 16 patients in stage 1, continue with at least 2 responses, 25 in all: the minimax design for
    # p0 = 0.10, p1 = 0.30, alpha = 0.10, beta = 0.10
    (0.1, 0.3, 0.1, 0.1, "minimax", 1, 16, 4, 25, 20.3674, 0.5147, 4, "CLINFUN_RUN"),
    (0.1, 0.3, 0.1, 0.1, "optimal", 1, 12, 5, 35, 19.8429, 0.6590, 4, "CLINFUN_RUN"),
]
