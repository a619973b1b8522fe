# Reference posteriors of the EXNEX (Neuenschwander et al. 2016) and Berry (Berry et al. 2013) basket-trial
# models as implemented in the R package bhmbasket (JAGS via rjags), for checking dosefind.basket's
# quadrature posteriors (Exnex, Berry).
# Run from the repository root with bhmbasket, rjags and JAGS installed (see README.md in this folder):
#   R_LIBS=<lib> Rscript benchmarks/reference/bhmbasket/bhmbasket_reference.R \
#     > tests/published/data/bhmbasket_reference.csv
# Takes about 20 minutes on 2 cores (chains run in parallel with parallel::mclapply; set
# BHM_CORES=<n> to change). Progress and a cross-check against bhmbasket::performAnalyses go to stderr.
# BHM_MODELS=exnex (or berry) runs only that model's cases; the seeds depend on the case's position in
# the full list, so the rows are the same as in a full run.
#
# The JAGS model files and the JAGS data lists are bhmbasket's own: the model file comes from
# bhmbasket:::getModelFile() and the data from bhmbasket:::prepareAnalysis() applied to the output of
# setPriorParametersExNex() / setPriorParametersBerry() / getPriorParameters(), exactly as
# performAnalyses() does it. Only the MCMC driver is ours: performAnalyses() keeps just quantiles,
# mean and SD of 2 chains with an unseeded RNG, so it cannot give P(p > q0) with a Monte Carlo error.
# Per case: 4 chains (JAGS RNG base::Mersenne-Twister, .RNG.seed = 1000 * case + chain), 2,000
# adaptation + 20,000 burn-in iterations, then 1,000,000 (EXNEX) or 4,000,000 (Berry, which mixes
# worse: tau near 0 in the centred parameterisation) iterations per chain without thinning, monitored
# in batches of 50,000. MCSE by batch means: the 80 (EXNEX) or 320 (Berry) batch means pooled over the
# chains, mcse = sd(batch means) / sqrt(number of batches).
#
# Output: first line a comment with the versions; then CSV, one row per (dataset, model, cohort,
# quantity):
#   dataset   name of the data set (doc_* from bhmbasket's man-page examples, chugh2009_* from its
#             vignette reproducing Neuenschwander et al. 2016, hand_* made up here)
#   model     exnex or berry (bhmbasket method names)
#   k,n,r,q0  number of cohorts; per-cohort sample sizes, responders and q0 (space-separated)
#   params    prior parameters in dosefind's names (';'-separated key=value):
#             exnex: p_ex, mu_mean, mu_sd, tau_scale, nex_mean, nex_sd (nex_mean equal in all cohorts)
#             berry: target, mu_mean, mu_sd, tau_scale -- bhmbasket's Berry model has a HALF-NORMAL tau
#             (sd of the underlying normal tau_scale, truncated below at 0.001), NOT dosefind's
#             sigma^2 ~ InvGamma(sigma2_shape, sigma2_scale)
#   cohort    1..k
#   quantity  mean (posterior mean of the response rate p_k) or prob_above_q0 (P(p_k > q0_k | data))
#   value     Monte Carlo estimate from 4,000,000 (EXNEX) or 16,000,000 (Berry) draws
#   mcse      its batch-means Monte Carlo standard error
suppressPackageStartupMessages({
  library(bhmbasket)
  library(rjags)
  library(parallel)
})

n_chains <- 4L
n_adapt <- 2000L
n_burnin <- 20000L
n_iter <- as.integer(Sys.getenv("BHM_ITER", "1000000"))  # per chain; Berry 4 times as many
iter_factor <- c(exnex = 1L, berry = 4L)
models_run <- strsplit(Sys.getenv("BHM_MODELS", "exnex,berry"), ",")[[1]]
batch <- 50000L
n_cores <- as.integer(Sys.getenv("BHM_CORES", "2"))

versions <- sprintf("# bhmbasket %s, rjags %s, JAGS %s, R %s",
  as.character(packageVersion("bhmbasket")), as.character(packageVersion("rjags")),
  as.character(jags.version()), as.character(getRversion()))
cat(versions, "\n", sep = "")
cat(versions, "\n", sep = "", file = stderr())

fmt <- function(x) format(x, digits = 15, trim = TRUE)
logit <- function(p) log(p / (1 - p))

## ---- cases -------------------------------------------------------------------------------------
## Each case: dataset, model, n, r, q0 (a list of q0 vectors: several give several data set names from
## the same draws), prior (a bhmbasket prior_parameters_list), target_rates (Berry: logit offset).

exnex_prior <- function(p_ex, mu_mean, mu_sd, tau_scale, nex_mean, nex_sd, k) {
  setPriorParametersExNex(mu_mean = mu_mean, mu_sd = mu_sd, tau_scale = tau_scale,
    mu_j = rep(nex_mean, k), tau_j = rep(nex_sd, k), w_j = p_ex)
}
exnex_params <- function(pp) {
  stopifnot(length(pp$mu_mean) == 1, length(pp$w_j) == 1,
    length(unique(pp$mu_j)) == 1, length(unique(pp$tau_j)) == 1)
  sprintf("p_ex=%s;mu_mean=%s;mu_sd=%s;tau_scale=%s;nex_mean=%s;nex_sd=%s", fmt(pp$w_j),
    fmt(pp$mu_mean), fmt(pp$mu_sd), fmt(pp$tau_scale), fmt(pp$mu_j[1]), fmt(pp$tau_j[1]))
}
berry_params <- function(pp, target) {
  stopifnot(length(unique(target)) == 1)
  sprintf("target=%s;mu_mean=%s;mu_sd=%s;tau_scale=%s", fmt(target[1]), fmt(pp$mu_mean),
    fmt(pp$mu_sd), fmt(pp$tau_scale))
}

cases <- list()
add <- function(dataset, model, n, r, q0, prior, target = NULL) {
  cases[[length(cases) + 1]] <<- list(dataset = dataset, model = model, n = n, r = r, q0 = q0,
    prior = prior[[model]], target = target)
}

## (a) bhmbasket man-page examples analysing one observed trial (createTrial + performAnalyses with
## the default priors getPriorParameters(method_names, target_rates), n_worth = 1, tau_scale = 1,
## w_j = 0.5): ?getEstimates (target 0.1) and ?performAnalyses (target 0.5); q0 = target.
for (ex in list(list(name = "doc_getEstimates", t = 0.1), list(name = "doc_performAnalyses", t = 0.5))) {
  tr <- rep(ex$t, 3)
  q0 <- setNames(list(tr), ex$name)
  dp <- getPriorParameters(c("berry", "exnex"), target_rates = tr)
  add(ex$name, "exnex", c(10, 20, 30), c(1, 2, 3), q0, dp)
  add(ex$name, "berry", c(10, 20, 30), c(1, 2, 3), q0, dp, target = tr)
}

## (b) Chugh et al. (2009) sarcoma trial, EXNEX prior of Neuenschwander et al. (2016) Appendix 5.3 as in
## bhmbasket's vignette reproduceExNex. The vignette has two EX components with weights (0.5, 0, 0.5);
## the second has weight 0, so the model is the one-EX-component EXNEX used here (mu ~ N(-1.735,
## 1/0.146), tau ~ HN(1), NEX N(-1.734, 1/0.128), P(EX) 0.5). P(p > q0) for q0 = 0.1 and 0.3 (null and
## target rates of the trial).
chugh_n <- c(15, 13, 12, 28, 29, 29, 26, 5, 2, 20)
chugh_r <- c(2, 0, 1, 6, 7, 3, 5, 1, 0, 3)
add("chugh2009", "exnex", chugh_n, chugh_r,
  list(chugh2009_q0_10 = rep(0.1, 10), chugh2009_q0_30 = rep(0.3, 10)),
  exnex_prior(p_ex = 0.5, mu_mean = -1.735, mu_sd = 0.146^-0.5, tau_scale = 1,
    nex_mean = -1.734, nex_sd = 0.128^-0.5, k = 10))

## (c) hand-made: K = 3, n = (10, 14, 20), q0 = 0.15 in every cohort.
hand_n <- c(10, 14, 20)
hand_r <- list(hand_1 = c(1, 2, 3), hand_2 = c(1, 2, 6), hand_3 = c(0, 5, 10))
for (nm in names(hand_r)) {
  q0 <- setNames(list(rep(0.15, 3)), nm)
  ## EXNEX A: dosefind's Exnex defaults with q0 = 0.15
  add(nm, "exnex", hand_n, hand_r[[nm]], setNames(list(rep(0.15, 3)), paste0(nm, "_exnexA")),
    exnex_prior(p_ex = 0.5, mu_mean = logit(0.15), mu_sd = 3.16, tau_scale = 1,
      nex_mean = logit(0.15), nex_sd = 2, k = 3))
  ## EXNEX B: more EX weight, tighter tau, EX mean away from q0
  add(nm, "exnex", hand_n, hand_r[[nm]], setNames(list(rep(0.15, 3)), paste0(nm, "_exnexB")),
    exnex_prior(p_ex = 0.8, mu_mean = logit(0.3), mu_sd = 1.5, tau_scale = 0.5,
      nex_mean = logit(0.15), nex_sd = 1.5, k = 3))
  ## Berry: target 0.15, mu ~ N(0, 2^2), tau ~ HN(1)
  add(nm, "berry", hand_n, hand_r[[nm]], q0,
    setPriorParametersBerry(mu_mean = 0, mu_sd = 2, tau_scale = 1), target = rep(0.15, 3))
}

## ---- MCMC ----------------------------------------------------------------------------------------

run_chain <- function(model_file, data, seed, q0_list, n_iter) {
  k <- length(data$n)
  m <- jags.model(model_file, data = data,
    inits = list(.RNG.name = "base::Mersenne-Twister", .RNG.seed = seed),
    n.chains = 1, n.adapt = 0, quiet = TRUE)
  adapt(m, n.iter = n_adapt, end.adaptation = TRUE, progress.bar = "none")
  update(m, n.iter = n_burnin, progress.bar = "none")
  nb <- n_iter %/% batch
  bm_mean <- matrix(NA_real_, nb, k)
  bm_prob <- lapply(q0_list, function(q) matrix(NA_real_, nb, k))
  for (b in seq_len(nb)) {
    s <- coda.samples(m, "p", n.iter = batch, progress.bar = "none")[[1]]
    p <- as.matrix(s)[, paste0("p[", seq_len(k), "]"), drop = FALSE]
    bm_mean[b, ] <- colMeans(p)
    for (j in seq_along(q0_list)) {
      bm_prob[[j]][b, ] <- colMeans(p > matrix(q0_list[[j]], nrow(p), k, byrow = TRUE))
    }
  }
  list(mean = bm_mean, prob = bm_prob)
}

summarise <- function(bm) {
  ## bm: (batches x k) matrix of batch means pooled over chains
  list(value = colMeans(bm), mcse = apply(bm, 2, sd) / sqrt(nrow(bm)))
}

cat("dataset,model,k,n,r,q0,params,cohort,quantity,value,mcse\n")
t_all <- proc.time()
for (ci in seq_along(cases)) {
  cs <- cases[[ci]]
  if (!cs$model %in% models_run) next
  t0 <- proc.time()
  pa <- bhmbasket:::prepareAnalysis(cs$model, prior_parameters = cs$prior, target_rates = cs$target)
  data <- pa$j_data
  data$r <- cs$r
  data$n <- cs$n
  params <- if (cs$model == "exnex") exnex_params(cs$prior) else berry_params(cs$prior, cs$target)
  chains <- mclapply(seq_len(n_chains), function(ch) {
    run_chain(pa$j_model_file, data, seed = 1000L * ci + ch, q0_list = cs$q0,
      n_iter = n_iter * iter_factor[[cs$model]])
  }, mc.cores = n_cores, mc.set.seed = FALSE)
  if (any(vapply(chains, inherits, logical(1), "try-error"))) stop("a chain failed: ", chains)
  k <- length(cs$n)
  sm <- summarise(do.call(rbind, lapply(chains, `[[`, "mean")))
  ## chain agreement: largest |chain mean - pooled mean| / (pooled mcse * sqrt(n_chains))
  z_chain <- max(sapply(chains, function(x) abs(colMeans(x$mean) - sm$value) / (sm$mcse * sqrt(n_chains))))
  for (j in seq_along(cs$q0)) {
    sp <- summarise(do.call(rbind, lapply(chains, function(x) x$prob[[j]])))
    head <- sprintf("%s,%s,%d,%s,%s,%s,%s", names(cs$q0)[j], cs$model, k, paste(cs$n, collapse = " "),
      paste(cs$r, collapse = " "), paste(fmt(cs$q0[[j]]), collapse = " "), params)
    for (i in seq_len(k)) {
      cat(sprintf("%s,%d,mean,%.8f,%.2e\n", head, i, sm$value[i], sm$mcse[i]))
      cat(sprintf("%s,%d,prob_above_q0,%.8f,%.2e\n", head, i, sp$value[i], sp$mcse[i]))
    }
  }
  cat(sprintf("case %d/%d %s %s: %.0f s, max mcse mean %.1e, chain-agreement z %.2f\n", ci, length(cases),
    cs$dataset, cs$model, (proc.time() - t0)[["elapsed"]], max(sm$mcse), z_chain), file = stderr())
}
cat(sprintf("total %.0f s\n", (proc.time() - t_all)[["elapsed"]]), file = stderr())

## ---- cross-check against bhmbasket's own driver ----------------------------------------------
## performAnalyses() on the ?getEstimates example with its default priors: its posterior means
## (2 chains x 2e5 iterations, a third used as burn-in) should agree with the rows above.
set.seed(1)
outcome <- createTrial(n_subjects = c(10, 20, 30), n_responders = c(1, 2, 3))
pa_check <- suppressWarnings(performAnalyses(outcome, method_names = c("berry", "exnex"),
  target_rates = rep(0.1, 3), n_mcmc_iterations = 2e5, verbose = FALSE))
for (mt in c("berry", "exnex")) {
  q <- pa_check$scenario_1$quantiles_list[[mt]][[1]]
  cat(sprintf("performAnalyses check %s: posterior means %s\n", mt,
    paste(sprintf("%.5f", q["Mean", paste0("p_", 1:3)]), collapse = " ")), file = stderr())
}
