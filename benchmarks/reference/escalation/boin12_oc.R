# Operating characteristics of escalation 0.2.3's BOIN12 (get_boin12 %>% stop_at_n(36) %>%
# select_boin12_obd()), simulated in R with the package's own decision function, for
# tests/published/test_boin12_reference.py (dosefind's rules = "escalation" within Monte Carlo error).
#
# escalation's simulation machinery needs its full dependency set (not installable offline), so this
# script sources R/boin12_logic.R (unchanged) and runs the trials itself: 6 doses, cohorts of 3, 36 patients,
# start at dose 1; each patient's DLT and response drawn independently (rbinom) with the scenario's
# probabilities; after each cohort boin12_next_dose (phi_t = 0.35, phi_e = 0.25, u = 100/40/60/0,
# n_star = 6, c_t = 0.95, c_e = 0.9, Beta(1, 1)) gives the next dose or the stop (0); at 36 patients the
# OBD is chosen as select_boin12_obd does (read from its source, written here): unweighted isotonic
# regression of the tried doses' DLT rates, the MTD the closest to 0.35 (ties: the highest), then the
# dose not above the MTD with the highest 100 x P(utility > benchmark) of the last decision (which.max).
#
# Run:  R_LIBS=<library with BOIN> Rscript boin12_oc.R <escalation source dir> <output dir> [ntrial]
args <- commandArgs(trailingOnly = TRUE)
suppressPackageStartupMessages({library(BOIN)})
src <- args[1]
out <- args[2]
ntrial <- if (length(args) >= 3) as.integer(args[3]) else 2000
source(file.path(src, "R", "boin12_logic.R"))
ver <- read.dcf(file.path(src, "DESCRIPTION"))[, "Version"]

pava1 <- function(x) {  # unweighted pool-adjacent-violators
  v <- x; w <- rep(1, length(x)); len <- rep(1, length(x)); k <- 0
  vals <- c(); wts <- c(); lens <- c()
  for (i in seq_along(x)) {
    vals <- c(vals, x[i]); wts <- c(wts, 1); lens <- c(lens, 1)
    while (length(vals) > 1 && vals[length(vals) - 1] > vals[length(vals)]) {
      m <- length(vals)
      vals[m - 1] <- (wts[m - 1] * vals[m - 1] + wts[m] * vals[m]) / (wts[m - 1] + wts[m])
      wts[m - 1] <- wts[m - 1] + wts[m]; lens[m - 1] <- lens[m - 1] + lens[m]
      vals <- vals[-m]; wts <- wts[-m]; lens <- lens[-m]
    }
  }
  rep(vals, lens)
}

scenarios <- list(
  list(name = "OBD 4", tox = c(0.05, 0.10, 0.20, 0.30, 0.45, 0.60), eff = c(0.10, 0.20, 0.40, 0.50, 0.50, 0.50)),
  list(name = "plateau OBD 2", tox = c(0.05, 0.10, 0.15, 0.25, 0.35, 0.50), eff = c(0.30, 0.50, 0.52, 0.54, 0.55, 0.55)),
  list(name = "futile", tox = c(0.05, 0.10, 0.15, 0.20, 0.30, 0.40), eff = c(0.02, 0.04, 0.06, 0.08, 0.10, 0.12))
)
set.seed(7)
rows <- list()
for (sc in scenarios) {
  D <- 6
  sel <- integer(ntrial); nat <- matrix(0L, ntrial, D); tat <- matrix(0L, ntrial, D); eat <- matrix(0L, ntrial, D)
  for (t in 1:ntrial) {
    dose <- integer(0); tox <- integer(0); eff <- integer(0); d <- 1; selected <- -1
    repeat {
      dose <- c(dose, rep(d, 3))
      tox <- c(tox, rbinom(3, 1, sc$tox[d]))
      eff <- c(eff, rbinom(3, 1, sc$eff[d]))
      x <- boin12_next_dose(data = data.frame(Dose = dose, Toxicity = tox, Efficacy = eff), ndoses = D,
                            maxN = Inf, maxN_dose = Inf, start = 1, phi_t = 0.35, phi_e = 0.25, Nstar = 6,
                            c_t = 0.95, c_e = 0.9, u1 = 100, u2 = 40, u3 = 60, u4 = 0, alpha = 1, beta = 1)
      if (x$next_dose == 0) break
      if (length(dose) >= 36) {
        n <- tabulate(dose, D); y <- tabulate(dose[tox == 1], D)
        given <- which(n > 0)
        gaps <- abs(pava1(y[given] / n[given]) - 0.35)
        mtd <- given[max(which(gaps == min(gaps)))]
        selected <- which.max(x$utility[1:mtd]) - 1
        break
      }
      d <- x$next_dose
    }
    sel[t] <- selected
    nat[t, ] <- tabulate(dose, D); tat[t, ] <- tabulate(dose[tox == 1], D); eat[t, ] <- tabulate(dose[eff == 1], D)
  }
  for (k in 0:D) {
    dose_label <- if (k == 0) "none" else as.character(k)
    p <- if (k == 0) mean(sel == -1) else mean(sel == k - 1)
    rows[[length(rows) + 1]] <- data.frame(scenario = sc$name, dose = dose_label, metric = "prob_select",
                                           value = p, mcse = sqrt(p * (1 - p) / ntrial))
    if (k > 0) {
      for (m in list(list("mean_n_at_dose", nat), list("mean_tox_at_dose", tat), list("mean_resp_at_dose", eat))) {
        v <- m[[2]][, k]
        rows[[length(rows) + 1]] <- data.frame(scenario = sc$name, dose = dose_label, metric = m[[1]],
                                               value = mean(v), mcse = sd(v) / sqrt(ntrial))
      }
    }
  }
}
res <- do.call(rbind, rows)
res$n_trials <- ntrial
res$escalation_version <- ver
write.csv(res, file.path(out, "escalation_boin12_oc.csv"), row.names = FALSE)
