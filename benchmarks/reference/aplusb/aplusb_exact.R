# Exact operating characteristics of A+B designs from AplusB (Wheeler, Sweeting & Mander 2016, PLoS ONE
# 11(7): e0159026; graham-wheeler/AplusB, commit 64579b3): its own path enumerators threep3ABCDE (without
# de-escalation) and threep3ABCDE.desc (with de-escalation), run for the settings and scenarios of
# tests/published/test_three_plus_three_references.py. Output per setting, scenario and dose: the
# probability that the dose is declared the MTD (dose 0: none) and the expected share of the trial's
# patients treated at the dose (AplusB's `exp`: E[n_d / N]); per setting and scenario the expected sample
# size and the expected number of DLTs in the trial.
#
# Usage: Rscript aplusb_exact.R <folder with AplusB's helpers.R> <output csv>
# (the Shiny app is not run: helpers.R is sourced and its two enumerators are called; the app's UI helpers
# at the top of the file are defined but never called).
args <- commandArgs(trailingOnly = TRUE)
suppressPackageStartupMessages(library(parallel))
source(file.path(args[1], "helpers.R"))

scenarios <- list(
  S1 = c(0.05, 0.10, 0.20, 0.30, 0.45),
  S2 = c(0.30, 0.40, 0.50, 0.60, 0.70),
  S3 = c(0.02, 0.04, 0.06, 0.08, 0.10),
  S4 = c(0.50, 0.60, 0.70, 0.80, 0.90)
)
settings <- list(c(3, 3, 1, 1, 1), c(3, 3, 1, 2, 2), c(4, 4, 1, 2, 2), c(2, 4, 1, 1, 2))

rows <- list()
for (s in settings) {
  for (nm in names(scenarios)) {
    for (de in c(FALSE, TRUE)) {
      p <- scenarios[[nm]]
      f <- if (de) threep3ABCDE.desc else threep3ABCDE
      invisible(capture.output(r <- f(p, A = s[1], B = s[2], C = s[3], D = s[4], E = s[5])))
      D <- length(p)
      mtd <- ifelse(is.na(r$mtd), 0, r$mtd)
      sel <- sapply(0:D, function(d) sum(r$prob[mtd == d]))
      rows[[length(rows) + 1]] <- data.frame(
        a = s[1], b = s[2], c = s[3], d = s[4], e = s[5], scenario = nm, deescalation = de,
        dose = 0:D, prob_select = sel, mean_share = c(NA, r$exp), mean_n_total = sum(r$prob * r$ssize),
        mean_dlt_total = sum(r$prob * r$dlt.no), total_prob = sum(r$prob)
      )
    }
  }
}
res <- do.call(rbind, rows)
write.csv(res, args[2], row.names = FALSE)
cat(sprintf("%d rows\n", nrow(res)))
