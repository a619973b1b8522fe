# Re-run one OncoBayes2 fit (low_safe, ob2_simplified_p02) with other seeds to check that the
# ~3 sigma deviations from own integration seen with seed 20240607 are Monte Carlo noise.
BASE <- Sys.getenv("BLRM_REF_BASE", "..")
RLIB <- Sys.getenv("BLRM_REF_RLIB", "")
if (nzchar(RLIB)) .libPaths(c(RLIB, .libPaths()))
suppressPackageStartupMessages({library(OncoBayes2); library(tibble)})
source(file.path(BASE, "scripts", "datasets.R"))
options(mc.cores = 2L, OncoBayes2.MC.iter = 25000, OncoBayes2.MC.warmup = 5000, OncoBayes2.MC.chains = 4,
        OncoBayes2.MC.save_warmup = FALSE)
pr <- PRIORS$ob2_simplified_p02; ds <- DATASETS$low_safe
hist <- tibble(group_id = factor("trial_A"), drug_A = ds$dose, num_patients = ds$n, num_toxicities = ds$r)
t0 <- blrm_trial(hist, tibble(group_id = factor("trial_A"), drug_A = DOSES), tibble(drug_name = "drug_A", dose_ref = 50, dose_unit = "mg"))
for (seed in c(1L, 2L)) {
  set.seed(seed)
  t1 <- update(t0, prior_EX_mu_mean_comp = matrix(c(pr[["m1"]], pr[["m2"]]), 1), prior_EX_mu_sd_comp = matrix(c(pr[["s1"]], pr[["s2"]]), 1),
               prior_EX_tau_mean_comp = matrix(0, 1, 2), prior_EX_tau_sd_comp = matrix(1, 1, 2), prior_EX_prob_comp = matrix(1, 1, 1),
               prior_is_EXNEX_comp = FALSE, prior_tau_dist = 0)
  dp <- summary(t1, "dose_prediction")
  cat("seed", seed, "\n"); print(as.data.frame(dp[dp$drug_A %in% c(20, 25, 50, 250), c("drug_A", "mean", "97.5%", "prob_target", "prob_overdose")]))
}
