## titesim_traces.R
## Single-trial traces of dfcrm::titesim (nsim = 1), plus an independent
## "replay" of the TITE-CRM decision logic written from the conventions
## document, which must reproduce dfcrm's dose assignments and beta estimates
## exactly.  A Python re-implementation can replay the same traces: given each
## patient's arrival time, DLT indicator and DLT time (Inf if no DLT), it must
## reproduce `level`, `beta_hat`, `MTD` and `final_est`, independently of the RNG.
##
## Writes into $OUT_DIR/:
##   titesim_traces.json          all traces (+ per-decision details for the first NDETAIL seeds)
##   titesim_traces_patients.csv  one row per (config, seed, patient)
##   titesim_traces_trials.csv    one row per (config, seed): MTD, final_est, post_var, ptox
##   titesim_man_example.json     the ?titesim examples (two-stage nsim=1; 10 one-stage reps)
##
## Usage: Rscript benchmarks/reference/titesim_traces.R

## the dfcrm library, OUT, the exact JSON/CSV writers and dfcrm_version: titecrm_common.R beside this file
.here <- dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)[1]))
source(file.path(.here, "titecrm_common.R"))
version_info <- list(dfcrm_version = dfcrm_version, r_version = R.version.string,
                     platform = R.version$platform, rng = I(RNGkind()),
                     generated = format(Sys.time(), "%Y-%m-%d %H:%M:%S %Z"))

## ------------------------------------------------ replay of the decision logic
## Data available when patient i+1 arrives at time t = arrival[i+1]:
##   DLT observed  B_j = 1  iff  arrival_j + u_j <= t   (u_j = Inf if no DLT)
##   follow-up     f_j = min( min(t, arrival_j + u_j) - arrival_j , obswin )
## The titecrm fit on (B, level, f) gives a model dose; with restrict=TRUE the
## new dose is min(model dose, current dose + 1).
decide <- function(i, t, A, arrival, u, level, cur, restrict, two_stage) {
  utox <- arrival[1:i] + u[1:i]
  B <- as.numeric(utox <= t)
  fu <- pmin(pmin(t, utox) - arrival[1:i], A$obswin)
  if (two_stage && mean(B) == 1) {      # two-stage branch only: all observed outcomes are DLTs
    obj <- titecrm(A$prior, A$target, B, level[1:i], followup = fu, obswin = A$obswin,
                   scheme = A$scheme, model = A$model, intcpt = A$intcpt, scale = 500, var.est = FALSE)
  } else {
    obj <- titecrm(A$prior, A$target, B, level[1:i], followup = fu, obswin = A$obswin,
                   scheme = A$scheme, method = A$method, model = A$model, intcpt = A$intcpt,
                   scale = A$scale, var.est = FALSE)
  }
  newdose <- if (restrict) min(obj$mtd, cur + 1) else obj$mtd
  list(dose = newdose, est = obj$estimate,
       detail = list(patient = i + 1, time = t, n_data = i, B = I(B), followup = I(fu),
                     weights = I(obj$weights), estimate = obj$estimate, ptox = I(obj$ptox),
                     model_mtd = obj$mtd, previous_dose = cur, assigned_dose = newdose,
                     prior_sd_used = if (two_stage && mean(B) == 1) 500 else A$scale))
}
replay <- function(A, arrival, u, y) {
  n <- A$n; x0 <- A$x0; level <- rep(NA, n); bet <- rep(0, n); details <- list()
  if (length(x0) == 1) {                         # one-stage TITE-CRM
    level[1] <- cur <- x0
    for (i in 1:(n - 1)) {
      r <- decide(i, arrival[i + 1], A, arrival, u, level, cur, A$restrict, FALSE)
      level[i + 1] <- cur <- r$dose; bet[i + 1] <- r$est; details[[i]] <- r$detail
    }
  } else {                                       # two-stage: follow x0 until first DLT is observed
    m <- NA
    for (j in 1:(n - 1)) {
      if (any(arrival[1:j] + u[1:j] <= arrival[j + 1]) || j == n - 1) { m <- j; break }
    }
    level[1:m] <- x0[1:m]; cur <- x0[m]
    if (m == n - 1 && !any(arrival[1:m] + u[1:m] <= arrival[n])) {
      level[n] <- x0[n]
    } else {
      for (i in m:(n - 1)) {
        r <- decide(i, arrival[i + 1], A, arrival, u, level, cur, A$restrict, TRUE)
        level[i + 1] <- cur <- r$dose; bet[i + 1] <- r$est; details[[length(details) + 1]] <- r$detail
      }
    }
  }
  fin <- titecrm(A$prior, A$target, y, level, weights = rep(1, n), method = A$method,
                 model = A$model, intcpt = A$intcpt, scale = A$scale)
  list(level = level, beta_hat = bet, MTD = fin$mtd, final_est = fin$estimate, details = details)
}

## ------------------------------------------------------------------ configs
prior <- getprior(0.05, 0.25, 3, 6)
base <- list(prior = prior, target = 0.25, n = 36, obswin = 28, rate = 2, accrual = "poisson",
             surv = "uniform", scheme = "linear", method = "bayes", model = "empiric",
             intcpt = 3, scale = sqrt(1.34), restrict = TRUE, x0 = 1)
scen <- list(S1 = c(0.05, 0.12, 0.25, 0.40, 0.55, 0.70),
             S2 = c(0.02, 0.05, 0.09, 0.15, 0.25, 0.40),
             S3 = c(0.30, 0.45, 0.60, 0.70, 0.80, 0.90))
variants <- list(
  main     = list(),
  adaptive = list(scheme = "adaptive"),
  logistic = list(model = "logistic"),
  fixed    = list(accrual = "fixed"),
  norestrict = list(restrict = FALSE),
  twostage = list(x0 = c(rep(1:6, each = 3), rep(6, 18)))
)
SEEDS <- 1:20
NDETAIL <- 3

traces <- list(); prow <- list(); trow <- list(); n_ok <- 0; n_bad <- 0
t_all <- 0
for (vn in names(variants)) for (sn in names(scen)) {
  A <- modifyList(base, variants[[vn]]); A$PI <- scen[[sn]]
  for (s in SEEDS) {
    t0 <- proc.time()[["elapsed"]]
    sim <- titesim(A$PI, A$prior, A$target, A$n, A$x0, nsim = 1, restrict = A$restrict,
                   obswin = A$obswin, rate = A$rate, accrual = A$accrual, surv = A$surv,
                   scheme = A$scheme, count = FALSE, method = A$method, model = A$model,
                   intcpt = A$intcpt, scale = A$scale, seed = s)
    t_all <- t_all + proc.time()[["elapsed"]] - t0
    rp <- replay(A, sim$arrival, sim$toxicity.time, sim$tox)
    ok <- identical(as.numeric(rp$level), as.numeric(sim$level)) &&
          identical(as.numeric(rp$beta_hat), as.numeric(sim$beta.hat)) &&
          rp$MTD == sim$MTD && identical(rp$final_est, sim$final.est)
    if (ok) n_ok <- n_ok + 1 else { n_bad <- n_bad + 1; cat("REPLAY MISMATCH", vn, sn, s, "\n") }
    cfg <- paste(vn, sn, sep = "_")
    tr <- list(config = cfg, variant = vn, scenario = sn, seed = s,
               arguments = list(PI = I(A$PI), prior = I(A$prior), target = A$target, n = A$n,
                                x0 = I(A$x0), nsim = 1, restrict = A$restrict, obswin = A$obswin,
                                tgrp = A$obswin, rate = A$rate, accrual = A$accrual, surv = A$surv,
                                scheme = A$scheme, method = A$method, model = A$model,
                                intcpt = A$intcpt, scale = A$scale, seed = s),
               arrival = I(sim$arrival), toxicity_time = I(sim$toxicity.time),
               toxicity_study_time = I(sim$toxicity.study.time), tox = I(sim$tox),
               level = I(sim$level), beta_hat = I(sim$beta.hat), MTD = sim$MTD,
               final_est = sim$final.est, post_var = sim$post.var, ptox = I(sim$ptox),
               ptoxL = I(sim$ptoxL), ptoxU = I(sim$ptoxU), msg = sim$msg,
               replay_matches_dfcrm = ok)
    if (s <= NDETAIL) tr$decisions <- rp$details
    traces[[length(traces) + 1]] <- tr
    prow[[length(prow) + 1]] <- data.frame(config = cfg, seed = s, patient = 1:A$n,
      arrival = sim$arrival, toxicity_time = sim$toxicity.time, tox = sim$tox,
      level = sim$level, beta_hat = sim$beta.hat, stringsAsFactors = FALSE)
    trow[[length(trow) + 1]] <- data.frame(config = cfg, variant = vn, scenario = sn, seed = s,
      MTD = sim$MTD, final_est = sim$final.est, post_var = sim$post.var,
      t(setNames(sim$ptox, paste0("ptox", 1:6))), duration = max(sim$arrival) + A$obswin,
      replay_ok = ok, stringsAsFactors = FALSE)
  }
}
cat("replay identical for", n_ok, "of", n_ok + n_bad, "trials; titesim time per trial",
    t_all / (n_ok + n_bad), "s\n")

notes <- list(
  variants = "main: x0=1 linear empiric poisson restrict; adaptive: scheme='adaptive'; logistic: model='logistic' (same empiric skeleton, intcpt=3); fixed: accrual='fixed'; norestrict: restrict=FALSE; twostage: x0=c(rep(1:6,each=3),rep(6,18)), tgrp=obswin",
  toxicity_time = "time from arrival to DLT, U(0,obswin) if DLT; \"Inf\" if no DLT (this is titesim's $toxicity.time)",
  beta_hat = "beta_hat[k] = posterior mean used to choose the dose of patient k (0 for patients dosed by x0)",
  decisions = "present for seeds 1..3: for each model-based decision, the data set seen (B, followup, weights) at the arrival time of the patient being dosed",
  replay = "replay_matches_dfcrm: an independent re-implementation of the decision timing (in this script) reproduced level, beta_hat, MTD and final_est bit-for-bit",
  seconds_per_trial_nsim1 = t_all / (n_ok + n_bad))
write_json(list(meta = version_info, notes = notes, traces = traces), file.path(OUT, "titesim_traces.json"))
hdr <- c(paste("dfcrm", dfcrm_version, "|", R.version.string),
         "titesim(PI, prior=getprior(0.05,0.25,3,6), target=0.25, n=36, x0, nsim=1, restrict, obswin=28, rate=2, accrual, surv='uniform', scheme, method='bayes', model, intcpt=3, scale=sqrt(1.34), seed=seed, count=FALSE)",
         notes$variants, "full per-config arguments in titesim_traces.json")
write_csv17(do.call(rbind, prow), file.path(OUT, "titesim_traces_patients.csv"), c(hdr, notes$toxicity_time, notes$beta_hat))
write_csv17(do.call(rbind, trow), file.path(OUT, "titesim_traces_trials.csv"), hdr)

## ------------------------------------------------------- ?titesim examples
PI <- c(0.10, 0.20, 0.40, 0.50, 0.60, 0.65)
ex_prior <- c(0.05, 0.10, 0.20, 0.35, 0.50, 0.70)
x0 <- c(rep(1, 3), rep(2, 3), rep(3, 3), rep(4, 3), rep(5, 3), rep(6, 9))
foo <- titesim(PI, ex_prior, 0.2, 24, x0, obswin = 6, rate = 4, accrual = "poisson")
foo10 <- titesim(PI, ex_prior, 0.2, 24, 3, nsim = 10, obswin = 6, rate = 4, accrual = "poisson", count = FALSE)
A <- modifyList(base, list(prior = ex_prior, target = 0.2, n = 24, obswin = 6, x0 = x0))
rp <- replay(A, foo$arrival, foo$toxicity.time, foo$tox)
write_json(list(meta = version_info,
  single = list(call = "titesim(PI, prior, target=0.2, 24, x0, obswin=6, rate=4, accrual='poisson')  # seed default 1009",
                PI = I(PI), prior = I(ex_prior), x0 = I(x0), arrival = I(foo$arrival),
                toxicity_time = I(foo$toxicity.time), tox = I(foo$tox), level = I(foo$level),
                beta_hat = I(foo$beta.hat), MTD = foo$MTD, final_est = foo$final.est,
                post_var = foo$post.var, ptox = I(foo$ptox),
                replay_matches_dfcrm = identical(as.numeric(rp$level), as.numeric(foo$level)) &&
                  identical(as.numeric(rp$beta_hat), as.numeric(foo$beta.hat))),
  ten = list(call = "titesim(PI, prior, target=0.2, 24, 3, nsim=10, obswin=6, rate=4, accrual='poisson')  # seed 1009",
             MTD = I(foo10$MTD), level = I(foo10$level), tox = I(foo10$tox),
             Duration = I(foo10$Duration), final_est = I(foo10$final.est))),
  file.path(OUT, "titesim_man_example.json"))
cat("done\n")
