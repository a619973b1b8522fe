# Reference values of Fujikawa et al.'s (2020) design from the baskexact R package (exact calculation).
# Run from the repository root with baskexact installed (see README.md in this folder):
#   Rscript benchmarks/reference/baskexact/fujikawa_reference.R > src/dosefind/conformance/data/baskexact_fujikawa.csv
# Every setting has a basket with p1 == p0 (toer() needs one).
# Output: one row per (setting, quantity). Settings vary k, n, p0, prior, epsilon, tau, lambda and the
# true rates p1; quantities are per-basket rejection probabilities ("reject_<i>"), the family-wise
# rejection probability ("fwer", under p1: any rejection among baskets with p1 == p0), and for single
# response vectors r the posterior probabilities P(p > p0 | r) with borrowing ("post_<i>").
# Priors with a shape below 1 are left out: baskexact integrates the JSD with integrate(), which fails on
# their unbounded densities.
suppressPackageStartupMessages(library(baskexact))
settings <- list(
  list(k = 3, n = 15, p0 = 0.2, s1 = 1, s2 = 1, eps = 2, tau = 0, lambda = 0.99, p1 = c(0.2, 0.2, 0.2)),
  list(k = 3, n = 15, p0 = 0.2, s1 = 1, s2 = 1, eps = 2, tau = 0, lambda = 0.99, p1 = c(0.2, 0.5, 0.5)),
  list(k = 3, n = 20, p0 = 0.15, s1 = 1.5, s2 = 4, eps = 1.25, tau = 0.5, lambda = 0.95, p1 = c(0.15, 0.15, 0.4)),
  list(k = 4, n = 12, p0 = 0.1, s1 = 1, s2 = 1, eps = 3, tau = 0.3, lambda = 0.975, p1 = c(0.1, 0.1, 0.1, 0.1)),
  list(k = 4, n = 12, p0 = 0.1, s1 = 1, s2 = 1, eps = 3, tau = 0.3, lambda = 0.975, p1 = c(0.1, 0.3, 0.3, 0.3)),
  list(k = 5, n = 8, p0 = 0.2, s1 = 1, s2 = 2, eps = 2, tau = 0.2, lambda = 0.95, p1 = c(0.2, 0.2, 0.2, 0.5, 0.5))
)
cat("setting,k,n,p0,shape1,shape2,epsilon,tau,lambda,p1,r,quantity,value\n")
cat(sprintf("# baskexact %s, R %s\n", as.character(packageVersion("baskexact")), getRversion()), file = stderr())
for (i in seq_along(settings)) {
  s <- settings[[i]]
  design <- setupOneStageBasket(k = s$k, shape1 = s$s1, shape2 = s$s2, p0 = s$p0)
  wp <- list(epsilon = s$eps, tau = s$tau)
  res <- toer(design, p1 = s$p1, n = s$n, lambda = s$lambda, weight_fun = weights_fujikawa,
    weight_params = wp, results = "group")
  rej <- res  # toer(results = "group") gives every basket's rejection probability and the fwer
  head <- sprintf("%d,%d,%d,%g,%g,%g,%g,%g,%g,%s", i, s$k, s$n, s$p0, s$s1, s$s2, s$eps, s$tau, s$lambda,
    paste(s$p1, collapse = " "))
  for (j in seq_len(s$k)) cat(sprintf("%s,,reject_%d,%.12g\n", head, j, rej$rejection_probabilities[j]))
  cat(sprintf("%s,,fwer,%.12g\n", head, res$fwer))
  set.seed(i)
  for (m in 1:3) {
    r <- sample(0:s$n, s$k, replace = TRUE)
    bt <- basket_test(design, n = s$n, r = r, lambda = s$lambda, weight_fun = weights_fujikawa,
      weight_params = wp)
    for (j in seq_len(s$k)) {
      cat(sprintf("%s,%s,post_%d,%.12g\n", head, paste(r, collapse = " "), j, bt$post_prob_borrow[j]))
    }
  }
}
