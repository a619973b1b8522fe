# OncoBayes2 reference values for the two-drug BLRM (Neuenschwander et al. 2014) of one trial, for
# dosefind's deterministic combination posterior (kind = "blrm_comb").
#
# Run from the repository root (about 10 minutes on 2 cores: 5 for the reference fits, 5 for the examples):
#
#     R_LIBS=<library holding OncoBayes2> Rscript benchmarks/reference/oncobayes2/blrm_comb_reference.R
#
# Writes tests/published/data/oncobayes2_blrm_comb.csv (columns dataset, cell, dose_a, dose_b, quantity,
# value, mcse; first line a comment naming the OncoBayes2, rstan and R versions) and, for OncoBayes2's own
# documented combination examples, benchmarks/reference/oncobayes2/blrm_comb_example_combo2.csv.
# Set OB2_COMB_EXAMPLES=0 to skip the examples; OB2_ITER / OB2_WARMUP (reference fits) and OB2_EX_ITER /
# OB2_EX_WARMUP (examples) for quick tests.
#
# Versions used: OncoBayes2 0.8-9 (github:cran/OncoBayes2 tag 0.8-9, built with R CMD INSTALL), rstan 2.21.7 /
# StanHeaders 2.21.0-7 (Debian 12), rstantools 2.3.1.1 (github:cran/rstantools; Debian's 2.2.0 is too old),
# posterior 1.4.0 and bayesplot 1.10.0 (Debian), R 4.2.2. RBesT is not needed.
#
# Model (blrm_exnex with one group, EX only, tau fixed at 0, so the group's parameters equal mu):
#   logit p_i(d) = log(alpha_i) + exp(log beta_i) log(d / d_i*),  i = A, B
#   p0 = 1 - (1 - p_A)(1 - p_B);  logit p_AB = logit p0 + eta (dA / dA*) (dB / dB*)
#   (the linear interaction of blrm_formula_linear / ?example-combo2)
#   (log alpha_i, log beta_i) ~ N((logit 0.25, 0), diag(2^2, 1^2)) independently per drug (dosefind's
#   BlrmComb(target = 0.25) default: mean (logit(target), 0), sds (2, 1), correlation 0);
#   eta ~ N(0, 1.121^2).
# Grid: dA = 3, 4.5, 6 (dA* = 6), dB = 400, 600, 800 (dB* = 800); cell "j.k" = drug A level j, drug B
# level k. Intervals: under [0, 0.16), target [0.16, 0.33), over [0.33, 1].
# Sampling: Stan NUTS, 4 chains x 25,000 iterations (5,000 warmup) = 80,000 draws, OncoBayes2's default
# control (adapt_delta 0.99, stepsize 0.1), set.seed(20240607) before each fit (rstan's seed is drawn from
# R's generator). value = OncoBayes2's summary() (mean; interval probabilities from its cut at
# c(0, 0.16, 0.33, 1), checked equal to the indicator means); mcse = posterior::mcse_mean of p or of the
# interval indicator, chains kept.

ITER <- as.integer(Sys.getenv("OB2_ITER", "25000"))     # per chain, incl. warmup
WARMUP <- as.integer(Sys.getenv("OB2_WARMUP", "5000"))
CHAINS <- 4L
SEED <- 20240607L
EXAMPLES <- Sys.getenv("OB2_COMB_EXAMPLES", "1") != "0"
OUT <- file.path("tests", "published", "data", "oncobayes2_blrm_comb.csv")
OUT_EX <- file.path("benchmarks", "reference", "oncobayes2", "blrm_comb_example_combo2.csv")
stopifnot(dir.exists(dirname(OUT)), dir.exists(dirname(OUT_EX)))

suppressPackageStartupMessages({
  library(OncoBayes2)
  library(posterior)
  library(dplyr)
  library(tibble)
})
options(mc.cores = 2L)
options(OncoBayes2.MC.iter = ITER, OncoBayes2.MC.warmup = WARMUP, OncoBayes2.MC.chains = CHAINS,
        OncoBayes2.MC.save_warmup = FALSE)

TARGET <- 0.25
INTERVALS <- c(0, 0.16, 0.33, 1)
DOSES_A <- c(3, 4.5, 6)
DOSES_B <- c(400, 600, 800)
DREF <- c(6, 800)
PRIOR_MU_MEAN <- matrix(c(qlogis(TARGET), 0, qlogis(TARGET), 0), nrow = 2, byrow = TRUE)
PRIOR_MU_SD <- matrix(c(2, 1, 2, 1), nrow = 2, byrow = TRUE)
ETA_MEAN <- 0
ETA_SD <- 1.121

# cells in dosefind's order 1.1, 1.2, 1.3, 2.1, ..., 3.3 (drug A's level first)
GRID <- expand.grid(k = seq_along(DOSES_B), j = seq_along(DOSES_A))
GRID <- tibble(group_id = factor("trial", levels = "trial"),
               cell = paste0(GRID$j, ".", GRID$k),
               drug_A = DOSES_A[GRID$j], drug_B = DOSES_B[GRID$k])

DATASETS <- list(
  prior = list(n = rep(0, 9), y = rep(0, 9)),
  early = list(n = c(3, 0, 0, 3, 0, 0, 0, 0, 0), y = c(0, 0, 0, 1, 0, 0, 0, 0, 0)),
  `mid-trial` = list(n = c(3, 3, 0, 3, 6, 0, 0, 0, 0), y = c(0, 0, 0, 0, 1, 0, 0, 0, 0)),
  late = list(n = c(3, 3, 3, 3, 9, 6, 0, 6, 3), y = c(0, 0, 1, 0, 2, 2, 0, 2, 2))
)

FORMULA <- cbind(num_toxicities, num_patients - num_toxicities) ~
  1 + I(log(drug_A / 6)) |
  1 + I(log(drug_B / 800)) |
  0 + I(drug_A / 6 * drug_B / 800) |
  group_id

diagnostics <- function(fit, label) {
  sf <- fit$stanfit
  s <- rstan::summary(sf, pars = c("beta_group", "eta_group"))$summary
  ndiv <- sum(rstan::get_divergent_iterations(sf))
  cat(sprintf("  %s: max Rhat %.5f, min n_eff %.0f, divergences %d\n", label,
              max(s[, "Rhat"], na.rm = TRUE), min(s[, "n_eff"], na.rm = TRUE), ndiv))
}

# per row of newdata: OncoBayes2's summary and MCSEs from the draws of p
summarise_fit <- function(fit, newdata) {
  sm <- summary(fit, newdata = newdata, interval_prob = INTERVALS)
  draws <- posterior_linpred(fit, transform = TRUE, newdata = newdata)
  nc <- fit$stanfit@sim$chains
  ind <- function(x) matrix(as.numeric(x), ncol = nc) # iterations x chains (chain after chain)
  rows <- list()
  for (r in seq_len(nrow(newdata))) {
    p <- draws[, r]
    vals <- c(mean = sm$mean[r],
              prob_under = mean(p < INTERVALS[2]),
              prob_target = mean(p >= INTERVALS[2] & p < INTERVALS[3]),
              prob_over = mean(p >= INTERVALS[3]))
    # OncoBayes2's own interval probabilities (cut at (0,.16], (.16,.33], (.33,1]); p is continuous, so
    # they equal the half-open dosefind intervals' up to ties, which never occur in double precision
    ob2 <- unlist(sm[r, grep("^\\(", names(sm))])
    stopifnot(length(ob2) == 3, max(abs(ob2 - vals[2:4])) < 1e-12, abs(mean(p) - vals[["mean"]]) < 1e-12)
    mcse <- c(mcse_mean(ind(p)), mcse_mean(ind(p < INTERVALS[2])),
              mcse_mean(ind(p >= INTERVALS[2] & p < INTERVALS[3])), mcse_mean(ind(p >= INTERVALS[3])))
    rows[[r]] <- data.frame(row = r, quantity = names(vals), value = unname(vals), mcse = mcse)
  }
  do.call(rbind, rows)
}

res <- list()
t0 <- Sys.time()
for (ds in names(DATASETS)) {
  d <- DATASETS[[ds]]
  keep <- d$n > 0
  if (any(keep)) {
    dat <- GRID[keep, ] %>% mutate(num_patients = d$n[keep], num_toxicities = d$y[keep])
  } else {
    # no data: one row with 0 patients (no likelihood contribution)
    dat <- GRID[1, ] %>% mutate(num_patients = 0, num_toxicities = 0)
  }
  cat(sprintf("[%s] %s\n", format(Sys.time()), ds))
  set.seed(SEED)
  fit <- blrm_exnex(
    FORMULA, data = dat,
    prior_EX_mu_mean_comp = PRIOR_MU_MEAN,
    prior_EX_mu_sd_comp = PRIOR_MU_SD,
    # tau fixed at 0 (prior_tau_dist = 0 fixes tau to its "mean") => the trial's parameters are mu
    prior_EX_tau_mean_comp = matrix(0, nrow = 2, ncol = 2),
    prior_EX_tau_sd_comp = matrix(1, nrow = 2, ncol = 2),
    prior_EX_mu_mean_inter = ETA_MEAN,
    prior_EX_mu_sd_inter = ETA_SD,
    prior_EX_tau_mean_inter = matrix(0, nrow = 1, ncol = 1),
    prior_EX_tau_sd_inter = matrix(1, nrow = 1, ncol = 1),
    prior_is_EXNEX_comp = c(FALSE, FALSE),
    prior_is_EXNEX_inter = FALSE,
    prior_EX_prob_comp = matrix(1, nrow = 1, ncol = 2),
    prior_EX_prob_inter = matrix(1, nrow = 1, ncol = 1),
    prior_tau_dist = 0
  )
  diagnostics(fit, ds)
  s <- summarise_fit(fit, GRID)
  res[[ds]] <- data.frame(dataset = ds, cell = GRID$cell[s$row], dose_a = GRID$drug_A[s$row],
                          dose_b = GRID$drug_B[s$row], quantity = s$quantity, value = s$value,
                          mcse = s$mcse)
}
out <- do.call(rbind, res)
make_header <- function(what, iter, warmup)
  sprintf("# OncoBayes2 %s (%s), rstan %s, StanHeaders %s, posterior %s, %s; %d chains x %d iter (%d warmup), seed %d",
          packageVersion("OncoBayes2"), what, packageVersion("rstan"), packageVersion("StanHeaders"),
          packageVersion("posterior"), R.version.string, CHAINS, iter, warmup, SEED)
header <- make_header("blrm_exnex", ITER, WARMUP)
write_out <- function(x, file, header) {
  for (v in c("value", "mcse")) x[[v]] <- signif(x[[v]], 10)
  writeLines(header, file)
  suppressWarnings(write.table(x, file, sep = ",", row.names = FALSE, quote = FALSE, append = TRUE))
}
write_out(out, OUT, header)
cat("wrote", nrow(out), "rows to", OUT, "in", format(Sys.time() - t0), "\n")

if (EXAMPLES) {
  # OncoBayes2's documented combination examples, run as written (hierarchical, four groups, EX only,
  # log-normal tau) but with 4 chains x 12,000 iterations (2,000 warmup) instead of the dummy sampling.
  ex <- list()
  # (1) ?example-combo2: blrm_exnex on codata_combo2, dref = c(6, 960), linear interaction. The help page
  # fits the model only; here summary() of the fit at drug A 3, 4.5, 6, 8 x drug B 400, 600, 800 for the
  # groups trial_AB and IIT.
  EX_ITER <- as.integer(Sys.getenv("OB2_EX_ITER", "12000"))
  EX_WARMUP <- as.integer(Sys.getenv("OB2_EX_WARMUP", "2000"))
  options(OncoBayes2.MC.iter = EX_ITER, OncoBayes2.MC.warmup = EX_WARMUP)
  dref <- c(6, 960)
  set.seed(SEED)
  ex1 <- blrm_exnex(
    cbind(num_toxicities, num_patients - num_toxicities) ~
      1 + I(log(drug_A / dref[1])) |
      1 + I(log(drug_B / dref[2])) |
      0 + I(drug_A / dref[1] * drug_B / dref[2]) |
      group_id,
    data = codata_combo2,
    prior_EX_mu_mean_comp = matrix(c(logit(0.2), 0, logit(0.2), 0), nrow = 2, ncol = 2, byrow = TRUE),
    prior_EX_mu_sd_comp = matrix(c(2.0, 1, 2.0, 1), nrow = 2, ncol = 2, byrow = TRUE),
    prior_EX_tau_mean_comp = matrix(c(log(0.25), log(0.125), log(0.25), log(0.125)), nrow = 2, ncol = 2,
                                    byrow = TRUE),
    prior_EX_tau_sd_comp = matrix(log(4) / 1.96, nrow = 2, ncol = 2),
    prior_EX_mu_mean_inter = 0,
    prior_EX_mu_sd_inter = 1.121,
    prior_EX_tau_mean_inter = matrix(log(0.125), nrow = 1, ncol = 1),
    prior_EX_tau_sd_inter = matrix(log(4) / 1.96, nrow = 1, ncol = 1),
    prior_is_EXNEX_comp = rep(FALSE, 2),
    prior_is_EXNEX_inter = rep(FALSE, 1),
    prior_EX_prob_comp = matrix(1, nrow = nlevels(codata_combo2$group_id), ncol = 2),
    prior_EX_prob_inter = matrix(1, nrow = nlevels(codata_combo2$group_id), ncol = 1),
    prior_tau_dist = 1
  )
  diagnostics(ex1, "example-combo2")
  nd <- expand.grid(drug_B = c(400, 600, 800), drug_A = c(3, 4.5, 6, 8),
                    group_id = c("trial_AB", "IIT"))[, c("group_id", "drug_A", "drug_B")]
  nd$group_id <- factor(as.character(nd$group_id), levels = levels(codata_combo2$group_id))
  s <- summarise_fit(ex1, nd)
  ex[[1]] <- data.frame(example = "example-combo2", interaction = "linear", dref_a = dref[1],
                        dref_b = dref[2], group = nd$group_id[s$row], dose_a = nd$drug_A[s$row],
                        dose_b = nd$drug_B[s$row], quantity = s$quantity, value = s$value, mcse = s$mcse)
  # (2) ?example-combo2_trial: blrm_trial on hist_combo2 + codata_combo2's later cohorts, drug_info_combo2
  # (dref = 6, 1500), blrm_trial's default saturating interaction; summary(trial, "dose_prediction") on
  # dose_info_combo2 (the help page's last summary).
  setup <- blrm_trial(data = hist_combo2, dose_info = dose_info_combo2, drug_info = drug_info_combo2,
                      simplified_prior = FALSE)
  dims <- summary(setup, "dimensionality")
  set.seed(SEED)
  start <- update(
    setup,
    prior_EX_mu_mean_comp = matrix(c(logit(0.2), 0, logit(0.2), 0), nrow = 2, ncol = 2, byrow = TRUE),
    prior_EX_mu_sd_comp = matrix(c(2.0, 1, 2.0, 1), nrow = 2, ncol = 2, byrow = TRUE),
    prior_EX_tau_mean_comp = matrix(c(log(0.25), log(0.125), log(0.25), log(0.125)), nrow = 2, ncol = 2,
                                    byrow = TRUE),
    prior_EX_tau_sd_comp = matrix(log(4) / 1.96, nrow = 2, ncol = 2),
    prior_EX_mu_mean_inter = 0,
    prior_EX_mu_sd_inter = 1.121,
    prior_EX_tau_mean_inter = matrix(log(0.125), nrow = dims$num_strata, ncol = dims$num_interaction_terms),
    prior_EX_tau_sd_inter = matrix(log(4) / 1.96, nrow = dims$num_strata, ncol = dims$num_interaction_terms),
    prior_is_EXNEX_comp = rep(FALSE, dims$num_components),
    prior_is_EXNEX_inter = rep(FALSE, dims$num_interaction_terms),
    prior_EX_prob_comp = matrix(1, nrow = dims$num_groups, ncol = dims$num_components),
    prior_EX_prob_inter = matrix(1, nrow = dims$num_groups, ncol = dims$num_interaction_terms),
    prior_tau_dist = 1
  )
  set.seed(SEED)
  trial <- update(start, add_data = filter(codata_combo2, cohort_time > 0))
  diagnostics(trial$blrmfit, "example-combo2_trial")
  dp <- summary(trial, "dose_prediction")
  nd2 <- trial$dose_info
  s <- summarise_fit(trial$blrmfit, nd2)
  # the trial's own intervals are its drug_info's defaults, the same (0, 0.16, 0.33, 1)
  stopifnot(max(abs(dp$mean - s$value[s$quantity == "mean"])) < 1e-12,
            max(abs(dp$prob_overdose - s$value[s$quantity == "prob_over"])) < 1e-12)
  ex[[2]] <- data.frame(example = "example-combo2_trial", interaction = "saturating",
                        dref_a = drug_info_combo2$dose_ref[1], dref_b = drug_info_combo2$dose_ref[2],
                        group = as.character(nd2$group_id[s$row]), dose_a = nd2$drug_A[s$row],
                        dose_b = nd2$drug_B[s$row], quantity = s$quantity, value = s$value, mcse = s$mcse)
  exo <- do.call(rbind, ex)
  write_out(exo, OUT_EX, make_header("blrm_exnex / blrm_trial", EX_ITER, EX_WARMUP))
  cat("wrote", nrow(exo), "rows to", OUT_EX, "\n")
}
print(sessionInfo())
