# Reference values of Fujikawa et al.'s (2020) design with one interim analysis (two stages) from the
# baskexact R package (exact calculation).
# Run from the repository root with baskexact installed into <lib> (see README.md in this folder):
#   R_LIBS=<lib> Rscript benchmarks/reference/baskexact/fujikawa_twostage_reference.R \
#     > src/dosefind/conformance/data/baskexact_fujikawa_twostage.csv
# The first line written (to stderr, and as a comment at the top of the CSV) names the baskexact and R
# versions; the run takes about 5 minutes on one core (4 of them for setting 5).
# Every setting has a basket with p1 == p0, so every setting uses toer() (never pow()).
# Output: one row per (setting, quantity). Settings vary k, n, n1, p0, prior, epsilon, tau, lambda, the
# interim rule (interim_postpred or interim_posterior with prob_futstop and prob_effstop) and the true
# rates p1. Quantities, all as baskexact computes them:
#   reject_<i>  toer(results = "group")$rejection_probabilities[i]: P(basket i is rejected, at the
#               interim by an efficacy stop or at the final analysis) under p1
#   fwer        toer(results = "group")$fwer: P(any basket with p1 == p0 is rejected) under p1
#               (checked against toer(results = "fwer"), which computes it another way)
#   ess_<i>     ess()[i]: expected sample size of basket i under p1 (n1 if stopped at interim, else n)
# and, for three interim response vectors r1 per setting (set.seed(setting), each count uniform on
# 0..n1):
#   crit        baskexact:::get_crit(design, n, lambda): the final critical count without borrowing
#   pp_<i>      (interim = "postpred") the posterior predictive probability interim_postpred thresholds:
#               baskexact:::post_pred(n, n1, r1, beta_borrow(weight_mat, n = n1, r = r1), crit)
#   post_<i>    (interim = "posterior") the posterior probability interim_posterior thresholds:
#               baskexact:::post_beta(beta_borrow(weight_mat, n = n1, r = r1), p0)
#   interim_<i> the interim decision for basket i: -1 futility stop, 0 continue, 1 efficacy stop
# Priors with a shape below 1 are left out: baskexact integrates the JSD with integrate(), which fails on
# their unbounded densities.
suppressPackageStartupMessages(library(baskexact))
settings <- list(
  list(k = 3, n = 15, n1 = 7, p0 = 0.2, s1 = 1, s2 = 1, eps = 2, tau = 0, lambda = 0.99,
    interim = "postpred", fut = 0.1, eff = 0.9, p1 = c(0.2, 0.2, 0.2)),
  list(k = 3, n = 15, n1 = 7, p0 = 0.2, s1 = 1, s2 = 1, eps = 2, tau = 0, lambda = 0.99,
    interim = "postpred", fut = 0.1, eff = 0.9, p1 = c(0.2, 0.5, 0.5)),
  list(k = 3, n = 20, n1 = 10, p0 = 0.15, s1 = 1.5, s2 = 4, eps = 1.25, tau = 0.5, lambda = 0.95,
    interim = "postpred", fut = 0.05, eff = 0.95, p1 = c(0.15, 0.15, 0.4)),
  list(k = 4, n = 12, n1 = 6, p0 = 0.1, s1 = 1, s2 = 1, eps = 3, tau = 0.3, lambda = 0.975,
    interim = "posterior", fut = 0.05, eff = 0.99, p1 = c(0.1, 0.1, 0.3, 0.3)),
  list(k = 4, n = 12, n1 = 6, p0 = 0.1, s1 = 1, s2 = 1, eps = 3, tau = 0.3, lambda = 0.975,
    interim = "postpred", fut = 0.2, eff = 1, p1 = c(0.1, 0.1, 0.1, 0.1)),
  list(k = 3, n = 10, n1 = 4, p0 = 0.3, s1 = 1, s2 = 1, eps = 2, tau = 0.2, lambda = 0.9,
    interim = "postpred", fut = 0.15, eff = 0.85, p1 = c(0.3, 0.3, 0.6))
)
# baskexact 1.0.1's reject_prob_group2() (behind toer(results = "group")) fails when fewer than two
# interim outcomes stop a basket for efficacy, e.g. with prob_effstop = 1 (setting 5): it subsets
# res_int[eff_vec, ] without drop = FALSE and then calls colSums(apply(...)) on a vector. The copy below
# changes only that one line to the same column sums written with an explicit matrix; it is used only
# where toer() fails and must give identical() results where toer() works.
src <- deparse(baskexact:::reject_prob_group2)
line <- grep("rej <- colSums(apply(res_eff == 1, 2, function(x) x * probs_eff))", src, fixed = TRUE)
stopifnot(length(line) == 1)
src[line] <- "  rej <- colSums(matrix(res_eff == 1, ncol = design@k) * probs_eff)"
reject_prob_group2_fixed <- eval(parse(text = src), envir = asNamespace("baskexact"))
environment(reject_prob_group2_fixed) <- asNamespace("baskexact")
version_line <- sprintf("# baskexact %s, R %s", as.character(packageVersion("baskexact")), getRversion())
cat(version_line, "\n", sep = "", file = stderr())
cat(version_line, "; made by benchmarks/reference/baskexact/fujikawa_twostage_reference.R ",
  "(weights_fujikawa, logbase 2, two stages)\n", sep = "")
cat("setting,k,n,n1,p0,shape1,shape2,epsilon,tau,lambda,interim,prob_futstop,prob_effstop,p1,r1,",
  "quantity,value\n", sep = "")
for (i in seq_along(settings)) {
  s <- settings[[i]]
  t0 <- proc.time()[["elapsed"]]
  design <- setupTwoStageBasket(k = s$k, shape1 = s$s1, shape2 = s$s2, p0 = s$p0)
  wp <- list(epsilon = s$eps, tau = s$tau)
  ip <- list(prob_futstop = s$fut, prob_effstop = s$eff)
  ifun <- if (s$interim == "postpred") interim_postpred else interim_posterior
  args <- list(design = design, p1 = s$p1, n = s$n, n1 = s$n1, lambda = s$lambda, interim_fun = ifun,
    interim_params = ip, weight_fun = weights_fujikawa, weight_params = wp)
  res <- tryCatch(do.call(toer, c(args, results = "group")), error = function(e) NULL)
  # The patched group function must agree exactly with toer() wherever toer() works
  weight_mat <- do.call(weights_fujikawa, c(wp, design = design, n = s$n, n1 = s$n1))
  res_fix <- reject_prob_group2_fixed(design = design, p1 = s$p1, n = s$n, n1 = s$n1,
    lambda = s$lambda, interim_fun = ifun, interim_params = ip, weight_mat = weight_mat,
    globalweight_fun = NULL, globalweight_params = list(), prob = "toer")
  if (is.null(res)) {
    cat(sprintf("# setting %d: toer(results = \"group\") fails, patched copy used\n", i), file = stderr())
    res <- res_fix
  } else if (!identical(res, res_fix)) {
    stop(sprintf("setting %d: patched reject_prob_group2 differs from toer()", i))
  }
  fwer2 <- do.call(toer, c(args, results = "fwer"))
  if (abs(fwer2 - res$fwer) > 1e-12) {
    warning(sprintf("setting %d: toer fwer %.15g differs from group fwer %.15g", i, fwer2, res$fwer))
  }
  es <- do.call(ess, args)
  head <- sprintf("%d,%d,%d,%d,%g,%g,%g,%g,%g,%g,%s,%g,%g,%s", i, s$k, s$n, s$n1, s$p0, s$s1, s$s2,
    s$eps, s$tau, s$lambda, s$interim, s$fut, s$eff, paste(s$p1, collapse = " "))
  for (j in seq_len(s$k)) cat(sprintf("%s,,reject_%d,%.12g\n", head, j, res$rejection_probabilities[j]))
  cat(sprintf("%s,,fwer,%.12g\n", head, res$fwer))
  for (j in seq_len(s$k)) cat(sprintf("%s,,ess_%d,%.12g\n", head, j, es[j]))
  # Interim quantities for single response vectors, with the weights toer() uses (weight_mat above)
  crit <- baskexact:::get_crit(design = design, n = s$n, lambda = s$lambda)
  set.seed(i)
  for (m in 1:3) {
    r1 <- sample(0:s$n1, s$k, replace = TRUE)
    rs <- paste(r1, collapse = " ")
    shape <- baskexact:::beta_borrow(weight_mat = weight_mat, globalweight_fun = NULL,
      globalweight_params = list(), design = design, n = s$n1, r = r1)
    if (s$interim == "postpred") {
      prob <- baskexact:::post_pred(n = s$n, n1 = s$n1, r1 = r1, shape = shape, crit = crit)
      name <- "pp"
    } else {
      prob <- baskexact:::post_beta(shape = shape, p0 = s$p0)
      name <- "post"
    }
    dec <- do.call(ifun, c(ip, design = design, n = s$n, n1 = s$n1, r1 = list(r1), lambda = s$lambda,
      weight_mat = list(weight_mat), globalweight_fun = NULL, globalweight_params = list(list())))
    cat(sprintf("%s,%s,crit,%d\n", head, rs, crit))
    for (j in seq_len(s$k)) cat(sprintf("%s,%s,%s_%d,%.12g\n", head, rs, name, j, prob[j]))
    for (j in seq_len(s$k)) cat(sprintf("%s,%s,interim_%d,%d\n", head, rs, j, as.integer(dec[j])))
  }
  cat(sprintf("# setting %d: %.0f s\n", i, proc.time()[["elapsed"]] - t0), file = stderr())
}
