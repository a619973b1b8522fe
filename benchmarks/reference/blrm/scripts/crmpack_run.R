# crmPack reference values for the single-agent BLRM (LogisticLogNormal + NextBestNCRM).
# Usage: Rscript crmpack_run.R   (run from the scripts/ directory, or set BASE below)
# Requires: crmPack (>= 2.x), rjags + JAGS, posterior.

BASE <- Sys.getenv("BLRM_REF_BASE", "..") # folder holding scripts/ and out/
RLIB <- Sys.getenv("BLRM_REF_RLIB", "")   # optional extra R library
if (nzchar(RLIB)) .libPaths(c(RLIB, .libPaths()))

N_SAMPLES <- as.integer(Sys.getenv("CRMPACK_SAMPLES", "200000"))
BURNIN <- 10000L
STEP <- 2L
SEED <- 20240607L

suppressPackageStartupMessages({
  library(crmPack)
  library(posterior)
})
source(file.path(BASE, "scripts", "datasets.R"))
pkg_version <- as.character(packageVersion("crmPack"))
jags_version <- as.character(rjags::jags.version())
settings <- sprintf("JAGS %s via rjags %s; 1 chain; burnin=%d step=%d samples=%d; rng_kind=Mersenne-Twister seed=%d",
                    jags_version, packageVersion("rjags"), BURNIN, STEP, N_SAMPLES, SEED)

make_data <- function(ds, grid) {
  if (nrow(ds) == 0) return(Data(doseGrid = grid))
  x <- rep(ds$dose, ds$n)
  y <- unlist(mapply(function(n, r) c(rep(1L, r), rep(0L, n - r)), ds$n, ds$r, SIMPLIFY = FALSE))
  cohort <- rep(seq_len(nrow(ds)), ds$n)
  Data(x = x, y = y, ID = seq_along(x), cohort = cohort, doseGrid = grid)
}

increments_rules <- list(
  "IncrementsRelative(intervals=c(0,20),increments=c(1,0.33))" = IncrementsRelative(intervals = c(0, 20), increments = c(1, 0.33)),
  "IncrementsRelative(intervals=0,increments=1)" = IncrementsRelative(intervals = 0, increments = 1),
  "none(doselimit=Inf)" = NULL
)

run_one <- function(ds_name, ds, pr_name, pr, grid, mean_vec, cov_mat, dref) {
  cat(sprintf("[%s] dataset=%s prior=%s\n", format(Sys.time()), ds_name, pr_name))
  data <- make_data(ds, grid)
  model <- LogisticLogNormal(mean = mean_vec, cov = cov_mat, ref_dose = dref)
  opts <- McmcOptions(burnin = BURNIN, step = STEP, samples = N_SAMPLES,
                      rng_kind = "Mersenne-Twister", rng_seed = SEED)
  samples <- mcmc(data, model, opts)
  P <- sapply(grid, prob, model = model, samples = samples) # draws x doses

  rows <- list()
  add <- function(dose, quantity, value, mcse = NA_real_) {
    rows[[length(rows) + 1]] <<- data.frame(dose = dose, quantity = quantity, value = value, mcse = mcse)
  }
  for (j in seq_along(grid)) {
    p <- P[, j]
    dm <- matrix(p, ncol = 1) # single chain
    add(grid[j], "mean", mean(p), mcse_mean(p))
    add(grid[j], "sd", sd(p), mcse_sd(p))
    for (q in c(0.025, 0.5, 0.975)) {
      add(grid[j], sprintf("q%04.1f", 100 * q), unname(quantile(p, q, type = 7)), mcse_quantile(p, q))
    }
    # OncoBayes2-style intervals, computed like OncoBayes2 (cut(), right-closed):
    # (0,0.16], (0.16,0.33], (0.33,1]
    iu <- as.numeric(p <= OB2_INTERVALS[2])
    it <- as.numeric(p > OB2_INTERVALS[2] & p <= OB2_INTERVALS[3])
    io <- as.numeric(p > OB2_INTERVALS[3])
    add(grid[j], "prob_underdose", mean(iu), mcse_mean(iu))
    add(grid[j], "prob_target", mean(it), mcse_mean(it))
    add(grid[j], "prob_overdose", mean(io), mcse_mean(io))
    add(grid[j], "ewoc_ok", as.numeric(mean(io) <= EWOC_MAX_OVER))
    # crmPack NextBestNCRM intervals: target [0.2, 0.35] closed, overdose (0.35, 1]
    nt <- as.numeric(h_in_range(p, NCRM_TARGET, bounds_closed = TRUE))
    no <- as.numeric(h_in_range(p, NCRM_OVERDOSE, bounds_closed = c(FALSE, TRUE)))
    add(grid[j], "ncrm_prob_target_own", mean(nt), mcse_mean(nt))
    add(grid[j], "ncrm_prob_overdose_own", mean(no), mcse_mean(no))
  }

  nb_rule <- NextBestNCRM(target = NCRM_TARGET, overdose = NCRM_OVERDOSE, max_overdose_prob = EWOC_MAX_OVER)
  for (inc_name in names(increments_rules)) {
    inc <- increments_rules[[inc_name]]
    dl <- if (is.null(inc)) Inf else maxDose(inc, data = data)
    nb <- nextBest(nb_rule, doselimit = dl, samples = samples, model = model, data = data)
    if (inc_name == names(increments_rules)[1]) {
      pr_tab <- as.data.frame(nb$probs)
      for (j in seq_len(nrow(pr_tab))) {
        add(pr_tab$dose[j], "ncrm_prob_target", pr_tab$target[j])
        add(pr_tab$dose[j], "ncrm_prob_overdose", pr_tab$overdose[j])
      }
    }
    add(NA_real_, paste0("max_dose[", inc_name, "]"), dl)
    add(NA_real_, paste0("next_dose[NextBestNCRM,", inc_name, "]"), nb$value)
  }

  out <- do.call(rbind, rows)
  n_at <- function(d) if (is.na(d)) NA_real_ else sum(ds$n[ds$dose == d])
  r_at <- function(d) if (is.na(d)) NA_real_ else sum(ds$r[ds$dose == d])
  data.frame(
    source = "crmPack", package_version = pkg_version, dataset = ds_name,
    dose = out$dose, n = sapply(out$dose, n_at), r = sapply(out$dose, r_at),
    prior = pr_name, prior_m1 = mean_vec[1], prior_m2 = mean_vec[2],
    prior_s1 = sqrt(cov_mat[1, 1]), prior_s2 = sqrt(cov_mat[2, 2]),
    prior_r = cov_mat[1, 2] / sqrt(cov_mat[1, 1] * cov_mat[2, 2]), dref = dref,
    quantity = out$quantity, value = out$value, mcse = out$mcse,
    settings = settings, stringsAsFactors = FALSE
  )
}

res <- list()
for (pr_name in names(PRIORS)) {
  pr <- PRIORS[[pr_name]]
  for (ds_name in names(DATASETS)) {
    res[[length(res) + 1]] <- run_one(ds_name, DATASETS[[ds_name]], pr_name, pr, DOSES,
                                      c(pr[["m1"]], pr[["m2"]]), prior_cov(pr), pr[["dref"]])
  }
}

# crmPack's own documented example (examples/Rules-method-nextBest-NextBestNCRM.R):
# x = c(0.1, 0.5, 1.5, 3, 6, 10, 10, 10), y = c(0,0,0,0,0,0,1,0), one cohort per dose,
# doseGrid = c(0.1, 0.5, 1.5, 3, 6, seq(10, 80, by = 2)),
# LogisticLogNormal(mean = c(-0.85, 1), cov = matrix(c(1, -0.5, -0.5, 1), 2), ref_dose = 56)
ex_grid <- c(0.1, 0.5, 1.5, 3, 6, seq(from = 10, to = 80, by = 2))
ex_ds <- data.frame(dose = c(0.1, 0.5, 1.5, 3, 6, 10), n = c(1, 1, 1, 1, 1, 3), r = c(0, 0, 0, 0, 0, 1))
res[[length(res) + 1]] <- run_one("crmpack_ncrm_example", ex_ds, "crmpack_ncrm_example", NULL, ex_grid,
                                  c(-0.85, 1), matrix(c(1, -0.5, -0.5, 1), nrow = 2), 56)

out <- do.call(rbind, res)
dir.create(file.path(BASE, "out"), showWarnings = FALSE)
write.csv(out, file.path(BASE, "out", "crmpack.csv"), row.names = FALSE)
cat("wrote", nrow(out), "rows\n")
print(sessionInfo())
