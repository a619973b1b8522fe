## titeboin_oc.R
## Operating characteristics of TITE-BOIN from TITEgBOIN::get_oc_TITE_QuasiBOIN (TITE = TRUE,
## binary DLT, the package's own Weibull DLT-time generator; nothing patched) for three true
## dose-toxicity scenarios, for checking a Python re-implementation statistically (the random
## streams cannot be expected to match).
##
## Design: target 0.25, 6 doses, 12 cohorts of 3, start at dose 1, assessment window maxt = 28 days,
## accrual = 2/30 patients per day (~2 per month; the package draws inter-arrival gaps rexp(accrual)
## in the time unit of maxt), maxpen = 0.5, alpha1 = alpha2 = 0.5, p.saf = 0.6 * target,
## p.tox = 1.4 * target, cutoff.eli = 0.95, extrasafe = FALSE, offset = 0.05, n.earlystop = 100,
## Neli = 3, no titration, seed = 100, ntrial = $TITEBOIN_NTRIAL (default 50000) per scenario.
##
## Writes $DOSEFIND_REF_OUT/r_titeboin_oc.csv: one row per (scenario, dose).
##
## Usage (from the repository root; about 1 minute per scenario at 50,000 trials):
##   TITEBOIN_RLIB=<lib> DOSEFIND_REF_OUT=tests/published/data Rscript benchmarks/reference/titeboin_oc.R
##   TITEBOIN_NTRIAL=2000 ...   (quick run)

## the TITEgBOIN library, OUT, the CSV writers and titeboin_version: titeboin_common.R beside this file
.here <- dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)[1]))
source(file.path(.here, "titeboin_common.R"))

ntrial <- as.integer(Sys.getenv("TITEBOIN_NTRIAL", "50000"))
target <- 0.25
scenarios <- list(S1 = c(0.05, 0.12, 0.25, 0.40, 0.55, 0.70),
                  S2 = c(0.02, 0.05, 0.09, 0.15, 0.25, 0.40),
                  S3 = c(0.30, 0.45, 0.60, 0.70, 0.80, 0.90))
args <- list(target = target, TITE = TRUE, ncohort = 12, cohortsize = 3,
             maxt = 28, accrual = 2/30, maxpen = 0.5, alpha1 = 0.5, alpha2 = 0.5, n.earlystop = 100,
             Neli = 3, startdose = 1, p.saf = 0.6 * target, p.tox = 1.4 * target, cutoff.eli = 0.95,
             extrasafe = FALSE, offset = 0.05, ntrial = ntrial, seed = 100, titration = FALSE,
             cap.titration = 0)

rows <- list(); t_all <- proc.time()[["elapsed"]]
for (sn in names(scenarios)) {
  p <- scenarios[[sn]]
  t0 <- proc.time()[["elapsed"]]
  r <- do.call(get_oc_TITE_QuasiBOIN, c(list(prob = p), args))
  el <- proc.time()[["elapsed"]] - t0
  cat(sprintf("%s ntrial=%d  elapsed %.1f s  sel%%=%s  none=%.3f  duration=%.4f (sd %.4f)\n", sn, ntrial, el,
              paste(sprintf("%.3f", r$selpercent), collapse = " "), r$percentstop, r$duration, r$sdduration))
  for (j in seq_along(p)) rows[[length(rows) + 1]] <- list(
    scenario = sn, dose = j, p_true = p[j], sel_pct = r$selpercent[j], mean_patients = r$npatients[j],
    mean_dlts = r$ntox[j], pct_no_mtd = r$percentstop, mean_total_n = r$totaln,
    mean_total_dlt = r$totaltox, duration_mean_days = r$duration, duration_sd_days = r$sdduration,
    ntrial = ntrial, seed = args$seed)
}
cat(sprintf("total elapsed %.1f s\n", proc.time()[["elapsed"]] - t_all))

oc <- rows_to_df(rows)
fmt_args <- vapply(names(args), function(k) {
  v <- args[[k]]
  if (k == "accrual") return("accrual = 2/30")
  if (k == "p.saf") return("p.saf = 0.6 * target")
  if (k == "p.tox") return("p.tox = 1.4 * target")
  paste(k, "=", if (length(v) > 1) paste0("c(", paste(v, collapse = ", "), ")") else format(v))
}, "")
write_ref_csv(oc, file.path(OUT, "r_titeboin_oc.csv"), c(version_header("titeboin_oc.R"), list(
  call = paste0("get_oc_TITE_QuasiBOIN(prob = <scenario>, ", paste(fmt_args, collapse = ", "), ")"),
  scenarios = paste(vapply(names(scenarios), function(s) paste0(s, " = ", paste(scenarios[[s]], collapse = ",")), ""),
                    collapse = "; "),
  rng = paste0("set.seed(100) once per scenario (inside get_oc_TITE_QuasiBOIN), trials in sequence; RNGkind ",
               paste(RNGkind(), collapse = "/")),
  time_unit = paste("days: maxt = 28; accrual = 2/30 patients per day, inter-arrival gaps rexp(rate = accrual);",
                    "the first patient of each later cohort enrols at the decision time, which is the next",
                    "arrival after the previous cohort (a suspension turns that arrival away and waits for another)"),
  dlt_times = paste("package generator (Weibull): DLT probability p_true within the window, a fraction",
                    "alpha1 = 0.5 of the DLTs in the last alpha2 = 0.5 of the window, i.e. F(14 days) = p_true / 2"),
  columns = paste("sel_pct = $selpercent (% of trials selecting the dose); mean_patients = $npatients;",
                  "mean_dlts = $ntox (rounded by the package to 4 decimals); pct_no_mtd = $percentstop (% of",
                  "trials with no dose selected); mean_total_n = $totaln; mean_total_dlt = $totaltox (rounded",
                  "to 4 decimals); duration_mean_days = $duration; duration_sd_days = $sdduration"),
  duration = paste("per trial, duration = entry day of the last enrolled patient + maxt (also when the trial",
                   "stops early); $duration = mean over trials rounded by the package to 4 decimals;",
                   "$sdduration = sqrt(var(durations)), the sample SD across trials (n - 1 denominator, not the",
                   "SE of the mean, not rounded)"))))
cat("rows:", nrow(oc), "->", file.path(OUT, "r_titeboin_oc.csv"), "\n")
