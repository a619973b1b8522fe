## titesim_oc.R
## Operating characteristics of dfcrm::titesim (TITE-CRM simulator) for three
## true dose-toxicity scenarios, for checking a Python re-implementation
## statistically (the RNG streams cannot be expected to match).
##
## Main design (all scenarios):
##   6 doses, prior = getprior(0.05, 0.25, 3, 6), target = 0.25, n = 36,
##   obswin = 28, rate = 2 (titesim's rate = expected arrivals PER OBSWIN, i.e.
##   2 patients per 28 time units ~ 2 per month), accrual = "poisson",
##   surv = "uniform", scheme = "linear", model = "empiric", method = "bayes",
##   x0 = 1 (one-stage TITE-CRM starting at dose 1), restrict = TRUE,
##   scale = sqrt(1.34), seed = 1009 (titesim default), nsim = NSIM_MAIN.
## Optional extras (EXTRAS=1 in the environment): the same with
##   scheme = "adaptive", and a two-stage design x0 = rep(1:6, each=3) then 6s,
##   nsim = NSIM_EXTRA each.
##
## Writes into $OUT_DIR/:
##   titesim_oc_summary.csv    one row per (design, scenario, dose)
##   titesim_oc.json           everything (arguments, versions, per-dose OCs, duration summary, timing)
##   titesim_oc_pertrial_<design>_<scenario>.csv  per-trial Duration and final.est
##
## Usage: Rscript benchmarks/reference/titesim_oc.R            (main only, ~9 min at ~0.045 s per trial)
##        EXTRAS=1 Rscript benchmarks/reference/titesim_oc.R   (main + extras)
##        NSIM_MAIN=200 Rscript ...                                 (quick run)

## the dfcrm library, OUT, the exact JSON/CSV writers and dfcrm_version: titecrm_common.R beside this file
.here <- dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)[1]))
source(file.path(.here, "titecrm_common.R"))
version_info <- list(dfcrm_version = dfcrm_version, r_version = R.version.string,
                     platform = R.version$platform, rng = I(RNGkind()),
                     generated = format(Sys.time(), "%Y-%m-%d %H:%M:%S %Z"),
                     cpu = tryCatch(trimws(sub(".*:", "", grep("model name", readLines("/proc/cpuinfo"), value = TRUE)[1])),
                                    error = function(e) NA_character_))

NSIM_MAIN  <- as.integer(Sys.getenv("NSIM_MAIN", "4000"))
NSIM_EXTRA <- as.integer(Sys.getenv("NSIM_EXTRA", "1000"))
EXTRAS <- Sys.getenv("EXTRAS", "0") == "1"

prior <- getprior(0.05, 0.25, 3, 6)
target <- 0.25
n <- 36
obswin <- 28
rate <- 2
scenarios <- list(
  S1 = c(0.05, 0.12, 0.25, 0.40, 0.55, 0.70),
  S2 = c(0.02, 0.05, 0.09, 0.15, 0.25, 0.40),
  S3 = c(0.30, 0.45, 0.60, 0.70, 0.80, 0.90)
)
twostage_x0 <- c(rep(1:6, each = 3), rep(6, n - 18))   # 3 per dose then 6s (length n)

designs <- list(
  main = list(x0 = 1, scheme = "linear", nsim = NSIM_MAIN, seed = 1009)
)
if (EXTRAS) {
  designs$adaptive <- list(x0 = 1, scheme = "adaptive", nsim = NSIM_EXTRA, seed = 1009)
  designs$twostage <- list(x0 = twostage_x0, scheme = "linear", nsim = NSIM_EXTRA, seed = 1009)
}

rows <- list(); out <- list()
for (dn in names(designs)) {
  D <- designs[[dn]]
  for (sn in names(scenarios)) {
    PI <- scenarios[[sn]]
    t0 <- proc.time()
    sim <- titesim(PI, prior, target, n, D$x0, nsim = D$nsim, restrict = TRUE,
                   obswin = obswin, rate = rate, accrual = "poisson", surv = "uniform",
                   scheme = D$scheme, count = FALSE, method = "bayes", model = "empiric",
                   intcpt = 3, scale = sqrt(1.34), seed = D$seed)
    tt <- proc.time() - t0
    el <- tt[["elapsed"]]; cpu <- tt[["user.self"]] + tt[["sys.self"]]
    dur <- sim$Duration
    true_mtd <- which.min(abs(PI - target))
    cat(sprintf("%-9s %s nsim=%d  elapsed %.1fs  (%.4f s/trial)  sel=%s\n", dn, sn, D$nsim, el,
                el / D$nsim, paste(sprintf("%.3f", sim$MTD), collapse = " ")))
    rows[[length(rows) + 1]] <- data.frame(
      design = dn, scenario = sn, dose = 1:6, true_ptox = PI, prior = prior,
      prop_selected = sim$MTD, mc_se_prop = sqrt(sim$MTD * (1 - sim$MTD) / D$nsim),
      mean_n_treated = sim$level, mean_n_dlt = sim$tox, nsim = D$nsim,
      mean_duration = mean(dur), stringsAsFactors = FALSE)
    write_csv17(data.frame(trial = seq_len(D$nsim), duration = dur, final_est = sim$final.est),
                file.path(OUT, sprintf("titesim_oc_pertrial_%s_%s.csv", dn, sn)),
                c(paste("dfcrm", dfcrm_version, "|", R.version.string),
                  sprintf("titesim(PI=c(%s), prior=getprior(0.05,0.25,3,6), target=0.25, n=36, x0=%s, nsim=%d, restrict=TRUE, obswin=28, rate=2, accrual='poisson', surv='uniform', scheme='%s', method='bayes', model='empiric', scale=sqrt(1.34), seed=%d)",
                          paste(PI, collapse = ","), if (length(D$x0) == 1) D$x0 else paste0("c(", paste(D$x0, collapse = ","), ")"),
                          D$nsim, D$scheme, D$seed),
                  "per trial: duration = arrival time of patient n + obswin (titesim $Duration); final_est = posterior mean of beta with all n patients fully weighted ($final.est)"))
    out[[paste(dn, sn, sep = "_")]] <- list(
      design = dn, scenario = sn,
      arguments = list(PI = I(PI), prior = I(prior), prior_call = "getprior(0.05, 0.25, 3, 6)",
                       target = target, n = n, x0 = I(D$x0), nsim = D$nsim, restrict = TRUE,
                       obswin = obswin, tgrp = obswin, rate = rate, accrual = "poisson", surv = "uniform",
                       scheme = D$scheme, count = FALSE, method = "bayes", model = "empiric",
                       intcpt = 3, scale = sqrt(1.34), seed = D$seed),
      true_mtd = true_mtd,
      prop_selected = I(sim$MTD), mean_n_treated = I(sim$level), mean_n_dlt = I(sim$tox),
      mean_total_dlt = sum(sim$tox), pcs = sim$MTD[true_mtd],
      duration = list(mean = mean(dur), sd = sd(dur), median = median(dur),
                      q05 = unname(quantile(dur, 0.05)), q95 = unname(quantile(dur, 0.95)),
                      expected_if_poisson = (n / rate) * obswin + obswin,
                      note = "Duration = arrival of patient n + obswin; arrivals ~ Poisson process with rate/obswin per time unit starting at 0, so E = n*obswin/rate + obswin"),
      final_est = list(mean = mean(sim$final.est), sd = sd(sim$final.est)),
      timing = list(elapsed_seconds = el, cpu_seconds = cpu, seconds_per_trial = el / D$nsim,
                    titecrm_calls_per_trial = n - 1 + 1)
    )
  }
}
summ <- do.call(rbind, rows)
write_csv17(summ, file.path(OUT, "titesim_oc_summary.csv"),
            c(paste("dfcrm", dfcrm_version, "|", R.version.string),
              "titesim(PI, prior=getprior(0.05,0.25,3,6), target=0.25, n=36, x0, nsim, restrict=TRUE, obswin=28, tgrp=28, rate=2, accrual='poisson', surv='uniform', scheme, count=FALSE, method='bayes', model='empiric', intcpt=3, scale=sqrt(1.34), seed=1009)",
              "design main: x0=1, scheme='linear'; adaptive: x0=1, scheme='adaptive'; twostage: x0=c(rep(1:6,each=3),rep(6,18)), scheme='linear'",
              "prop_selected = $MTD, mean_n_treated = $level, mean_n_dlt = $tox, mean_duration = mean($Duration); full details in titesim_oc.json"))
write_json(list(meta = version_info, results = unname(out)), file.path(OUT, "titesim_oc.json"))
cat("done\n")
