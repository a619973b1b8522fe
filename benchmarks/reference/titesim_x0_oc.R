## titesim_x0_oc.R
## Operating characteristics of dfcrm::titesim's two-stage TITE-CRM (an initial
## design vector x0 and the group gap tgrp) for three true dose-toxicity
## scenarios, for checking a Python re-implementation statistically (the RNG
## streams cannot be expected to match).
##
## Settings (both designs, all scenarios):
##   6 doses, prior = getprior(0.05, 0.25, 3, 6) (as in titesim_oc.R), target = 0.25,
##   n = 36, obswin = 28, rate = 2 (expected arrivals PER OBSWIN), accrual = "poisson",
##   surv = "uniform", scheme = "linear", restrict = TRUE, model = "empiric",
##   method = "bayes", intcpt = 3, scale = sqrt(1.34) (default), seed = 2027, nsim = NSIM.
##   Design A: x0 = c(rep(1,3), rep(2,3), rep(3,3), rep(4,3), rep(5,3), rep(6,21)), tgrp = obswin = 28
##   Design B: x0 = c(1, 2, 3, 4, 5, rep(6,31)), tgrp = 14
##
## Writes into $OUT_DIR/:
##   r_titesim_x0_oc.csv  '# key: value' header lines, then one row per (design, scenario, dose)
##
## Usage (from the repository root; DFCRM_LIB = the R library holding dfcrm):
##   DFCRM_LIB=<lib> OUT_DIR=tests/published/data Rscript benchmarks/reference/titesim_x0_oc.R
##   NSIM=200 ... (quick run; default 4000, about 0.03 s of CPU per trial, ~12 min in all)

## the dfcrm library, OUT, the exact CSV writer and dfcrm_version: titecrm_common.R beside this file
.here <- dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)[1]))
source(file.path(.here, "titecrm_common.R"))

NSIM <- as.integer(Sys.getenv("NSIM", "4000"))
SEED <- 2027L

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
designs <- list(
  A = list(x0 = c(rep(1, 3), rep(2, 3), rep(3, 3), rep(4, 3), rep(5, 3), rep(6, 21)), tgrp = obswin),
  B = list(x0 = c(1, 2, 3, 4, 5, rep(6, 31)), tgrp = 14)
)
stopifnot(all(vapply(designs, function(D) length(D$x0) == n, TRUE)))

rows <- list()
cpu_total <- 0
for (dn in names(designs)) {
  D <- designs[[dn]]
  for (sn in names(scenarios)) {
    PI <- scenarios[[sn]]
    t0 <- proc.time()
    sim <- titesim(PI, prior, target, n, D$x0, nsim = NSIM, restrict = TRUE,
                   obswin = obswin, tgrp = D$tgrp, rate = rate, accrual = "poisson",
                   surv = "uniform", scheme = "linear", count = FALSE, method = "bayes",
                   model = "empiric", intcpt = 3, scale = sqrt(1.34), seed = SEED)
    tt <- proc.time() - t0
    cpu <- tt[["user.self"]] + tt[["sys.self"]]; cpu_total <- cpu_total + cpu
    dur <- sim$Duration
    stopifnot(length(dur) == NSIM, !anyNA(dur))
    cat(sprintf("design %s %s nsim=%d  cpu %.1fs (%.4f s/trial)  sel=%s  duration %.1f (sd %.1f)\n",
                dn, sn, NSIM, cpu, cpu / NSIM, paste(sprintf("%.3f", sim$MTD), collapse = " "),
                mean(dur), sd(dur)))
    rows[[length(rows) + 1]] <- data.frame(
      design = dn, scenario = sn, dose = 1:6, p_true = PI,
      prop_selected = sim$MTD, mean_n_treated = sim$level, mean_tox = sim$tox,
      mean_duration = mean(dur), sd_duration = sd(dur), nsim = NSIM, seed = SEED,
      stringsAsFactors = FALSE)
  }
}
cat(sprintf("total cpu %.1fs\n", cpu_total))

vec <- function(x) paste(x, collapse = ",")
summ <- do.call(rbind, rows)
write_csv17(summ, file.path(OUT, "r_titesim_x0_oc.csv"), c(
  paste0("package: dfcrm ", utils::packageDescription("dfcrm")$Version, " (CRAN)"),
  paste0("R: ", R.version.string),
  "regenerate: DFCRM_LIB=<lib> OUT_DIR=tests/published/data Rscript benchmarks/reference/titesim_x0_oc.R",
  sprintf("call: titesim(PI = <scenario>, prior = getprior(0.05, 0.25, 3, 6), target = 0.25, n = 36, x0 = <design>, nsim = %d, restrict = TRUE, obswin = 28, tgrp = <design>, rate = 2, accrual = 'poisson', surv = 'uniform', scheme = 'linear', count = FALSE, method = 'bayes', model = 'empiric', intcpt = 3, scale = sqrt(1.34), seed = %d)", NSIM, SEED),
  paste0("prior: ", vec(sprintf("%.17g", prior))),
  "design_A: x0 = c(rep(1,3), rep(2,3), rep(3,3), rep(4,3), rep(5,3), rep(6,21)); tgrp = 28 (= obswin, the default)",
  "design_B: x0 = c(1, 2, 3, 4, 5, rep(6,31)); tgrp = 14",
  paste0("scenarios: ", paste(sprintf("%s = %s", names(scenarios), vapply(scenarios, vec, "")), collapse = "; ")),
  sprintf("nsim: %d per design and scenario", NSIM),
  sprintf("seed: %d; set.seed(seed) once per titesim call (inside mtite), trials in sequence; RNGkind %s", SEED, paste(RNGkind(), collapse = "/")),
  "time_unit: days: obswin = 28; rate = 2 arrivals per obswin, Poisson accrual: inter-arrival gaps rexp(rate / obswin), the first arrival one gap after time 0; DLT with probability PI[dose], its time uniform on (0, obswin)",
  "x0: titesim with length(x0) = n (two-stage). Stage 1: patient 1 gets x0[1]; after patient m (dose x0[m]) each next arrival t is checked: if some enrolled patient's DLT has been observed by t (arrival + DLT time <= t), stage 1 ends; otherwise the arrival is enrolled as patient m+1 at x0[m+1] if x0[m+1] = x0[m] or t - arrival[m] >= tgrp, and is discarded (not enrolled, no outcome) if not, and the next arrival is checked",
  "tgrp: the minimum time between the arrival of the last enrolled patient and the next enrolment when x0 moves to a new level; arrivals sooner than that are discarded (a DLT observed at a discarded arrival still ends stage 1, and that arrival is then enrolled)",
  "stage_2: from the first arrival at which a DLT has been observed, every arrival is enrolled at the TITE-CRM dose: titecrm on the enrolled patients with B = DLT observed by t, follow-up min(t - arrival, DLT time, obswin), scheme weights, then min(model dose, last patient's dose + 1) (restrict = TRUE). If no DLT is observed before patient n arrives, patient n gets x0[n] (no tgrp check for this last step)",
  "all_dlt_case: at any interim decision of the two-stage design (the first and every later one), if every enrolled patient has an observed DLT (mean(B) == 1), titecrm is called with scale = 500 and titecrm's default method ('bayes') instead of scale and method; not used for the final estimate nor in the one-stage design (x0 scalar)",
  "final_mtd: titecrm on all n patients with complete follow-up (weights = 1), method = 'bayes', scale = sqrt(1.34): the dose whose estimated toxicity is closest to the target (no restriction); titesim always selects a dose",
  "columns: p_true = PI; prop_selected = $MTD (proportion of trials selecting the dose); mean_n_treated = $level (mean patients per dose); mean_tox = $tox (mean DLTs per dose, all n patients' outcomes); mean_duration = mean($Duration); sd_duration = sd($Duration) (sample SD across trials, n - 1 denominator, not the SE of the mean)",
  "duration: per trial, $Duration = max(arrival) + obswin = arrival time of patient n + obswin (discarded arrivals count only through the time that passes)"
))
cat("done\n")
