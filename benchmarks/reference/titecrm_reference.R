## titecrm_reference.R
## Reference outputs of dfcrm::titecrm (and getprior / crm) for checking a
## Python re-implementation.
##
## Writes into $OUT_DIR/:
##   titecrm_examples.json      dfcrm's own documented ?titecrm / ?crm / ?getprior examples
##   titecrm_random.json        300 random data sets x {linear, adaptive} x {empiric, logistic}
##   titecrm_random_inputs.csv  the same inputs in long CSV form (one row per patient)
##   titecrm_random_results.csv one row per (dataset, scheme, model): estimate, post.var, ptox..., mtd
##   titecrm_random_weights.csv one row per (dataset, scheme, model, patient): weight
##   titecrm_edge_cases.json    corner cases (no DLT, all DLT, follow-up > obswin, include=, errors)
##   titecrm_meta.json          dfcrm / R versions, all arguments, seed, generation recipe
##
## Usage: Rscript benchmarks/reference/titecrm_reference.R
## Needs: dfcrm installed in $DFCRM_LIB; r-cran-jsonlite (self-check only).

## the dfcrm library, OUT, the exact JSON/CSV writers and dfcrm_version: titecrm_common.R beside this file
.here <- dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)[1]))
source(file.path(.here, "titecrm_common.R"))
r_version <- R.version.string
version_info <- list(dfcrm_version = dfcrm_version, r_version = r_version,
                     dfcrm_source = "github:cran/dfcrm (CRAN mirror), DESCRIPTION Version 0.2-2.1",
                     platform = R.version$platform,
                     generated = format(Sys.time(), "%Y-%m-%d %H:%M:%S %Z"))

## Pull everything numeric out of an "mtd" object
grab <- function(fit) {
  list(estimate = fit$estimate, post_var = fit$post.var,
       post_sd = if (is.na(fit$post.var)) NA else sqrt(fit$post.var),
       ptox = I(fit$ptox), ptoxL = I(fit$ptoxL), ptoxU = I(fit$ptoxU),
       mtd = fit$mtd, weights = I(fit$weights),
       followup = if (is.null(fit$followup)) NULL else I(fit$followup),
       dosescaled = I(fit$dosescaled), prior_var = fit$prior.var)
}

## High-accuracy recomputation of the same three integrals that titecrm uses
## (same integrands, same bounds: denominator over (-Inf,Inf), numerators over
## (-10,10)) but with rel.tol=1e-11, to show how far dfcrm's default
## integrate() tolerance (rel.tol = .Machine$double.eps^0.25 ~ 1.22e-4) is from
## the "exact" answer.
hi_acc <- function(prior, tox, level, w, model, scale = sqrt(1.34), intcpt = 3) {
  if (model == "empiric") {
    x <- prior[level]
    pfun <- function(a) outer(exp(a), x, function(ea, xx) xx^ea)
  } else {
    x <- (log(prior / (1 - prior)) - intcpt)[level]
    pfun <- function(a) outer(exp(a), x, function(ea, xx) 1 / (1 + exp(-intcpt - ea * xx)))
  }
  lik <- function(a) {
    P <- pfun(a)
    Y <- matrix(tox, nrow = length(a), ncol = length(x), byrow = TRUE)
    W <- matrix(w, nrow = length(a), ncol = length(x), byrow = TRUE)
    exp(-a^2 / 2 / scale^2) * apply(ifelse(Y == 1, P, 1 - W * P), 1, prod)
  }
  I0 <- integrate(lik, -Inf, Inf, rel.tol = 1e-11, abs.tol = 0, subdivisions = 2000L)$value
  I1 <- integrate(function(a) a * lik(a), -10, 10, rel.tol = 1e-11, abs.tol = 0, subdivisions = 2000L)$value
  I2 <- integrate(function(a) a^2 * lik(a), -10, 10, rel.tol = 1e-11, abs.tol = 0, subdivisions = 2000L)$value
  est <- I1 / I0
  list(estimate_hiacc = est, post_var_hiacc = I2 / I0 - est^2)
}

target <- 0.25
obswin <- 28
prior6 <- getprior(0.05, 0.25, 3, 6)   # halfwidth, target, nu (prior MTD), nlevel; model="empiric"

## ========================================================== A. documented examples
## ?titecrm examples (verbatim data)
ex_prior <- c(0.05, 0.10, 0.20, 0.35, 0.50, 0.70)
ex_target <- 0.2
ex_level <- c(3, 3, 3, 4, 4, 3, 2, 2, 2, 3)
ex_y <- c(0, 0, 1, 0, 1, 0, 0, 0, 0, 0)
ex_u <- c(178, 181, 168, 181, 24, 181, 179, 102, 42, 3)
ex_tau <- 180
ex_entry <- c(7, 29, 49, 76, 92, 133, 241, 303, 363, 402)
ex_exit <- c(185, 210, 217, 257, 116, 314, 420, 405, 405, 405)

foo  <- titecrm(ex_prior, ex_target, ex_y, ex_level, followup = ex_u, obswin = ex_tau)
foo2 <- titecrm(ex_prior, ex_target, ex_y, ex_level, followup = ex_u, obswin = ex_tau, scheme = "adaptive")
wts  <- foo2$weights
foo3 <- titecrm(ex_prior, ex_target, ex_y, ex_level, weights = wts, followup = ex_u, obswin = ex_tau)
foo4 <- titecrm(ex_prior, ex_target, ex_y, ex_level, exit = ex_exit, entry = ex_entry, obswin = ex_tau)
## Same data, logistic working model (not in the man page; added for coverage)
foo5 <- titecrm(ex_prior, ex_target, ex_y, ex_level, followup = ex_u, obswin = ex_tau, model = "logistic")
foo6 <- titecrm(ex_prior, ex_target, ex_y, ex_level, followup = ex_u, obswin = ex_tau, scheme = "adaptive", model = "logistic")

## ?crm example
crm_level <- c(3, 4, 4, 3, 3, 4, 3, 2, 2, 2)
crm_y <- c(0, 0, 1, 0, 0, 1, 1, 0, 0, 0)
fcrm <- crm(ex_prior, ex_target, crm_y, crm_level)
fcrm_tite <- titecrm(ex_prior, ex_target, crm_y, crm_level, weights = rep(1, 10))

examples <- list(
  meta = version_info,
  common = list(prior = I(ex_prior), target = ex_target, level = I(ex_level), tox = I(ex_y),
                followup = I(ex_u), obswin = ex_tau, entry = I(ex_entry), exit = I(ex_exit),
                scale = sqrt(1.34), intcpt = 3, method = "bayes", conf.level = 0.9),
  cases = list(
    list(id = "foo", call = "titecrm(prior, target, y, level, followup=u, obswin=tau)", result = grab(foo)),
    list(id = "foo2", call = "titecrm(prior, target, y, level, followup=u, obswin=tau, scheme=\"adaptive\")", result = grab(foo2)),
    list(id = "foo3", call = "titecrm(prior, target, y, level, weights=foo2$weights, followup=u, obswin=tau)", result = grab(foo3)),
    list(id = "foo4", call = "titecrm(prior, target, y, level, exit=exit, entry=entry, obswin=tau)  # followup = exit-entry", result = grab(foo4)),
    list(id = "foo5_extra", call = "titecrm(prior, target, y, level, followup=u, obswin=tau, model=\"logistic\")", result = grab(foo5)),
    list(id = "foo6_extra", call = "titecrm(prior, target, y, level, followup=u, obswin=tau, scheme=\"adaptive\", model=\"logistic\")", result = grab(foo6)),
    list(id = "crm_example", call = "crm(prior, target, tox=c(0,0,1,0,0,1,1,0,0,0), level=c(3,4,4,3,3,4,3,2,2,2))",
         result = list(estimate = fcrm$estimate, post_var = fcrm$post.var, ptox = I(fcrm$ptox),
                       ptoxL = I(fcrm$ptoxL), ptoxU = I(fcrm$ptoxU), mtd = fcrm$mtd)),
    list(id = "crm_example_via_titecrm_w1", call = "titecrm(prior, target, same tox, same level, weights=rep(1,10))",
         result = grab(fcrm_tite))
  ),
  getprior = list(
    list(call = "getprior(0.05, 0.25, 3, 6)", value = I(getprior(0.05, 0.25, 3, 6))),
    list(call = "getprior(0.05, 0.25, 3, 6, model=\"logistic\")", value = I(getprior(0.05, 0.25, 3, 6, model = "logistic"))),
    list(call = "getprior(0.10, 0.25, 3, nlevel=6, model=\"logistic\")  # ?getprior example", value = I(getprior(0.10, 0.25, 3, nlevel = 6, model = "logistic"))),
    list(call = "getprior(0.10, 0.25, 3, 6)", value = I(getprior(0.10, 0.25, 3, 6))),
    list(call = "getprior(0.05, 0.20, 1, 5)", value = I(getprior(0.05, 0.20, 1, 5))),
    list(call = "getprior(0.05, 0.20, 5, 5)", value = I(getprior(0.05, 0.20, 5, 5))),
    list(call = "getprior(0.04, 0.30, 2, 8, model=\"logistic\", intcpt=2)", value = I(getprior(0.04, 0.30, 2, 8, model = "logistic", intcpt = 2)))
  )
)
## high-accuracy companions for the example fits
for (k in seq_along(examples$cases)) {
  cid <- examples$cases[[k]]$id
  if (cid %in% c("crm_example", "crm_example_via_titecrm_w1")) {
    h <- hi_acc(ex_prior, crm_y, crm_level, rep(1, 10), "empiric")
  } else {
    fit <- list(foo = foo, foo2 = foo2, foo3 = foo3, foo4 = foo4, foo5_extra = foo5, foo6_extra = foo6)[[cid]]
    h <- hi_acc(ex_prior, ex_y, ex_level, fit$weights, fit$model)
  }
  examples$cases[[k]]$hiacc <- h
}
write_json(examples, file.path(OUT, "titecrm_examples.json"))

## ========================================================== B. 300 random data sets
SEED <- 20240611
set.seed(SEED)
NDATA <- 300
datasets <- vector("list", NDATA)
for (d in 1:NDATA) {
  n <- sample(3:30, 1)
  level <- sample(1:6, n, replace = TRUE)
  ## DLT indicators: odd data sets use a dose-dependent truth p_k = prior6[k]^exp(b),
  ## b ~ U(-1.5, 1.5); even data sets use one common rate pdlt ~ U(0.05, 0.5) for all doses
  b_true <- runif(1, -1.5, 1.5)
  pdlt <- runif(1, 0.05, 0.5)
  ptrue <- if (d %% 2 == 1) prior6[level]^exp(b_true) else rep(pdlt, n)
  tox <- rbinom(n, 1, ptrue)
  fu <- runif(n, 0, obswin)                      # non-DLT: partial follow-up in (0, 28)
  complete <- rbinom(n, 1, 0.25) == 1            # ~25% of non-DLT patients fully followed (28)
  fu[tox == 0 & complete] <- obswin
  ## DLT patients: follow-up = time of the DLT, uniform on (0, 28) (strictly < 28:
  ## a DLT time exactly equal to obswin makes the adaptive scheme divide 0/0; see edge cases)
  fu <- as.numeric(sprintf("%.3f", fu))         # 3 decimals so CSV text is exact
  fu[fu <= 0] <- 0.001
  fu[tox == 1 & fu >= obswin] <- 27.999
  datasets[[d]] <- list(dataset = d, n = n, level = level, tox = tox, followup = fu)
}

schemes <- c("linear", "adaptive"); models <- c("empiric", "logistic")
res_rows <- list(); w_rows <- list(); json_sets <- vector("list", NDATA)
t0 <- proc.time()[["elapsed"]]
for (d in 1:NDATA) {
  D <- datasets[[d]]
  fits <- list()
  for (sc in schemes) for (md in models) {
    fit <- titecrm(prior6, target, D$tox, D$level, followup = D$followup, obswin = obswin,
                   scheme = sc, model = md)
    g <- grab(fit); g$followup <- NULL; g$dosescaled <- NULL
    h <- hi_acc(prior6, D$tox, D$level, fit$weights, md)
    ## margin of the dose decision: 2nd smallest minus smallest |ptox - target|
    dd <- sort(abs(fit$ptox - target))
    g$mtd_margin <- dd[2] - dd[1]
    ## dose that the high-accuracy estimate would give (same rule as titecrm)
    pt_h <- if (md == "empiric") prior6^exp(h$estimate_hiacc) else
      1 / (1 + exp(-3 - exp(h$estimate_hiacc) * (log(prior6 / (1 - prior6)) - 3)))
    h$mtd_hiacc <- if (all(pt_h <= target)) 6 else if (all(pt_h >= target)) 1 else order(abs(pt_h - target))[1]
    g <- c(g, h)
    fits[[paste(sc, md, sep = "_")]] <- c(list(scheme = sc, model = md), g)
    res_rows[[length(res_rows) + 1]] <- data.frame(
      dataset = d, scheme = sc, model = md, n = D$n, ndlt = sum(D$tox),
      estimate = fit$estimate, post_var = fit$post.var, post_sd = sqrt(fit$post.var),
      t(setNames(fit$ptox, paste0("ptox", 1:6))), t(setNames(fit$ptoxL, paste0("ptoxL", 1:6))),
      t(setNames(fit$ptoxU, paste0("ptoxU", 1:6))), mtd = fit$mtd, mtd_margin = g$mtd_margin,
      estimate_hiacc = h$estimate_hiacc, post_var_hiacc = h$post_var_hiacc, mtd_hiacc = h$mtd_hiacc,
      stringsAsFactors = FALSE)
    w_rows[[length(w_rows) + 1]] <- data.frame(dataset = d, scheme = sc, model = md,
      patient = 1:D$n, level = D$level, tox = D$tox, followup = D$followup, weight = fit$weights,
      stringsAsFactors = FALSE)
  }
  json_sets[[d]] <- list(dataset = d, n = D$n, level = I(D$level), tox = I(D$tox),
                         followup = I(D$followup), fits = unname(fits))
}
elapsed_random <- proc.time()[["elapsed"]] - t0

args_random <- list(prior = I(prior6), prior_call = "getprior(0.05, 0.25, 3, 6)  # empiric skeleton, used for BOTH models",
                    target = target, obswin = obswin, schemes = I(schemes), models = I(models),
                    method = "bayes", scale = sqrt(1.34), intcpt = 3, conf.level = 0.9, var.est = TRUE,
                    weights = "NULL (computed by titecrm from followup/obswin/scheme)",
                    call = "titecrm(prior, target, tox, level, followup=followup, obswin=28, scheme=scheme, model=model)",
                    seed = SEED, rng = I(RNGkind()),
                    generation = paste(
                      "set.seed(seed); per data set: n <- sample(3:30,1); level <- sample(1:6,n,TRUE);",
                      "b_true <- runif(1,-1.5,1.5); pdlt <- runif(1,0.05,0.5); ptrue <- if (d odd) prior[level]^exp(b_true) else rep(pdlt,n); tox <- rbinom(n,1,ptrue); fu <- runif(n,0,28);",
                      "complete <- rbinom(n,1,0.25)==1; fu[tox==0 & complete] <- 28;",
                      "fu rounded to 3 decimals (as.numeric(sprintf('%.3f'))), fu<=0 -> 0.001, DLT fu>=28 -> 27.999.",
                      "For DLT patients followup = DLT time (<28); for non-DLT = censoring time in (0,28]."),
                    hiacc_note = paste("estimate_hiacc/post_var_hiacc: same integrands and bounds as titecrm",
                      "(den over (-Inf,Inf), numerators over (-10,10)) with integrate(rel.tol=1e-11);",
                      "dfcrm itself uses integrate()'s default rel.tol=.Machine$double.eps^0.25, abs.tol=0."),
                    mtd_margin_note = "second-smallest minus smallest |ptox - target|; tiny margins = fragile mtd comparisons")
write_json(list(meta = version_info, arguments = args_random, datasets = json_sets),
           file.path(OUT, "titecrm_random.json"))

hdr <- c(paste("dfcrm", dfcrm_version, "|", r_version),
         "prior = getprior(0.05, 0.25, 3, 6) = {" , paste(sprintf("%.17g", prior6), collapse = " "), "}",
         "target = 0.25, obswin = 28, method = bayes, scale = sqrt(1.34), intcpt = 3 (logistic), conf.level = 0.9",
         paste("seed", SEED, "; full argument list and generation recipe in titecrm_meta.json"))
hdr <- c(hdr[1], paste(hdr[2:5], collapse = ""), hdr[6:7])
inp <- do.call(rbind, lapply(datasets, function(D) data.frame(dataset = D$dataset, patient = seq_len(D$n),
                                                           level = D$level, tox = D$tox, followup = D$followup)))
write_csv17(inp, file.path(OUT, "titecrm_random_inputs.csv"), c(hdr, "one row per patient"))
write_csv17(do.call(rbind, res_rows), file.path(OUT, "titecrm_random_results.csv"),
            c(hdr, "one row per (dataset, scheme, model); call: titecrm(prior, target, tox, level, followup=followup, obswin=28, scheme=scheme, model=model)"))
write_csv17(do.call(rbind, w_rows), file.path(OUT, "titecrm_random_weights.csv"),
            c(hdr, "one row per (dataset, scheme, model, patient); weight = titecrm(...)$weights (DLT patients forced to 1); weights do not depend on model"))

## ========================================================== C. edge cases
edge <- list()
run_edge <- function(id, note, ...) {
  args <- list(...)
  r <- tryCatch(grab(do.call(titecrm, args)), error = function(e) list(error = conditionMessage(e)))
  args_j <- lapply(args, function(a) if (is.numeric(a) && length(a) > 1) I(a) else a)
  list(id = id, note = note, arguments = args_j, result = r)
}
edge[[1]] <- run_edge("no_dlt_adaptive", "no DLT: adaptive falls back to linear followup/obswin",
  prior = prior6, target = target, tox = c(0, 0, 0, 0), level = c(1, 1, 2, 2),
  followup = c(28, 20, 10.5, 3), obswin = 28, scheme = "adaptive")
edge[[2]] <- run_edge("all_dlt_linear", "all DLT: weights all 1",
  prior = prior6, target = target, tox = c(1, 1, 1), level = c(1, 2, 3),
  followup = c(5, 12, 27), obswin = 28, scheme = "linear")
edge[[3]] <- run_edge("followup_gt_obswin_linear", "follow-up beyond the window: weight capped at 1 (pmin)",
  prior = prior6, target = target, tox = c(0, 0, 1, 0), level = c(2, 2, 3, 3),
  followup = c(40, 28, 14, 7), obswin = 28, scheme = "linear")
edge[[4]] <- run_edge("followup_gt_obswin_adaptive", "follow-up beyond window under adaptive: (z + (f-s_z)/(obswin-s_z))/(z+1) > 1, capped at 1",
  prior = prior6, target = target, tox = c(0, 0, 1, 0), level = c(2, 2, 3, 3),
  followup = c(40, 28, 14, 7), obswin = 28, scheme = "adaptive")
edge[[5]] <- run_edge("single_patient", "n = 1",
  prior = prior6, target = target, tox = 0, level = 1, followup = 14, obswin = 28)
edge[[6]] <- run_edge("dlt_at_obswin_adaptive", "DLT time exactly = obswin under adaptive: 0/0 -> NaN weight -> error",
  prior = prior6, target = target, tox = c(1, 0, 0), level = c(1, 1, 1),
  followup = c(28, 28, 10), obswin = 28, scheme = "adaptive")
edge[[7]] <- run_edge("include_subset", "include = c(1,2,4): weights computed for all, likelihood uses subset",
  prior = prior6, target = target, tox = c(0, 1, 0, 0), level = c(1, 2, 3, 3),
  followup = c(28, 6, 9, 20), obswin = 28, scheme = "adaptive", include = c(1, 2, 4))
edge[[8]] <- run_edge("adaptive_two_dlts", "adaptive with 2 DLTs at 5 and 20; non-DLT follow-ups in each segment",
  prior = prior6, target = target, tox = c(1, 1, 0, 0, 0, 0, 0), level = c(2, 3, 2, 2, 3, 3, 1),
  followup = c(5, 20, 2.5, 5, 12.5, 24, 28), obswin = 28, scheme = "adaptive")
edge[[9]] <- run_edge("mle_linear", "method = mle (optimize on (-10,10), tol 1e-4)",
  prior = prior6, target = target, tox = c(0, 1, 0, 0, 1), level = c(1, 2, 3, 3, 3),
  followup = c(28, 6, 9, 20, 3), obswin = 28, method = "mle")
edge[[10]] <- run_edge("all_dlt_scale500", "all DLT with scale = 500 (what titesim's two-stage branch does)",
  prior = prior6, target = target, tox = c(1, 1), level = c(1, 1),
  followup = c(5, 12), obswin = 28, scale = 500)
edge[[11]] <- run_edge("entry_exit", "followup = exit - entry",
  prior = prior6, target = target, tox = c(0, 1, 0), level = c(1, 2, 2),
  entry = c(0, 10, 30), exit = c(28, 25, 41), obswin = 28, scheme = "adaptive")
write_json(list(meta = version_info, cases = edge), file.path(OUT, "titecrm_edge_cases.json"))

## ========================================================== meta + self-check
res <- do.call(rbind, res_rows)
summ <- list(
  n_fits = nrow(res), elapsed_seconds_random_block = elapsed_random,
  n_datasets_without_dlt = sum(sapply(datasets, function(D) sum(D$tox) == 0)),
  n_datasets_all_dlt = sum(sapply(datasets, function(D) all(D$tox == 1))),
  max_abs_estimate_minus_hiacc = max(abs(res$estimate - res$estimate_hiacc)),
  max_abs_postvar_minus_hiacc = max(abs(res$post_var - res$post_var_hiacc)),
  min_mtd_margin = min(res$mtd_margin),
  n_mtd_differs_from_hiacc = sum(res$mtd != res$mtd_hiacc),
  mtd_table = as.list(table(factor(res$mtd, levels = 1:6)))
)
names(summ$mtd_table) <- paste0("dose", 1:6)
write_json(list(meta = version_info, arguments_random = args_random, summary = summ,
                files = list(examples = "titecrm_examples.json", random_json = "titecrm_random.json",
                             random_inputs = "titecrm_random_inputs.csv", random_results = "titecrm_random_results.csv",
                             random_weights = "titecrm_random_weights.csv", edge = "titecrm_edge_cases.json")),
           file.path(OUT, "titecrm_meta.json"))

## round-trip check of the JSON writer (numbers must come back bit-identical)
suppressPackageStartupMessages(library(jsonlite))
back <- fromJSON(file.path(OUT, "titecrm_random.json"), simplifyVector = FALSE)
stopifnot(identical(as.numeric(unlist(back$datasets[[7]]$fits[[2]]$ptox)), as.numeric(unclass(json_sets[[7]]$fits[[2]]$ptox))))
cat("done. fits:", nrow(res), " elapsed(random block):", elapsed_random, "s\n")
print(summ[1:8])
