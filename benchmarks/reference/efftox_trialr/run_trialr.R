# EffTox operating characteristics from trialr's own simulator, efftox_simulate (trialr 0.1.6), for
# tests/published/test_efftox_trialr_sim.py. trialr is built from its CRAN source beside the project
# (never committed); see README.md here.
#
#   Rscript run_trialr.R run <scenario> <first_trial> <n_trials> <trials.csv>
#       simulates trials first_trial .. first_trial + n_trials - 1 of <scenario> ("trialr example" or
#       "OBD 3"), one efftox_simulate(num_sims = 1) call per trial after set.seed(SEED + 100000 * s + i)
#       (so any split into chunks gives the same trials), and appends one row per trial to <trials.csv>.
#   Rscript run_trialr.R summarise <oc.csv> <trials.csv> [<trials.csv> ...]
#       writes the operating characteristics of all trials found (first row per scenario and trial).
#
# The design is trialr's efftox_parameters_demo() (Thall et al. 2014; examples/designs/efftox.toml):
# doses 1, 2, 4, 6.6, 10; hurdles 0.5 / 0.3 with p_e = p_t = 0.1; contour (0.5, 0), (1, 0.65),
# (0.7, 0.25); first_dose 1; cohort_sizes rep(3, 13) (39 patients). efftox_simulate draws efficacy and
# toxicity independently (two rbinom calls), so these scenarios have no correlation.

suppressPackageStartupMessages(library(trialr))

SEED <- 20260512L
STAN_ARGS <- list(chains = 2L, iter = 1000L, warmup = 500L, refresh = 0L, cores = 1L)
COHORT_SIZES <- rep(3L, 13L)
FIRST_DOSE <- 1L
SCENARIOS <- list(
  "trialr example" = list(tox = c(0.05, 0.10, 0.15, 0.20, 0.40), eff = c(0.20, 0.40, 0.60, 0.80, 0.90)),
  "OBD 3" = list(tox = c(0.05, 0.10, 0.20, 0.40, 0.55), eff = c(0.20, 0.45, 0.65, 0.70, 0.72))
)

outcome_string <- function(doses, eff, tox) {
  # dosefind's / trialr's notation: cohorts "1NNE 2EEB" (N none, E efficacy, T toxicity, B both)
  code <- ifelse(eff == 1 & tox == 1, "B", ifelse(eff == 1, "E", ifelse(tox == 1, "T", "N")))
  n <- length(doses)
  starts <- seq(1L, n, by = 3L)
  paste(vapply(starts, function(s) {
    idx <- s:min(n, s + 2L)
    paste0(doses[s], paste(code[idx], collapse = ""))
  }, ""), collapse = " ")
}

run <- function(scenario, first, n_trials, out) {
  s <- match(scenario, names(SCENARIOS))
  if (is.na(s)) stop("unknown scenario: ", scenario)
  sc <- SCENARIOS[[s]]
  dat <- efftox_parameters_demo()
  for (i in first:(first + n_trials - 1L)) {
    set.seed(SEED + 100000L * s + i)
    t0 <- proc.time()[["elapsed"]]
    sims <- NULL
    invisible(utils::capture.output(suppressWarnings(
      sims <- do.call(efftox_simulate, c(list(dat = dat, num_sims = 1L, first_dose = FIRST_DOSE,
                                              true_eff = sc$eff, true_tox = sc$tox,
                                              cohort_sizes = COHORT_SIZES), STAN_ARGS))
    )))
    secs <- proc.time()[["elapsed"]] - t0
    doses <- sims$doses_given[[1]]
    n_at <- tabulate(doses, nbins = length(sc$tox))
    row <- data.frame(
      scenario = scenario, trial = i, seed = SEED + 100000L * s + i,
      recommended = ifelse(is.na(sims$recommended_dose[1]), 0L, sims$recommended_dose[1]),
      n1 = n_at[1], n2 = n_at[2], n3 = n_at[3], n4 = n_at[4], n5 = n_at[5],
      outcomes = outcome_string(doses, sims$efficacies[[1]], sims$toxicities[[1]]),
      seconds = round(secs, 2)
    )
    utils::write.table(row, out, sep = ",", row.names = FALSE, col.names = !file.exists(out),
                       append = file.exists(out), qmethod = "double")
  }
}

summarise <- function(oc_out, files) {
  tr <- do.call(rbind, lapply(files, utils::read.csv, check.names = FALSE))
  tr <- tr[!duplicated(tr[, c("scenario", "trial")]), ]
  rows <- list()
  for (scenario in names(SCENARIOS)) {
    d <- tr[tr$scenario == scenario, ]
    n <- nrow(d)
    if (n == 0) next
    for (k in 0:5) {
      p <- mean(d$recommended == k)
      rows[[length(rows) + 1L]] <- data.frame(
        scenario = scenario, metric = "prob_select", dose = ifelse(k == 0, "none", as.character(k)),
        value = p, se = sqrt(p * (1 - p) / n), sd = sqrt(p * (1 - p)), n_trials = n)
    }
    for (k in 1:5) {
      x <- d[[paste0("n", k)]]
      rows[[length(rows) + 1L]] <- data.frame(
        scenario = scenario, metric = "mean_n_at_dose", dose = as.character(k),
        value = mean(x), se = stats::sd(x) / sqrt(n), sd = stats::sd(x), n_trials = n)
    }
    rows[[length(rows) + 1L]] <- data.frame(
      scenario = scenario, metric = "seconds_per_trial", dose = "", value = mean(d$seconds),
      se = stats::sd(d$seconds) / sqrt(n), sd = stats::sd(d$seconds), n_trials = n)
  }
  oc <- do.call(rbind, rows)
  oc$trialr_version <- as.character(utils::packageVersion("trialr"))
  oc$rstan_version <- as.character(utils::packageVersion("rstan"))
  oc$stan_args <- paste(names(STAN_ARGS), unlist(STAN_ARGS), sep = "=", collapse = " ")
  oc$cohort_sizes <- "rep(3, 13)"
  oc$first_dose <- FIRST_DOSE
  oc$seed <- SEED
  utils::write.csv(oc, oc_out, row.names = FALSE)
}

args <- commandArgs(trailingOnly = TRUE)
if (length(args) >= 5 && args[1] == "run") {
  run(args[2], as.integer(args[3]), as.integer(args[4]), args[5])
} else if (length(args) >= 3 && args[1] == "summarise") {
  summarise(args[2], args[-(1:2)])
} else {
  stop("usage: run <scenario> <first_trial> <n_trials> <trials.csv> | summarise <oc.csv> <trials.csv>...")
}
