# Operating characteristics from the Keyboard R package (version 0.1.3): get.oc.kb on the six scenarios
# of scenarios/target30-6dose.toml (target 0.3, 12 cohorts of 3, start at dose 1, default margins 0.05
# and cutoff 0.95), 5000 trials each (the package seeds itself with set.seed(6)), for
# tests/published/test_interval_reference.py.
#
# Note: get.oc.kb calls get.boundary.kb(target, ncohort, cohortsize) without its marginL, marginR and
# cutoff.eli, so the package simulates margins 0.05 and cutoff 0.95 whatever those arguments say; only
# the defaults are compared.
#
# Run:  Rscript keyboard_oc.R <library> <output dir>
args <- commandArgs(trailingOnly = TRUE)
library(Keyboard, lib.loc = args[1])
ver <- as.character(packageVersion("Keyboard", lib.loc = args[1]))
scen <- list(
  S1 = c(0.26, 0.34, 0.47, 0.64, 0.66, 0.77), S2 = c(0.18, 0.25, 0.32, 0.36, 0.60, 0.69),
  S3 = c(0.09, 0.16, 0.23, 0.34, 0.51, 0.74), S4 = c(0.07, 0.13, 0.20, 0.29, 0.37, 0.54),
  S5 = c(0.03, 0.09, 0.16, 0.25, 0.32, 0.40), S6 = c(0.04, 0.05, 0.08, 0.11, 0.15, 0.31))
ntrial <- 5000
rows <- list()
for (s in names(scen)) {
  r <- get.oc.kb(target = 0.3, p.true = scen[[s]], ncohort = 12, cohortsize = 3, ntrial = ntrial)
  rows[[s]] <- data.frame(scenario = s, dose = c(1:6, "none"), sel_pct = c(r$selpercent, r$percentstop),
                          mean_npts = c(r$npatients, r$totaln), mean_ntox = c(r$ntox, r$totaltox))
}
con <- file(file.path(args[2], "r_keyboard_oc.csv"), "w")
writeLines(c(
  sprintf("# Keyboard %s, %s: get.oc.kb(target = 0.3, p.true, ncohort = 12, cohortsize = 3, ntrial = %d) (set.seed(6) inside)", ver, R.version.string, ntrial),
  "# dose 'none': % stopped with no dose (percentstop), mean_npts / mean_ntox = totals. Script: benchmarks/reference/keyboard/keyboard_oc.R"), con)
write.csv(do.call(rbind, rows), con, row.names = FALSE)
close(con)
