## RBesT reference values for dosefind's prior/ package (tests/published/test_rbest_reference.py).
##
## Run from the repository root with RBesT on the library path, e.g.
##   R_LIBS=<folder with RBesT> Rscript benchmarks/reference/rbest/rbest_reference.R
## Writes tests/published/data/rbest_reference.csv (one row per number: case, quantity, value, mcse).
## Deterministic cases have mcse NA; MCMC cases (gMAP on the AS data) carry rstan's MCSE.
suppressPackageStartupMessages(library(RBesT))
options(RBesT.verbose = FALSE)
out <- "tests/published/data/rbest_reference.csv"
rows <- list()
add <- function(case, quantity, value, mcse = NA) {
  rows[[length(rows) + 1]] <<- data.frame(case = case, quantity = quantity,
                                          value = sprintf("%.17g", value),
                                          mcse = ifelse(is.na(mcse), "NA", sprintf("%.17g", mcse)))
}
add_mix <- function(case, mix) {
  for (k in seq_len(ncol(mix))) {
    add(case, paste0("w", k), mix[1, k]); add(case, paste0("a", k), mix[2, k]); add(case, paste0("b", k), mix[3, k])
  }
}
add_ess <- function(case, mix) {
  for (m in c("elir", "moment", "morita")) add(case, paste0("ess_", m), suppressWarnings(ess(mix, m)))
}

## 1. ESS of documented beta mixtures (man/ess.Rd examples) and a few more
ess_cases <- list(
  beta_5_15 = mixbeta(c(1, 5, 15)),
  beta_3_5 = mixbeta(c(1, 3, 5)),
  beta_1_1 = mixbeta(c(1, 1, 1)),
  essdoc_bmix = mixbeta(rob = c(0.2, 1, 1), inf = c(0.8, 10, 2)),
  mix3 = mixbeta(c(0.5, 4, 20), c(0.3, 12, 30), c(0.2, 2, 2))
)
for (nm in names(ess_cases)) {
  mix <- ess_cases[[nm]]
  add_mix(nm, mix)
  add_ess(nm, mix)
  s <- summary(mix)
  add(nm, "mean", s["mean"]); add(nm, "sd", s["sd"])
  q <- qmix(mix, c(0.025, 0.5, 0.975))
  add(nm, "q025", q[1]); add(nm, "q500", q[2]); add(nm, "q975", q[3])
  add(nm, "mode", RBesT:::mixmode(mix))
}

## 1b. ESS of the normal mixture of the ?ess examples, reference scale sigma = 10 and 20
nmix <- mixnorm(rob = c(0.5, 0, 2), inf = c(0.5, 3, 4), sigma = 10)
for (sg in c(10, 20)) {
  sigma(nmix) <- sg
  nm <- paste0("essdoc_nmix_sigma", sg)
  for (k in seq_len(ncol(nmix))) {
    add(nm, paste0("w", k), nmix[1, k]); add(nm, paste0("m", k), nmix[2, k]); add(nm, paste0("s", k), nmix[3, k])
  }
  add(nm, "sigma", sg)
  for (m in c("elir", "moment", "morita")) add(nm, paste0("ess_", m), suppressMessages(ess(nmix, m)))
  add(nm, "mode", RBesT:::mixmode(nmix))
}

## 2. conjugate update (postmix) and robustify
pm_prior <- mixbeta(inf = c(0.8, 10, 30), rob = c(0.2, 1, 1))
add_mix("postmix_prior", pm_prior)
add_mix("postmix_n20_r6", postmix(pm_prior, n = 20, r = 6))
add_mix("postmix_n20_r15", postmix(pm_prior, n = 20, r = 15))
rb <- suppressMessages(robustify(mixbeta(c(0.6, 12, 40), c(0.4, 5, 9)), weight = 0.2))
add_mix("robustify_w02_default_mean", rb)
rb2 <- robustify(mixbeta(c(0.6, 12, 40), c(0.4, 5, 9)), weight = 0.1, mean = 0.25, n = 3)
add_mix("robustify_w01_mean025_n3", rb2)

## 3. EM on a deterministic sample (no RNG): stratified quantiles of the automixfit example mixture,
##    reordered by the fractional parts of i * golden ratio so the sample is not sorted
phi <- (sqrt(5) - 1) / 2
x <- c(qbeta(ppoints(800), 20, 90), qbeta(ppoints(1200), 35, 65))
x <- x[order((seq_along(x) * phi) %% 1)]
fit2 <- mixfit(x, type = "beta", Nc = 2)
add_mix("em_strat_nc2", fit2)
add("em_strat_nc2", "loglik", attr(fit2, "lli"))
auto <- automixfit(x, type = "beta")
models <- attr(auto, "models")
for (nc in names(models)) {
  add("em_strat_auto", paste0("aic_k6_nc", nc), AIC(models[[nc]], k = 6))
  add("em_strat_auto", paste0("aic_k2_nc", nc), AIC(models[[nc]], k = 2))
  add("em_strat_auto", paste0("bic_nc", nc), BIC(models[[nc]]))
  add("em_strat_auto", paste0("loglik_nc", nc), attr(models[[nc]], "lli"))
}
add("em_strat_auto", "chosen_nc", ncol(auto))

## 4. gMAP on the AS data: the documented example (?gMAP: seed 34563, HalfNormal(0, 1) on tau,
##    N(0, 2^2) on the intercept, default MCMC settings), then a long run for precise reference values
AS_data <- AS
for (i in seq_len(nrow(AS_data))) {
  add("AS_data", paste0("n", i), AS_data$n[i]); add("AS_data", paste0("r", i), AS_data$r[i])
}
run_gmap <- function(case, seed, iter, warmup, chains, thin) {
  options(RBesT.MC.iter = iter, RBesT.MC.warmup = warmup, RBesT.MC.chains = chains, RBesT.MC.thin = thin)
  set.seed(seed)
  map <- gMAP(cbind(r, n - r) ~ 1 | study, family = binomial, data = AS,
              tau.dist = "HalfNormal", tau.prior = 1, beta.prior = 2)
  sm <- rstan::summary(map$fit, pars = c("theta_resp_pred", "tau[1]", "beta[1]"))$summary
  draws <- as.vector(rstan::extract(map$fit, pars = "theta_resp_pred")$theta_resp_pred)
  add(case, "seed", seed); add(case, "iter", iter); add(case, "warmup", warmup)
  add(case, "chains", chains); add(case, "thin", thin)
  add(case, "pred_mean", sm["theta_resp_pred", "mean"], sm["theta_resp_pred", "se_mean"])
  add(case, "pred_sd", sm["theta_resp_pred", "sd"])
  add(case, "pred_q025", sm["theta_resp_pred", "2.5%"]); add(case, "pred_q975", sm["theta_resp_pred", "97.5%"])
  add(case, "pred_ess", sm["theta_resp_pred", "n_eff"])
  add(case, "tau_mean", sm["tau[1]", "mean"], sm["tau[1]", "se_mean"])
  add(case, "tau_sd", sm["tau[1]", "sd"]); add(case, "tau_ess", sm["tau[1]", "n_eff"])
  add(case, "mu_mean", sm["beta[1]", "mean"], sm["beta[1]", "se_mean"])
  add(case, "mu_sd", sm["beta[1]", "sd"]); add(case, "mu_ess", sm["beta[1]", "n_eff"])
  add(case, "pred_draws", length(draws))
  mix <- automixfit(map)
  add(case, "automix_nc", ncol(mix))
  add_mix(case, mix)
  for (nc in names(attr(mix, "models"))) add(case, paste0("automix_aic_k6_nc", nc), AIC(attr(mix, "models")[[nc]], k = 6))
  add_ess(case, mix)
  rob <- robustify(mix, weight = 0.2, mean = 0.5)
  add_ess(paste0(case, "_robust_w02"), rob)
  add_mix(paste0(case, "_robust_w02"), rob)
  post <- postmix(mix, n = 20, r = 5)
  add_mix(paste0(case, "_post_n20_r5"), post)
  map
}
invisible(run_gmap("gmap_AS_doc", 34563, 6000, 2000, 4, 4))
invisible(run_gmap("gmap_AS_long", 20261202, 42000, 2000, 4, 4))

res <- do.call(rbind, rows)
hdr <- c(
  paste0("# RBesT ", packageVersion("RBesT"), " (CRAN 1.7-2 source), rstan ", packageVersion("rstan"),
         ", StanHeaders ", packageVersion("StanHeaders"), ", ", R.version.string),
  "# script: benchmarks/reference/rbest/rbest_reference.R; every value printed with %.17g",
  "# gmap_*: gMAP(cbind(r, n - r) ~ 1 | study, family = binomial, data = AS, tau.dist = 'HalfNormal', tau.prior = 1, beta.prior = 2), options RBesT.MC.* as in the rows seed/iter/warmup/chains/thin; mcse = rstan se_mean",
  "# automixfit defaults: Nc = 1:4, AIC penalty k = 6, EM_bmm_ab with constrain_gt1 = TRUE; robustify(mix, weight, mean = 0.5, n = 1) adds Beta(mean*(n+1), (1-mean)*(n+1))"
)
con <- file(out, "w")
writeLines(hdr, con)
write.csv(res, con, row.names = FALSE, quote = FALSE)
close(con)
cat("wrote", out, nrow(res), "rows\n")
