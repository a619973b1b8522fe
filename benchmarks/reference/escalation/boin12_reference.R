# Reference values of the escalation R package (version 0.2.3, brockk/escalation) for BOIN12, for
# tests/published/test_boin12_reference.py.
#
# escalation's full dependency set could not be installed offline, so this script sources the package's
# own BOIN12 files (R/boin12_logic.R, R/boin12_rds.R, unchanged) from an unpacked copy of the package
# outside the repository, with dplyr, tibble and magrittr loaded (and BOIN for get.boundary), and calls
# boin12_rds (the paper's Table 3 form) and boin12_next_dose (the decision of get_boin12) directly.
#
# Decisions: 3,000 random data sets (set.seed(2024)): 5 doses, 1-10 cohorts of 3 on a random walk from
# dose 1 (each step -1, 0 or +1), DLT and response drawn with random per-dose probabilities; settings
# phi_t = 0.35, phi_e = 0.25, utilities 100/40/60/0 (sets 1-1500) or 100/30/50/0 (sets 1501-3000, not
# additive), n_star = 6, c_t = 0.95, c_e = 0.9, Beta(1, 1).
#
# Run:  R_LIBS=<library with BOIN> Rscript boin12_reference.R <escalation source dir> <output dir>
args <- commandArgs(trailingOnly = TRUE)
suppressPackageStartupMessages({library(dplyr); library(tibble); library(magrittr); library(BOIN)})
src <- args[1]
out <- args[2]
for (f in c("boin12_logic.R", "boin12_rds.R")) source(file.path(src, "R", f))
ver <- read.dcf(file.path(src, "DESCRIPTION"))[, "Version"]

rds <- boin12_rds(sample_sizes = c(0, 3, 6, 9), phi_t = 0.35, phi_e = 0.25, u1 = 100, u2 = 40, u3 = 60,
                  u4 = 0, c_t = 0.95, c_e = 0.9, prior_alpha = 1, prior_beta = 1)
rds$escalation_version <- ver
write.csv(as.data.frame(rds), file.path(out, "escalation_boin12_rds.csv"), row.names = FALSE)

set.seed(2024)
rows <- list()
for (i in 1:3000) {
  u2 <- if (i <= 1500) 40 else 30
  u3 <- if (i <= 1500) 60 else 50
  p <- sort(runif(5, 0, 0.7))
  q <- runif(5, 0, 0.8)
  k <- sample(1:10, 1)
  d <- 1
  dose <- integer(0)
  for (c in 1:k) {
    if (c > 1) d <- min(5, max(1, d + sample(-1:1, 1)))
    dose <- c(dose, rep(d, 3))
  }
  tox <- rbinom(length(dose), 1, p[dose])
  eff <- rbinom(length(dose), 1, q[dose])
  data <- data.frame(Dose = dose, Toxicity = tox, Efficacy = eff)
  x <- boin12_next_dose(data = data, ndoses = 5, maxN = Inf, maxN_dose = Inf, start = 1, phi_t = 0.35,
                        phi_e = 0.25, Nstar = 6, c_t = 0.95, c_e = 0.9, u1 = 100, u2 = u2, u3 = u3, u4 = 0,
                        alpha = 1, beta = 1)
  rows[[i]] <- data.frame(set = i, u2 = u2, u3 = u3, dose = paste(dose, collapse = ""),
                          tox = paste(tox, collapse = ""), eff = paste(eff, collapse = ""),
                          next_dose = x$next_dose,
                          admissible = paste(sort(x$admissible), collapse = ""),
                          utility = paste(sprintf("%.15g", x$utility), collapse = ";"))
}
res <- do.call(rbind, rows)
res$escalation_version <- ver
write.csv(res, file.path(out, "escalation_boin12_decisions.csv"), row.names = FALSE)
