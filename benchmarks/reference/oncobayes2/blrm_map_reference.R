## OncoBayes2 reference values of a BLRM MAP prior (tests/published/test_oncobayes2_map.py).
##
## Run from the repository root with OncoBayes2 (and RBesT, posterior) on the library path:
##   R_LIBS=<folder with OncoBayes2> Rscript benchmarks/reference/oncobayes2/blrm_map_reference.R
## Writes tests/published/data/oncobayes2_blrm_map.csv: for a new trial exchangeable with the hist_SA
## trial, the predictive (MAP) distribution of p(d) at eight doses: mean, sd, quantiles, P(p >= 0.33),
## each with its MCSE (posterior package, chains kept).
suppressPackageStartupMessages({
  library(OncoBayes2)
  library(posterior)
})
SEED <- 20261202
CHAINS <- 4
ITER <- 11000
WARMUP <- 1000
options(OncoBayes2.MC.iter = ITER, OncoBayes2.MC.warmup = WARMUP, OncoBayes2.MC.chains = CHAINS,
        OncoBayes2.MC.save_warmup = FALSE)
out <- "tests/published/data/oncobayes2_blrm_map.csv"
dref <- 50
DOSES <- c(1, 2.5, 5, 10, 25, 50, 100, 250)

hist <- hist_SA
hist$group_id <- factor(as.character(hist$group_id), levels = c("trial_A", "trial_new"))
set.seed(SEED)
fit <- blrm_exnex(
  cbind(num_toxicities, num_patients - num_toxicities) ~ 1 + log(drug_A / dref) | 0 | group_id,
  data = hist,
  ## the per-drug priors of ?example-combo2
  prior_EX_mu_mean_comp = matrix(c(logit(0.2), 0), nrow = 1, ncol = 2),
  prior_EX_mu_sd_comp = matrix(c(2, 1), nrow = 1, ncol = 2),
  prior_EX_tau_mean_comp = matrix(c(log(0.25), log(0.125)), nrow = 1, ncol = 2),
  prior_EX_tau_sd_comp = matrix(c(log(4) / 1.96, log(4) / 1.96), nrow = 1, ncol = 2),
  prior_EX_corr_eta_comp = 1,
  prior_EX_prob_comp = matrix(1, nrow = 2, ncol = 1),
  prior_is_EXNEX_comp = FALSE,
  prior_tau_dist = 1,
  prior_PD = FALSE
)
nd <- data.frame(group_id = factor("trial_new", levels = levels(hist$group_id)), drug_A = DOSES)
draws <- posterior_linpred(fit, transform = TRUE, newdata = nd)
n <- nrow(draws)
rows <- list()
add <- function(dose, quantity, value, mcse = NA_real_) {
  rows[[length(rows) + 1]] <<- data.frame(dose = dose, quantity = quantity, value = sprintf("%.17g", value),
                                          mcse = ifelse(is.na(mcse), "NA", sprintf("%.17g", mcse)))
}
for (j in seq_along(DOSES)) {
  x <- matrix(draws[, j], ncol = CHAINS)  # draws are stored chain after chain
  dv <- posterior::as_draws_array(array(x, dim = c(nrow(x), CHAINS, 1), dimnames = list(NULL, NULL, "p")))
  p <- dv[, , "p"]
  add(DOSES[j], "mean", mean(x), posterior::mcse_mean(p))
  add(DOSES[j], "sd", sd(as.vector(x)), posterior::mcse_sd(p))
  for (q in c(0.05, 0.5, 0.95)) add(DOSES[j], sprintf("q%03d", round(1000 * q)), quantile(x, q), posterior::mcse_quantile(p, q))
  over <- 1 * (x >= 0.33)
  po <- posterior::as_draws_array(array(over, dim = c(nrow(x), CHAINS, 1), dimnames = list(NULL, NULL, "o")))[, , "o"]
  add(DOSES[j], "p_over_033", mean(over), posterior::mcse_mean(po))
  add(DOSES[j], "ess_bulk", posterior::ess_bulk(p))
}
res <- do.call(rbind, rows)
hdr <- c(
  paste0("# OncoBayes2 ", packageVersion("OncoBayes2"), ", RBesT ", packageVersion("RBesT"), ", rstan ",
         packageVersion("rstan"), ", posterior ", packageVersion("posterior"), ", ", R.version.string),
  sprintf("# blrm_exnex on hist_SA (group levels trial_A, trial_new), dref = %g, EX priors of ?example-combo2 per drug: mu ~ N((logit 0.2, 0), (2, 1)), tau log-normal (log 0.25, log 0.125; sd log(4)/1.96), LKJ(1), prior_tau_dist = 1", dref),
  sprintf("# p(d) of the new group trial_new (posterior_linpred(transform = TRUE)): %d chains x (%d iter incl. %d warmup), set.seed(%d); adapt_delta 0.99 (OncoBayes2 default); mcse from the posterior package", CHAINS, ITER, WARMUP, SEED),
  "# script: benchmarks/reference/oncobayes2/blrm_map_reference.R; values %.17g"
)
con <- file(out, "w")
writeLines(hdr, con)
write.csv(res, con, row.names = FALSE, quote = FALSE)
close(con)
cat("wrote", out, nrow(res), "rows; divergences:", sum(rstan::get_divergent_iterations(fit$stanfit)), "\n")
