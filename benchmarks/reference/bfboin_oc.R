#!/usr/bin/env Rscript
## Reference operating characteristics of BF-BOIN from the R package bfboin
## (openpharma/bfboin, get.oc.bf). Package functions only, no patches.
##
## Usage (from the repository root; bfboin and BOIN installed into the library folder BFBOIN_RLIB):
##   BFBOIN_RLIB=<lib> Rscript benchmarks/reference/bfboin_oc.R [ntrial=10000] [seed=20240216] [accrual=uniform] [outdir=tests/published/data]
##
## For each scenario it
##   (1) calls bfboin::get.oc.bf()  -> the package's OC list (timed),
##   (2) re-runs the same trials with set.seed(seed); purrr::map_df(1:ntrial, bfboin::sim.one.trial, ...)
##       (exactly what get.oc.bf does internally, lines 649-672 of R/bf_boin_oc.R) to obtain the
##       per-trial data, checks that its summary is identical to (1), and derives Monte Carlo
##       standard errors and a few extra summaries from it.
## Output: <outdir>/r_bfboin_oc_<accrual>.csv           (one row per scenario x dose, '# key: value' header)
##         bfboin_pertrial_<accrual>.csv.gz in $BFBOIN_PERTRIAL_DIR (default: R's tempdir()), one row per
##         scenario x trial x dose (not kept in the repository)

lib <- Sys.getenv("BFBOIN_RLIB")
if (!nzchar(lib)) stop("set BFBOIN_RLIB to the library folder where bfboin (and BOIN) are installed")
.libPaths(c(lib, .libPaths()))
suppressPackageStartupMessages({ library(bfboin); library(BOIN) })

args <- commandArgs(trailingOnly = TRUE)
ntrial  <- if (length(args) >= 1) as.integer(args[1]) else 10000L
seed    <- if (length(args) >= 2) as.integer(args[2]) else 20240216L
accrual <- if (length(args) >= 3) args[3] else "uniform"
outdir  <- if (length(args) >= 4) args[4] else "tests/published/data"
dir.create(outdir, showWarnings = FALSE, recursive = TRUE)

days.per.month <- 365.25 / 12          # 30.4375; package time unit is months
design <- list(
  target = 0.25,
  ncohort = 12L, cohortsize = 3L,       # 36 escalation patients max (backfill patients come on top)
  n.earlystop = 100,                    # package default (effectively off)
  startdose = 1L,
  titration = FALSE,
  p.saf = 0.6 * 0.25, p.tox = 1.4 * 0.25,
  cutoff.eli = 0.95, extrasafe = FALSE, offset = 0.05, boundMTD = FALSE,
  n.cap = 12, end.backfill = TRUE,
  n.per.month = 2,
  dlt.window = 28 / days.per.month,     # 28 days = 0.919918 months
  three.plus.three = FALSE,
  accrual = accrual,
  backfill.assign = "highest"
)

scenarios <- list(
  S1 = list(tox = c(0.05, 0.12, 0.25, 0.40, 0.55, 0.70), eff = c(0.10, 0.20, 0.30, 0.40, 0.45, 0.50)),
  S2 = list(tox = c(0.02, 0.05, 0.09, 0.15, 0.25, 0.40), eff = c(0.05, 0.10, 0.20, 0.30, 0.40, 0.50)),
  S3 = list(tox = c(0.30, 0.45, 0.60, 0.70, 0.80, 0.90), eff = c(0.2, 0.3, 0.4, 0.5, 0.5, 0.5))
)

rows <- list(); pertrial <- list(); timing <- list()
for (sn in names(scenarios)) {
  sc <- scenarios[[sn]]
  a <- c(list(ntrial = ntrial, seed = seed, p.true = sc$tox, p.response.true = sc$eff), design)
  t.oc <- system.time(oc <- do.call(get.oc.bf, a))[["elapsed"]]

  ## same trials, per-trial output (identical RNG stream: set.seed then map_df over sim.one.trial)
  a2 <- a; a2$ntrial <- NULL; a2$seed <- NULL
  set.seed(seed)
  t.pt <- system.time(res <- do.call(purrr::map_df, c(list(.x = 1:ntrial, .f = bfboin::sim.one.trial), a2)))[["elapsed"]]
  nd <- length(sc$tox)
  N  <- matrix(res$n, ncol = nd, byrow = TRUE)      # trial x dose (res ordered by trial then dose)
  Y  <- matrix(res$y, ncol = nd, byrow = TRUE)
  stopifnot(all(matrix(res$d, ncol = nd, byrow = TRUE) == rep(1:nd, each = ntrial)))
  dsel <- res$dselect[res$d == 1]; maxt <- res$max.t[res$d == 1]
  ## consistency with get.oc.bf
  chk <- c(sel = max(abs(sapply(1:nd, function(i) mean(dsel == i) * 100) - oc$selpercent)),
           npt = max(abs(colMeans(N) - oc$npatients)),
           ntox = max(abs(colMeans(Y) - oc$ntox)),
           dur = abs(mean(maxt) - oc$duration),
           stop = abs(mean(dsel == 99) * 100 - oc$percentstop))
  if (any(chk > 1e-9)) stop("per-trial re-run does not reproduce get.oc.bf: ", paste(names(chk), chk, collapse = ", "))

  se <- function(x) sd(x) / sqrt(length(x))
  tot.n <- rowSums(N); tot.y <- rowSums(Y)
  rows[[sn]] <- data.frame(
    scenario = sn, dose = 1:nd, p_tox = sc$tox, p_eff = sc$eff,
    sel_pct = oc$selpercent,
    sel_pct_se = sqrt(oc$selpercent / 100 * (1 - oc$selpercent / 100) / ntrial) * 100,
    npatients = unname(oc$npatients), npatients_se = apply(N, 2, se), npatients_sd = apply(N, 2, sd),
    pct_patients = unname(oc$percentpatients),
    ntox = unname(oc$ntox), ntox_se = apply(Y, 2, se),
    pct_trials_dose_treated = colMeans(N > 0) * 100,
    totaln = oc$totaln, totaln_se = se(tot.n), totaln_sd = sd(tot.n),
    totaln_min = min(tot.n), totaln_max = max(tot.n),
    totaltox = oc$totaltox, totaltox_se = se(tot.y),
    pct_stop_no_mtd = oc$percentstop,
    duration_months = oc$duration, duration_se = se(maxt), duration_sd = sd(maxt),
    duration_days = oc$duration * days.per.month,
    pct_trials_n_gt_36 = mean(tot.n > 36) * 100,
    sec_get_oc_bf = t.oc, sec_per_1000_trials = t.oc / ntrial * 1000,
    check.names = FALSE)
  pertrial[[sn]] <- data.frame(scenario = sn, trial = res$trial.id, dose = res$d, n = res$n, y = res$y,
                               dselect = res$dselect, max_t = signif(res$max.t, 10))
  timing[[sn]] <- c(get_oc_bf = t.oc, per_trial_rerun = t.pt)
  cat(sprintf("%s: get.oc.bf %.1fs (%.2fs / 1000 trials); rerun %.1fs; totaln %.2f; sel %s\n", sn, t.oc,
              t.oc / ntrial * 1000, t.pt, oc$totaln, paste(round(oc$selpercent, 2), collapse = " ")))
}

out <- do.call(rbind, rows)
fn <- file.path(outdir, sprintf("r_bfboin_oc_%s.csv", accrual))
fmt <- function(x) if (is.numeric(x)) paste(format(x, digits = 15), collapse = " ") else paste(x, collapse = " ")
hdr <- c(
  "# source: R package bfboin, function get.oc.bf (package functions only, unpatched)",
  sprintf("# bfboin_version: %s", as.character(packageVersion("bfboin"))),
  "# bfboin_source: github openpharma/bfboin commit 03a1b836ee699b95aa46d38a07b11f22759f00b3 (2025-07-22; = CRAN 0.1.1)",
  sprintf("# BOIN_version: %s", as.character(packageVersion("BOIN"))),
  "# BOIN_source: github cran/BOIN commit 6c3a0c2475fe51276dac994ff599a767496ad759 (BOIN 2.7.2)",
  sprintf("# Iso_version: %s", as.character(packageVersion("Iso"))),
  sprintf("# purrr_version: %s", as.character(packageVersion("purrr"))),
  sprintf("# R_version: %s", R.version.string),
  sprintf("# RNGkind: %s", paste(RNGkind(), collapse = " ")),
  sprintf("# platform: %s", R.version$platform),
  sprintf("# date: %s", format(Sys.time(), "%Y-%m-%d %H:%M:%S %Z")),
  sprintf("# ntrial: %d", ntrial),
  sprintf("# seed: %d", seed),
  "# seed_note: set.seed(seed) is called once per get.oc.bf call, i.e. each scenario restarts the stream at the same seed",
  sprintf("# %s: %s", names(design), sapply(design, fmt)),
  "# time_unit: month (dlt.window = 28/30.4375 months = 28 days; n.per.month = 2 patients/month)",
  "# p.true: per-scenario, column p_tox",
  "# p.response.true: per-scenario, column p_eff",
  "# columns_from_get.oc.bf: sel_pct (=selpercent), npatients, pct_patients (=percentpatients), ntox, totaln, totaltox, pct_stop_no_mtd (=percentstop), duration_months (=duration)",
  "# columns_derived_from_per_trial_rerun: *_se (Monte Carlo standard errors), *_sd, pct_trials_dose_treated, totaln_min/max, pct_trials_n_gt_36",
  "# npatients/ntox/totaln: escalation + backfill patients whose DLT outcome was observed (DLT time or window end) before the last escalation cohort completed; backfill patients still pending then are NOT counted. The package does not report an escalation/backfill split.",
  "# duration: calendar time (months from first patient) at which the last escalation cohort's last patient completed DLT assessment (DLT or end of window)",
  "# per-scenario columns (totaln..sec_per_1000_trials) are repeated on each dose row",
  sprintf("# timing_seconds_%s: %s", names(timing), sapply(timing, function(x) paste(names(x), round(x, 2), sep = "=", collapse = " ")))
)
writeLines(hdr, fn)
suppressWarnings(write.table(out, fn, sep = ",", row.names = FALSE, append = TRUE, quote = FALSE))
pt <- do.call(rbind, pertrial)
gz <- gzfile(file.path(Sys.getenv("BFBOIN_PERTRIAL_DIR", tempdir()), sprintf("bfboin_pertrial_%s.csv.gz", accrual)), "w")
writeLines(c(hdr[1:14], "# columns: scenario,trial,dose,n (escalation+evaluated backfill),y (DLTs),dselect (99 = no MTD),max_t (duration, months)"), gz)
write.table(pt, gz, sep = ",", row.names = FALSE, quote = FALSE)
close(gz)
cat("wrote", fn, "\n")
