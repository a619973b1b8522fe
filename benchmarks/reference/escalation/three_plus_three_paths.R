# Exact operating characteristics of escalation's 3+3 (brockk/escalation 0.2.3, `three_plus_three()`, the
# rule behind `get_three_plus_three(num_doses, allow_deescalate)`), by following every trial path: after
# each cohort of 3 the package's own function decides (next dose, continue or stop and recommend), and
# every cohort branches into its 0-3 DLTs with binomial probabilities. No Monte Carlo error.
#
# Usage: Rscript three_plus_three_paths.R <folder with escalation's R/ sources> <output csv>
# (the package is not installed: its three_plus_three.R, enforce_three_plus_three.R, helpers.R,
# phase1_outcomes_to_cohorts.R and parse_phase1_outcomes.R are sourced; they need dplyr, magrittr, purrr, stringr, tibble).
suppressPackageStartupMessages({
  library(dplyr); library(magrittr); library(purrr); library(stringr); library(tibble)
})
args <- commandArgs(trailingOnly = TRUE)
src <- args[1]
out <- args[2]
for (f in c("helpers.R", "phase1_outcomes_to_cohorts.R", "parse_phase1_outcomes.R", "enforce_three_plus_three.R", "three_plus_three.R")) {
  source(file.path(src, f))
}

scenarios <- list(
  S1 = c(0.05, 0.10, 0.20, 0.30, 0.45),
  S2 = c(0.30, 0.40, 0.50, 0.60, 0.70),
  S3 = c(0.02, 0.04, 0.06, 0.08, 0.10),
  S4 = c(0.50, 0.60, 0.70, 0.80, 0.90)
)

cohort_text <- function(dose, k) paste0(dose, strrep("T", k), strrep("N", 3 - k))

enumerate <- function(p, allow_deescalate) {
  D <- length(p)
  acc <- new.env()
  acc$sel <- numeric(D); acc$none <- 0; acc$n <- numeric(D); acc$y <- numeric(D); acc$paths <- 0
  walk_path <- function(outcomes, dose, n, y, prob) {
    for (k in 0:3) {
      pk <- prob * dbinom(k, 3, p[dose])
      if (pk == 0) next
      o2 <- trimws(paste(outcomes, cohort_text(dose, k)))
      n2 <- n; y2 <- y; n2[dose] <- n2[dose] + 3; y2[dose] <- y2[dose] + k
      fit <- three_plus_three(o2, num_doses = D, allow_deescalate = allow_deescalate, strict_mode = FALSE)
      if (fit$continue) {
        walk_path(o2, fit$recommended_dose, n2, y2, pk)
      } else {
        acc$paths <- acc$paths + 1
        if (is.na(fit$recommended_dose)) acc$none <- acc$none + pk
        else acc$sel[fit$recommended_dose] <- acc$sel[fit$recommended_dose] + pk
        acc$n <- acc$n + pk * n2
        acc$y <- acc$y + pk * y2
      }
    }
  }
  walk_path("", 1, numeric(D), numeric(D), 1)
  acc
}

rows <- list()
for (nm in names(scenarios)) {
  for (de in c(FALSE, TRUE)) {
    r <- enumerate(scenarios[[nm]], de)
    D <- length(scenarios[[nm]])
    rows[[length(rows) + 1]] <- data.frame(
      scenario = nm, allow_deescalate = de, dose = c(seq_len(D), 0),
      prob_select = c(r$sel, r$none), mean_n = c(r$n, NA), mean_tox = c(r$y, NA), paths = r$paths
    )
  }
}
res <- do.call(rbind, rows)
write.csv(res, out, row.names = FALSE)
cat(sprintf("%d rows, %d paths\n", nrow(res), sum(unique(res[, c("scenario", "allow_deescalate", "paths")])$paths)))
