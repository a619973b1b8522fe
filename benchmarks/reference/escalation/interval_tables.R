# Reference decisions of the escalation R package (version 0.2.3, brockk/escalation) for TPI, mTPI and
# mTPI-2, for tests/published/test_interval_reference.py.
#
# escalation's full dependency set (trialr, rstan, DiagrammeR, ...) could not be installed offline, so this
# script sources the package's own selector files (R/helpers.R, R/tpi_selector.R, R/mtpi_selector.R,
# R/mtpi2_selector.R, unchanged) from an unpacked copy of the package outside the repository, with dplyr,
# purrr, tibble and magrittr loaded, and calls tpi_selector / mtpi_selector / mtpi2_selector directly.
#
# The escalate / stay / de-escalate decision for n patients with y DLTs is read at dose 2 of 3 with
# nobody at dose 3 (so no exclusion blocks an escalation): recommended dose 3 = E, 2 = S, 1 = D.
# escalation has no decision table and no DU: its exclusion (P(p > target) >= exclusion_certainty with
# n >= 2) blocks escalation to an excluded dose and stops at dose 1; dosefind's DU cells are compared
# on the interval decision underneath them (tests/published/test_interval_reference.py).
#
# Run:  Rscript interval_tables.R <escalation source dir> <output dir>
args <- commandArgs(trailingOnly = TRUE)
suppressPackageStartupMessages({library(dplyr); library(purrr); library(tibble); library(magrittr)})
src <- args[1]
for (f in c("helpers.R", "tpi_selector.R", "mtpi_selector.R", "mtpi2_selector.R")) {
  source(file.path(src, "R", f))
}
ver <- read.dcf(file.path(src, "DESCRIPTION"))[, "Version"]

decide <- function(fun, n, y, ...) {
  df <- data.frame(dose = rep(2L, n), tox = c(rep(1L, y), rep(0L, n - y)), cohort = 1L)
  d <- fun(outcomes = df, num_doses = 3, exclusion_certainty = 2, stop_when_deescalation_impossible = FALSE,
           ...)$recommended_dose
  c("D", "S", "E")[d]
}

rows <- list()
add <- function(design, setting, target, fun, ...) {
  for (n in 1:24) for (y in 0:n) {
    rows[[length(rows) + 1]] <<- data.frame(design = design, setting = setting, target = target, n = n,
                                            y = y, action = decide(fun, n, y, target = target, ...))
  }
}
for (t in c(0.1, 0.2, 0.25, 0.3, 0.33, 0.4)) {
  add("tpi", "k1=1;k2=1.5;a=0.005;b=0.005", t, tpi_selector, k1 = 1, k2 = 1.5, alpha = 0.005, beta = 0.005)
  add("mtpi", "eps1=0.05;eps2=0.05;a=1;b=1", t, mtpi_selector, epsilon1 = 0.05, epsilon2 = 0.05,
      alpha = 1, beta = 1)
  add("mtpi2", "eps1=0.05;eps2=0.05;a=1;b=1", t, mtpi2_selector, epsilon1 = 0.05, epsilon2 = 0.05,
      alpha = 1, beta = 1)
}
add("tpi", "k1=1.5;k2=1;a=1;b=1", 0.3, tpi_selector, k1 = 1.5, k2 = 1, alpha = 1, beta = 1)
add("mtpi", "eps1=0.1;eps2=0.05;a=1;b=1", 0.3, mtpi_selector, epsilon1 = 0.1, epsilon2 = 0.05, alpha = 1, beta = 1)
add("mtpi2", "eps1=0.03;eps2=0.07;a=1;b=1", 0.25, mtpi2_selector, epsilon1 = 0.03, epsilon2 = 0.07,
    alpha = 1, beta = 1)
add("mtpi2", "eps1=0.05;eps2=0.05;a=0.5;b=0.5", 0.2, mtpi2_selector, epsilon1 = 0.05, epsilon2 = 0.05,
    alpha = 0.5, beta = 0.5)
tab <- do.call(rbind, rows)
con <- file(file.path(args[2], "r_escalation_interval_decisions.csv"), "w")
writeLines(c(
  sprintf("# escalation %s (selector files sourced), %s: E/S/D for y DLTs in n patients at dose 2 of 3", ver, R.version.string),
  "# setting: the selector's arguments. Script: benchmarks/reference/escalation/interval_tables.R"), con)
write.csv(tab, con, row.names = FALSE)
close(con)
