# Reference values of the exact multisource exchangeability model (MEM) from the R package basket
# (mem_exact), for dosefind's basket design kind = "mem". Output: CSV on stdout, one row per quantity.
#
#   R_LIBS=<library with basket> Rscript benchmarks/reference/basket_mem/mem_reference.R > basket_mem.csv
#
# Exact quantities: post_prob (P(q_k > p0_k | data)), pep (posterior exchangeability probabilities),
# map (the MAP MEM), maximizer (the MEM of largest marginal density). Monte Carlo ones (mem_exact draws
# 100,000 posterior samples after set.seed(seed)): mean, median (with mean_mcse = sd / sqrt(draws)),
# hpd_lower / hpd_upper (boa_hpd on 10,000 draws) and ess (GenSA fit to the HPD interval).
suppressPackageStartupMessages(library(basket))
data(vemu_wide)

fmt <- function(x) trimws(formatC(x, digits = 15, format = "g"))
join <- function(x) paste(fmt(x), collapse = " ")

settings <- list(
  list(responses = vemu_wide$responders, size = vemu_wide$evaluable, p0 = 0.15,
       shape1 = 0.5, shape2 = 0.5, prior = 0.5),
  list(responses = vemu_wide$responders[1:3], size = vemu_wide$evaluable[1:3], p0 = 0.25,
       shape1 = 0.5, shape2 = 0.5, prior = 0.5),
  list(responses = c(2, 5, 9, 1), size = c(10, 12, 15, 8), p0 = 0.2,
       shape1 = 1, shape2 = 1, prior = 0.3),
  list(responses = c(0, 10, 0, 10, 5), size = c(10, 10, 10, 10, 10), p0 = 0.3,
       shape1 = 0.5, shape2 = 0.5, prior = 0.5),
  list(responses = c(3, 4, 12), size = c(10, 10, 20), p0 = c(0.1, 0.2, 0.3),
       shape1 = 0.2, shape2 = 0.8,
       prior = matrix(c(1, 0.9, 0.1, 0.9, 1, 0.5, 0.1, 0.5, 1), 3, 3)),
  list(responses = c(4, 3, 0), size = c(10, 3, 0), p0 = 0.25,
       shape1 = 0.5, shape2 = 0.5, prior = 0.5)
)

cat(sprintf("# basket %s, R %s.%s; made by benchmarks/reference/basket_mem/mem_reference.R (mem_exact, seed 1000)\n",
            as.character(packageVersion("basket")), R.version$major, R.version$minor))
cat("setting,k,responses,size,p0,shape1,shape2,prior,quantity,method,value\n")
for (s in seq_along(settings)) {
  st <- settings[[s]]
  k <- length(st$responses)
  prior <- if (is.matrix(st$prior)) st$prior else {
    m <- matrix(st$prior, k, k)
    diag(m) <- 1
    m
  }
  fit <- mem_exact(st$responses, st$size, name = paste0("b", seq_len(k)), p0 = st$p0,
                   shape1 = st$shape1, shape2 = st$shape2, prior = prior)$basket
  head <- paste(s, k, join(st$responses), join(st$size), join(rep_len(st$p0, k)),
                fmt(st$shape1), fmt(st$shape2), join(prior[upper.tri(prior)]), sep = ",")
  out <- function(q, method, v) cat(paste(head, q, method, fmt(v), sep = ","), "\n", sep = "")
  for (j in seq_len(k)) out(sprintf("post_prob_%d", j), "exact", fit$post_prob[j])
  for (i in seq_len(k)) for (j in seq_len(k)) {
    out(sprintf("pep_%d_%d", i, j), "exact", fit$pep[i, j])
    out(sprintf("map_%d_%d", i, j), "exact", fit$map[i, j])
    out(sprintf("maximizer_%d_%d", i, j), "exact", fit$maximizer[i, j])
  }
  samples <- as.matrix(fit$samples)
  for (j in seq_len(k)) {
    out(sprintf("mean_%d", j), "monte_carlo", fit$mean_est[j])
    out(sprintf("mean_mcse_%d", j), "monte_carlo", sd(samples[, j]) / sqrt(nrow(samples)))
    out(sprintf("median_%d", j), "monte_carlo", fit$median_est[j])
    out(sprintf("hpd_lower_%d", j), "monte_carlo", fit$hpd[1, j])
    out(sprintf("hpd_upper_%d", j), "monte_carlo", fit$hpd[2, j])
    out(sprintf("ess_%d", j), "monte_carlo", fit$ess[j])
  }
}
