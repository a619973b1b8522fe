#!/usr/bin/env Rscript
## Reference outputs of the BOIN R package 2.7.2 (get.oc, get.boundary, select.mtd) and dfcrm 0.2-2.1
## (crmsim, getprior, crm) behind dosefind's conformance checks (`dosefind verify`,
## tests/published/test_r_reference.py). Package functions only, unmodified.
##
## Usage (from the repository root; BOIN (with Iso) and dfcrm installed into library folders outside the
## repository, e.g. with `R CMD INSTALL -l <lib> <source>`):
##   BOIN_RLIB=<lib> DFCRM_LIB=<lib> Rscript benchmarks/reference/boin_dfcrm_reference.R <outdir> [part ...]
## parts (default: trials oc single):
##   trials  <outdir>/r_boin_trials.csv.gz (B1-B3 x S1-S6 x seeds 1-100, get.oc with ntrial = 1) and
##           <outdir>/r_crm_trials.csv.gz (empiric, logistic x S1-S6 x seeds 1-50, crmsim with nsim = 1),
##           each row with the 36 uniforms set.seed(seed); runif(36) gives (the patients R's trial drew)
##   oc      <outdir>/r_reference_oc.csv: get.oc runs B1-B3 (20000 trials, seed 6) and crmsim runs C1, C2
##           (3000 trials, seed 1009); about 6 minutes (get.oc) and 8 minutes (crmsim) of CPU
##   single  <outdir>/r_single_calls.csv: the single-call values recorded in
##           src/dosefind/conformance/reference.py (get.boundary, select.mtd, getprior, crm), formatted as
##           they are written there
## The shipped files live in src/dosefind/conformance/data/ (trials, oc); the single-call values are
## typed into reference.py, not read from a file. See benchmarks/reference/README.md, sections 1-3.
## Settings: six doses, target 0.30, 12 cohorts of 3 from dose 1, scenarios S1-S6 of
## scenarios/target30-6dose.toml; B1 get.oc defaults (cutoff.eli 0.95, n.earlystop 100), B2 n.earlystop 12,
## B3 extrasafe (offset 0.05); C1 crmsim empiric, C2 logistic (intcpt 3), both restrict = TRUE,
## scale sqrt(1.34), skeleton getprior(0.05, 0.3, 3, 6).

lib_of <- function(var) { v <- Sys.getenv(var); if (nzchar(v)) v else .libPaths()[1] }
suppressPackageStartupMessages({
  library(BOIN, lib.loc = c(lib_of("BOIN_RLIB"), .libPaths()))
  library(dfcrm, lib.loc = c(lib_of("DFCRM_LIB"), .libPaths()))
})

args <- commandArgs(trailingOnly = TRUE)
if (length(args) < 1) stop("usage: boin_dfcrm_reference.R <outdir> [trials] [oc] [single]")
outdir <- args[1]
parts <- if (length(args) > 1) args[-1] else c("trials", "oc", "single")
dir.create(outdir, showWarnings = FALSE, recursive = TRUE)

scen <- list(
  S1 = c(0.26, 0.34, 0.47, 0.64, 0.66, 0.77), S2 = c(0.18, 0.25, 0.32, 0.36, 0.60, 0.69),
  S3 = c(0.09, 0.16, 0.23, 0.34, 0.51, 0.74), S4 = c(0.07, 0.13, 0.20, 0.29, 0.37, 0.54),
  S5 = c(0.03, 0.09, 0.16, 0.25, 0.32, 0.40), S6 = c(0.04, 0.05, 0.08, 0.11, 0.15, 0.31))
boin_runs <- list(B1 = list(n.earlystop = 100, extrasafe = FALSE),
                  B2 = list(n.earlystop = 12, extrasafe = FALSE),
                  B3 = list(n.earlystop = 100, extrasafe = TRUE))
crm_runs <- list(C1 = "empiric", C2 = "logistic")
skeleton <- getprior(halfwidth = 0.05, target = 0.3, nu = 3, nlevel = 6)   # model = "empiric"

boin_oc <- function(run, p, ntrial, seed)
  get.oc(target = 0.3, p.true = p, ncohort = 12, cohortsize = 3, startdose = 1, cutoff.eli = 0.95,
         extrasafe = boin_runs[[run]]$extrasafe, offset = 0.05, n.earlystop = boin_runs[[run]]$n.earlystop,
         ntrial = ntrial, seed = seed)
crm_sim <- function(model, p, nsim, seed)
  crmsim(PI = p, prior = skeleton, target = 0.3, n = 36, x0 = 1, nsim = nsim, mcohort = 3,
         restrict = TRUE, count = FALSE, model = model, intcpt = 3, scale = sqrt(1.34), seed = seed)

g17 <- function(x) sprintf("%.17g", x)            # every double exactly
sp <- function(x) paste(x, collapse = " ")
uniforms <- function(seed) { set.seed(seed); sp(g17(runif(36))) }

## ---------------------------------------------------------------- trials: one R trial per seed
if ("trials" %in% parts) {
  rows <- list()
  for (run in names(boin_runs)) for (s in names(scen)) for (seed in 1:100) {
    r <- boin_oc(run, scen[[s]], ntrial = 1, seed = seed)
    sel <- which(r$selpercent == 100)
    rows[[length(rows) + 1]] <- data.frame(
      run = run, scenario = s, seed = seed, n = sp(r$npatients), y = sp(r$ntox),
      selected = if (length(sel)) sel else 99L, uniforms = uniforms(seed))
  }
  con <- gzfile(file.path(outdir, "r_boin_trials.csv.gz"), "w")
  write.csv(do.call(rbind, rows), con, row.names = FALSE)
  close(con)

  rows <- list()
  for (model in crm_runs) for (s in names(scen)) for (seed in 1:50) {
    r <- crm_sim(model, scen[[s]], nsim = 1, seed = seed)
    rows[[length(rows) + 1]] <- data.frame(
      model = model, scenario = s, seed = seed, level = sp(r$level), tox = sp(r$tox),
      beta_hat = sp(g17(r$beta.hat)), final_est = g17(r$final.est), MTD = r$MTD,
      uniforms = uniforms(seed))
  }
  con <- gzfile(file.path(outdir, "r_crm_trials.csv.gz"), "w")
  write.csv(do.call(rbind, rows), con, row.names = FALSE)
  close(con)
}

## ---------------------------------------------------------------- oc: the recorded operating characteristics
## Numbers are written with 12 significant digits, as they were recorded (by a CSV writer ending the
## table's lines in CR LF); crmsim's selection proportions were turned into percentages afterwards (x 100
## of the 12-digit value) and written as the shortest decimal that reads back as that double (with ".0"
## on whole numbers), which pyrepr() reproduces.
g12 <- function(x) ifelse(is.na(x), "NA", sprintf("%.12g", x))
pyrepr <- function(x) vapply(x, function(v) {
  if (v == round(v) && abs(v) < 1e16) return(sprintf("%.1f", v))
  for (d in 1:17) { s <- sprintf("%.*g", d, v); if (as.numeric(s) == v) return(s) }
}, "")
if ("oc" %in% parts) {
  n_boin <- as.integer(Sys.getenv("BOIN_NTRIAL", "20000"))
  n_crm <- as.integer(Sys.getenv("CRM_NSIM", "3000"))
  lines <- c(
    sprintf("# Operating characteristics from the BOIN R package %s (get.oc; runs B1-B3, %d trials each, seed 6)",
            packageDescription("BOIN")$Version, n_boin),
    sprintf("# and dfcrm %s (crmsim; runs C1 empiric, C2 logistic, %d trials each, seed 1009), R %s.%s.",
            packageDescription("dfcrm")$Version, n_crm, R.version$major, R.version$minor),
    "# sel_pct: % selecting the dose; dose 'none': % with no dose selected, mean_npts/mean_ntox = totals.",
    "# Exact calls: benchmarks/reference/README.md")
  table <- "run,scenario,dose,p_true,sel_pct,mean_npts,mean_ntox"
  for (run in names(boin_runs)) for (s in names(scen)) {
    r <- boin_oc(run, scen[[s]], ntrial = n_boin, seed = 6)
    table <- c(table, paste(run, s, c(1:6, "none"), g12(c(scen[[s]], NA)),
                            g12(c(r$selpercent, r$percentstop)), g12(c(r$npatients, r$totaln)),
                            g12(c(r$ntox, r$totaltox)), sep = ","))
  }
  for (run in names(crm_runs)) for (s in names(scen)) {
    r <- crm_sim(crm_runs[[run]], scen[[s]], nsim = n_crm, seed = 1009)
    table <- c(table, paste(run, s, 1:6, g12(scen[[s]]), pyrepr(as.numeric(g12(r$MTD)) * 100),
                            g12(r$level), g12(r$tox), sep = ","))
  }
  con <- file(file.path(outdir, "r_reference_oc.csv"), "wb")
  writeLines(lines, con)
  writeLines(table, con, sep = "\r\n")   # the table's lines end in CR LF, as recorded (the comments in LF)
  close(con)
}

## ---------------------------------------------------------------- single: values typed into reference.py
if ("single" %in% parts) {
  out <- list()
  add <- function(what, call, value) out[[length(out) + 1]] <<- data.frame(what = what, call = call, value = value)
  tab <- function(v) paste(ifelse(is.na(v), "-", v), collapse = ",")
  for (target in c(0.2, 0.25, 0.3, 1 / 3)) {
    b <- get.boundary(target, ncohort = 12, cohortsize = 3)$full_boundary_tab
    call <- sprintf("get.boundary(%s, ncohort = 12, cohortsize = 3)", format(target, digits = 15))
    add("escalate", call, tab(b[2, ])); add("deescalate", call, tab(b[3, ])); add("eliminate", call, tab(b[4, ]))
  }
  add("stop_boundary", "get.boundary(0.3, ncohort = 12, cohortsize = 3, extrasafe = TRUE)",
      tab(get.boundary(0.3, ncohort = 12, cohortsize = 3, extrasafe = TRUE)$stop_boundary[2, ]))
  sel <- list(  # target, npts, ntox, extrasafe (as in reference.SELECT_MTD)
    list(0.3, c(3, 3, 15, 9, 6, 0), c(0, 0, 4, 4, 4, 0), FALSE),
    list(0.3, c(3, 3, 15, 9, 0), c(0, 0, 4, 4, 0), FALSE),
    list(0.3, c(3, 6, 12, 9, 6, 0), c(0, 1, 3, 5, 5, 0), FALSE),
    list(0.3, c(3, 3, 6, 6, 9, 9), c(0, 0, 1, 3, 2, 5), FALSE),
    list(0.3, c(6, 9, 12, 6, 3, 0), c(1, 2, 4, 2, 1, 0), FALSE),
    list(0.3, c(3, 0, 0, 0, 0, 0), c(3, 0, 0, 0, 0, 0), FALSE),
    list(0.3, c(6, 0, 0, 0, 0, 0), c(3, 0, 0, 0, 0, 0), TRUE),
    list(0.3, c(6, 0, 0, 0, 0, 0), c(3, 0, 0, 0, 0, 0), FALSE),
    list(0.25, c(3, 3, 3, 6, 12, 9), c(0, 0, 0, 1, 3, 2), FALSE),
    list(0.3, c(12, 3, 0, 0, 0, 0), c(6, 1, 0, 0, 0, 0), TRUE),
    list(0.3, c(12, 3, 0, 0, 0, 0), c(6, 1, 0, 0, 0, 0), FALSE))
  for (a in sel) {
    m <- select.mtd(a[[1]], a[[2]], a[[3]], extrasafe = a[[4]])$MTD
    add("select.mtd", sprintf("select.mtd(%s, c(%s), c(%s), extrasafe = %s)", a[[1]], tab(a[[2]]), tab(a[[3]]), a[[4]]),
        if (m == 99) "none" else as.character(m))
  }
  gp <- list(list(0.05, 0.25, 3, 5, "empiric"), list(0.05, 0.3, 3, 6, "empiric"), list(0.07, 0.2, 4, 6, "empiric"),
             list(0.05, 0.25, 3, 5, "logistic"), list(0.05, 0.3, 3, 6, "logistic"), list(0.10, 0.25, 3, 6, "logistic"),
             list(0.05, 0.3, 1, 6, "empiric"), list(0.05, 0.3, 6, 6, "empiric"))
  for (a in gp)
    add("getprior", sprintf("getprior(%s, %s, %s, %s, model = \"%s\")", a[[1]], a[[2]], a[[3]], a[[4]], a[[5]]),
        paste(sprintf("%.12g", getprior(a[[1]], a[[2]], a[[3]], a[[4]], model = a[[5]])), collapse = ", "))
  pr <- c(0.05, 0.10, 0.20, 0.35, 0.50, 0.70)
  cases <- list(  # prior, target, tox, level (as in reference.CRM_CASES), each with both models
    list("PR", 0.2, c(0, 0, 1, 0, 0, 1, 1, 0, 0, 0), c(3, 4, 4, 3, 3, 4, 3, 2, 2, 2), c("empiric", "logistic")),
    list("PR", 0.2, rep(0, 9), c(1, 1, 1, 2, 2, 2, 3, 3, 3), c("empiric", "logistic")),
    list("PR", 0.2, c(1, 1, 0, 1, 0, 0), rep(1, 6), c("empiric", "logistic")),
    list("SKELETON", 0.3, c(0, 0, 0, 0, 1, 0, 1, 1, 0), c(1, 1, 1, 2, 2, 2, 3, 3, 3), c("empiric", "logistic")),
    list("SKELETON", 0.3, c(0, 0, 0), c(1, 1, 1), "empiric"),
    list("SKELETON", 0.3, c(1, 1, 1), c(1, 1, 1), "empiric"))
  for (a in cases) for (model in a[[5]]) {
    fit <- crm(if (a[[1]] == "PR") pr else skeleton, a[[2]], a[[3]], a[[4]], model = model)
    add("crm", sprintf("crm(%s, %s, tox = c(%s), level = c(%s), model = \"%s\")", a[[1]], a[[2]],
                       tab(a[[3]]), tab(a[[4]]), model),
        paste(as.character(fit$estimate), as.character(fit$post.var), fit$mtd, sep = ", "))
  }
  con <- file(file.path(outdir, "r_single_calls.csv"), "w")
  writeLines(c(sprintf("# BOIN %s, dfcrm %s, %s: the single-call values of src/dosefind/conformance/reference.py",
                       packageDescription("BOIN")$Version, packageDescription("dfcrm")$Version, R.version.string),
               "# (crm: estimate, post.var, mtd; getprior: 12 significant digits; select.mtd 99 = none)"), con)
  write.csv(do.call(rbind, out), con, row.names = FALSE)
  close(con)
}
