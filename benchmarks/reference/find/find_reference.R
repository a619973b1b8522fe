# Reference decision tables and MTD selections of FIND (version 0.1.1, oliviazhang0416/FIND on GitHub,
# the R package behind the FIND comparison tool of Ji's group) for i3+3 and mTPI-2, for
# tests/published/test_interval_reference.py.
#
# The package's Imports (ggplot2, gridExtra, gtable, ...) serve its plots only, so this script sources its
# get_decision_i3plus3.R, get_decision_mtpi2.R and select_mtd.R (base R only, unchanged) from an
# unpacked copy outside the repository.
#
#   1. get_decision_i3plus3 / get_decision_mtpi2 (pT, EI, npts = 30): E/S/D/DU for 3 <= n <= 30
#      ->  r_find_decisions.csv
#   2. select_mtd(method = "i3+3" and "mTPI2", pT, EI, n_obs, y_obs) on random data  ->  r_find_select.csv
#
# Run:  Rscript find_reference.R <FIND source dir> <output dir>
args <- commandArgs(trailingOnly = TRUE)
for (f in c("get_decision_i3plus3.R", "get_decision_mtpi2.R", "select_mtd.R")) source(file.path(args[1], "R", f))
ver <- read.dcf(file.path(args[1], "DESCRIPTION"))[, "Version"]

settings <- list(c(0.1, 0.05, 0.15), c(0.2, 0.15, 0.25), c(0.25, 0.2, 0.3), c(0.3, 0.25, 0.35),
                 c(0.33, 0.28, 0.38), c(0.4, 0.35, 0.45), c(0.5, 0.4, 0.6), c(0.3, 0.2, 0.35),
                 c(0.25, 0.2, 0.32), c(0.2, 0.16, 0.3))
rows <- list()
for (s in settings) {
  for (m in c("i3plus3", "mtpi2")) {
    fun <- if (m == "i3plus3") get_decision_i3plus3 else get_decision_mtpi2
    tab <- fun(pT = s[1], EI = s[2:3], npts = 30)$tab
    rows[[length(rows) + 1]] <- data.frame(design = m, target = s[1], ei_low = s[2], ei_high = s[3],
                                           n = tab$n, y = tab$y, action = tab$Decision)
  }
}
con <- file(file.path(args[2], "r_find_decisions.csv"), "w")
writeLines(c(
  sprintf("# FIND %s (files sourced), %s: get_decision_i3plus3 / get_decision_mtpi2(pT = target, EI = c(ei_low, ei_high), npts = 30)$tab", ver, R.version.string),
  "# Script: benchmarks/reference/find/find_reference.R"), con)
write.csv(do.call(rbind, rows), con, row.names = FALSE)
close(con)

set.seed(20251203)
cases <- list()
for (i in 1:300) {
  s <- settings[[sample(1:7, 1)]]
  ntried <- sample(1:5, 1)
  n <- c(sample(c(3, 6, 9, 12), ntried, replace = TRUE), rep(0, 5 - ntried))
  y <- rbinom(5, n, sort(runif(5, 0, 0.6)))
  method <- sample(c("i3+3", "mTPI2"), 1)
  cases[[i]] <- data.frame(case = i, method = method, target = s[1], ei_low = s[2], ei_high = s[3],
                           n = paste(n, collapse = ";"), y = paste(y, collapse = ";"),
                           mtd = select_mtd(method, s[1], s[2:3], n, y)$d_selected)
}
con <- file(file.path(args[2], "r_find_select.csv"), "w")
writeLines(c(
  sprintf("# FIND %s (files sourced), %s: select_mtd(method, pT, EI, n_obs = n, y_obs = y) (DU.pp 0.95, extrasafe FALSE), seed 20251203", ver, R.version.string),
  "# mtd: 1-based dose, 99 = none. Script: benchmarks/reference/find/find_reference.R"), con)
write.csv(do.call(rbind, cases), con, row.names = FALSE)
close(con)
