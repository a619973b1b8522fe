# Reference values from the Keyboard R package (version 0.1.3, the CRAN release mirrored on GitHub as
# cran/Keyboard), for tests/published/test_interval_reference.py.
#
#   1. get.boundary.kb: the full boundary table (escalate if # DLT <=, de-escalate if >=, eliminate if >=)
#      for n = 1..36 under several targets, margins and cutoffs  ->  r_keyboard_boundaries.csv
#   2. select.mtd.kb: the selected MTD on random data (5 doses)  ->  r_keyboard_select.csv
#
# Run (with Keyboard installed in a library outside the repository):
#   Rscript keyboard_reference.R <library> <output dir>
args <- commandArgs(trailingOnly = TRUE)
library(Keyboard, lib.loc = args[1])
out <- args[2]
ver <- as.character(packageVersion("Keyboard", lib.loc = args[1]))

settings <- list(
  c(0.10, 0.05, 0.05, 0.95), c(0.15, 0.05, 0.05, 0.95), c(0.20, 0.05, 0.05, 0.95),
  c(0.25, 0.05, 0.05, 0.95), c(0.30, 0.05, 0.05, 0.95), c(0.33, 0.05, 0.05, 0.95),
  c(0.40, 0.05, 0.05, 0.95), c(0.50, 0.05, 0.05, 0.95), c(0.30, 0.10, 0.10, 0.95),
  c(0.25, 0.05, 0.10, 0.95), c(0.30, 0.05, 0.05, 0.90), c(0.20, 0.03, 0.07, 0.85)
)
rows <- list()
for (s in settings) {
  b <- get.boundary.kb(target = s[1], ncohort = 12, cohortsize = 3, marginL = s[2], marginR = s[3],
                       cutoff.eli = s[4])$full_boundary_tab
  rows[[length(rows) + 1]] <- data.frame(
    target = s[1], margin_left = s[2], margin_right = s[3], cutoff_eli = s[4], n = b[1, ],
    escalate_at_most = b[2, ], deescalate_at_least = b[3, ], eliminate_at_least = b[4, ])
}
tab <- do.call(rbind, rows)
con <- file(file.path(out, "r_keyboard_boundaries.csv"), "w")
writeLines(c(
  sprintf("# Keyboard %s, %s: get.boundary.kb(target, ncohort = 12, cohortsize = 3, marginL, marginR, cutoff.eli)$full_boundary_tab", ver, R.version.string),
  "# escalate_at_most -1: never escalate; NA: no such boundary. Script: benchmarks/reference/keyboard/keyboard_reference.R"), con)
write.csv(tab, con, row.names = FALSE, na = "NA")
close(con)

set.seed(20240515)
cases <- list()
for (i in 1:400) {
  target <- sample(c(0.2, 0.25, 0.3), 1)
  ntried <- sample(1:5, 1)
  n <- c(sample(c(3, 6, 9, 12), ntried, replace = TRUE), rep(0, 5 - ntried))
  p <- sort(runif(5, 0, 0.6))
  y <- rbinom(5, n, p)
  r <- select.mtd.kb(target = target, npts = n, ntox = y)
  cases[[i]] <- data.frame(case = i, target = target, n = paste(n, collapse = ";"),
                           y = paste(y, collapse = ";"), mtd = r$MTD)
}
sel <- do.call(rbind, cases)
con <- file(file.path(out, "r_keyboard_select.csv"), "w")
writeLines(c(
  sprintf("# Keyboard %s, %s: select.mtd.kb(target, npts = n, ntox = y) (cutoff.eli 0.95), seed 20240515", ver, R.version.string),
  "# mtd: 1-based dose, 99 = none. Script: benchmarks/reference/keyboard/keyboard_reference.R"), con)
write.csv(sel, con, row.names = FALSE)
close(con)
