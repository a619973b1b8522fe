# OncoBayes2 reference values for the single-agent BLRM via blrm_trial().
# Usage: Rscript oncobayes2_run.R   (run from scripts/, or set BLRM_REF_BASE)
# Requires: OncoBayes2 (tested 0.8-9 with rstan 2.21), RBesT, posterior, dplyr, tibble.

BASE <- Sys.getenv("BLRM_REF_BASE", "..")
RLIB <- Sys.getenv("BLRM_REF_RLIB", "")
if (nzchar(RLIB)) .libPaths(c(RLIB, .libPaths()))

ITER <- as.integer(Sys.getenv("OB2_ITER", "25000"))     # per chain, incl. warmup
WARMUP <- as.integer(Sys.getenv("OB2_WARMUP", "5000"))
CHAINS <- 4L
SEED <- 20240607L
ADAPT_DELTA <- 0.99 # OncoBayes2 default control

suppressPackageStartupMessages({
  library(OncoBayes2)
  library(posterior)
  library(dplyr)
  library(tibble)
})
source(file.path(BASE, "scripts", "datasets.R"))
options(mc.cores = 2L)
options(OncoBayes2.MC.iter = ITER, OncoBayes2.MC.warmup = WARMUP, OncoBayes2.MC.chains = CHAINS,
        OncoBayes2.MC.save_warmup = FALSE, OncoBayes2.MC.control = list(adapt_delta = ADAPT_DELTA))
pkg_version <- as.character(packageVersion("OncoBayes2"))
settings <- sprintf("rstan %s (Stan NUTS); %d chains x (%d iter incl. %d warmup) => %d draws; adapt_delta=%.2f; set.seed(%d) before each fit; OncoBayes2 %s, RBesT %s",
                    packageVersion("rstan"), CHAINS, ITER, WARMUP, CHAINS * (ITER - WARMUP), ADAPT_DELTA, SEED,
                    pkg_version, packageVersion("RBesT"))

run_one <- function(ds_name, ds, pr_name, pr) {
  cat(sprintf("[%s] dataset=%s prior=%s\n", format(Sys.time()), ds_name, pr_name))
  dref <- pr[["dref"]]
  drug_info <- tibble(drug_name = "drug_A", dose_ref = dref, dose_unit = "mg")
  dose_info <- tibble(group_id = "trial_A", drug_A = DOSES)
  if (nrow(ds) == 0) {
    # no data: one row with 0 patients (contributes nothing to the likelihood)
    hist <- tibble(group_id = "trial_A", drug_A = DOSES[1], num_patients = 0, num_toxicities = 0)
  } else {
    hist <- tibble(group_id = "trial_A", drug_A = ds$dose, num_patients = ds$n, num_toxicities = ds$r)
  }
  hist$group_id <- factor(hist$group_id, levels = "trial_A")
  dose_info$group_id <- factor(dose_info$group_id, levels = "trial_A")

  trial0 <- blrm_trial(data = hist, dose_info = dose_info, drug_info = drug_info,
                       simplified_prior = FALSE)
  set.seed(SEED)
  trial <- update(
    trial0,
    prior_EX_mu_mean_comp = matrix(c(pr[["m1"]], pr[["m2"]]), nrow = 1, ncol = 2),
    prior_EX_mu_sd_comp = matrix(c(pr[["s1"]], pr[["s2"]]), nrow = 1, ncol = 2),
    # tau fixed at 0 (prior_tau_dist = 0 fixes tau to its mean) => non-hierarchical BLRM
    prior_EX_tau_mean_comp = matrix(0, nrow = 1, ncol = 2),
    prior_EX_tau_sd_comp = matrix(1, nrow = 1, ncol = 2),
    prior_EX_prob_comp = matrix(1, nrow = 1, ncol = 1),
    prior_is_EXNEX_comp = FALSE,
    prior_tau_dist = 0,
    prior_PD = FALSE
  )

  # OncoBayes2's own summary at the provisional doses (mean, sd, 2.5/50/97.5% quantiles
  # (type 7), interval probabilities from cut(), ewoc_ok)
  dp <- summary(trial, "dose_prediction", prob = 0.95)
  # MCSE from the draws of p(d) (posterior package, chains kept)
  draws <- posterior_linpred(trial, transform = TRUE, newdata = trial$dose_info)
  nd <- nrow(draws)
  chain_id <- rep(seq_len(CHAINS), each = nd / CHAINS)
  ec <- summary(trial, "ewoc_check")

  rows <- list()
  add <- function(dose, quantity, value, mcse = NA_real_) {
    rows[[length(rows) + 1]] <<- data.frame(dose = dose, quantity = quantity, value = value, mcse = mcse)
  }
  for (j in seq_len(nrow(dp))) {
    p <- draws[, j]
    pm <- matrix(p, ncol = CHAINS) # iterations x chains (draws are stored chain after chain)
    ind <- function(x) matrix(as.numeric(x), ncol = CHAINS)
    add(dp$drug_A[j], "mean", dp$mean[j], mcse_mean(pm))
    add(dp$drug_A[j], "sd", dp$sd[j], mcse_sd(pm))
    add(dp$drug_A[j], "q02.5", dp[["2.5%"]][j], mcse_quantile(pm, 0.025))
    add(dp$drug_A[j], "q50.0", dp[["50%"]][j], mcse_quantile(pm, 0.5))
    add(dp$drug_A[j], "q97.5", dp[["97.5%"]][j], mcse_quantile(pm, 0.975))
    add(dp$drug_A[j], "prob_underdose", dp$prob_underdose[j], mcse_mean(ind(p <= 0.16)))
    add(dp$drug_A[j], "prob_target", dp$prob_target[j], mcse_mean(ind(p > 0.16 & p <= 0.33)))
    add(dp$drug_A[j], "prob_overdose", dp$prob_overdose[j], mcse_mean(ind(p > 0.33)))
    add(dp$drug_A[j], "ewoc_ok", as.numeric(dp$ewoc_ok[j]))
    # OncoBayes2 ewoc_check: 75% quantile of p(d) (EWOC <=> q75 <= 0.33), its MCSE, Rhat, ESS
    add(dp$drug_A[j], "q75.0[ewoc_check]", ec$prob_overdose_est[j], ec$prob_overdose_mcse[j])
    add(dp$drug_A[j], "ewoc_check_stat", ec$prob_overdose_stat[j])
    add(dp$drug_A[j], "ewoc_check_rhat", ec$prob_overdose_rhat[j])
    add(dp$drug_A[j], "ewoc_check_ess", ec$prob_overdose_ess[j])
  }
  # sanity check that draws and summary agree
  stopifnot(max(abs(colMeans(draws) - dp$mean)) < 1e-12)
  # posterior of the parameters. NB: the Stan generated quantity beta_group holds
  # (log alpha, beta) -- the slope is already exponentiated (inst/stan/blrm_exnex.stan:
  # "beta[g,j,2] = exp(beta[g,j,2])") -- so log beta = log(column 2).
  post <- as.matrix(trial$blrmfit$stanfit, pars = "beta_group")
  la <- post[, 1]
  lb <- log(post[, 2])
  add(NA_real_, "post_mean_log_alpha", mean(la))
  add(NA_real_, "post_mean_log_beta", mean(lb))
  add(NA_real_, "post_mean_beta", mean(post[, 2]))
  add(NA_real_, "post_sd_log_alpha", sd(la))
  add(NA_real_, "post_sd_log_beta", sd(lb))
  add(NA_real_, "post_cor_log_alpha_log_beta", cor(la, lb))
  add(NA_real_, "num_divergent", sum(rstan::get_divergent_iterations(trial$blrmfit$stanfit)))

  out <- do.call(rbind, rows)
  n_at <- function(d) if (is.na(d)) NA_real_ else sum(ds$n[ds$dose == d])
  r_at <- function(d) if (is.na(d)) NA_real_ else sum(ds$r[ds$dose == d])
  data.frame(
    source = "OncoBayes2", package_version = pkg_version, dataset = ds_name,
    dose = out$dose, n = sapply(out$dose, n_at), r = sapply(out$dose, r_at),
    prior = pr_name, prior_m1 = pr[["m1"]], prior_m2 = pr[["m2"]],
    prior_s1 = pr[["s1"]], prior_s2 = pr[["s2"]], prior_r = pr[["r"]], dref = dref,
    quantity = out$quantity, value = out$value, mcse = out$mcse,
    settings = settings, stringsAsFactors = FALSE
  )
}

res <- list()
for (pr_name in names(PRIORS)) {
  pr <- PRIORS[[pr_name]]
  if (pr[["r"]] != 0) {
    cat("skipping prior", pr_name, ": OncoBayes2 0.8-9 only supports independent normal priors on mu\n")
    next
  }
  for (ds_name in names(DATASETS)) {
    res[[length(res) + 1]] <- run_one(ds_name, DATASETS[[ds_name]], pr_name, pr)
  }
}
out <- do.call(rbind, res)
dir.create(file.path(BASE, "out"), showWarnings = FALSE)
write.csv(out, file.path(BASE, "out", "oncobayes2.csv"), row.names = FALSE)
cat("wrote", nrow(out), "rows\n")
print(sessionInfo())
