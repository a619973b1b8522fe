#!/usr/bin/env Rscript
## Reference outputs of BOIN for drug combinations from the BOIN R package 2.7.2 (next.comb,
## select.mtd.comb, get.oc.comb) and Iso::biviso (Iso 0.0-18.1), read by
## tests/published/test_boin_comb_package.py. Package functions are called unmodified, except that
## (as the files' headers say) runif() is replaced inside next.comb (the tie draw forced low or high) and
## inside get.oc.comb (to record R's draws), and get.oc.comb gets two recording hooks (start of each
## trial; after the last, to read N, Y and dselect). Nothing else in the functions changes.
##
## Usage (from the repository root; BOIN and Iso installed into a library folder outside the repository,
## e.g. `R CMD INSTALL -l <lib> <source>`, or Debian's r-cran-iso):
##   BOIN_RLIB=<lib> Rscript benchmarks/reference/boin_comb_reference.R <outdir> [part ...]
## parts (default: states trials oc):
##   states  <outdir>/r_boin_comb_states.csv.gz: next.comb, select.mtd.comb, get.oc.comb's selection and
##           biviso on the 2500 trial states whose inputs (J ... current) are read from $COMB_STATES_IN
##           (default tests/published/data/r_boin_comb_states.csv.gz). The generator that drew those
##           states was not kept (its header describes it), so the states are taken as given and every
##           R output column is recomputed.
##   trials  <outdir>/r_boin_comb_trials.csv.gz: get.oc.comb runs R1-R3, 300 trials each, seed 6, with
##           R's uniforms recorded (a few seconds)
##   oc      <outdir>/r_boin_comb_oc.csv: get.oc.comb runs R1-R3, 10000 trials each, seed 6 (some minutes)

lib <- Sys.getenv("BOIN_RLIB")
lib <- if (nzchar(lib)) c(lib, .libPaths()) else .libPaths()
suppressPackageStartupMessages({ library(BOIN, lib.loc = lib); library(Iso, lib.loc = lib) })
BOIN_NS <- asNamespace("BOIN")

args <- commandArgs(trailingOnly = TRUE)
if (length(args) < 1) stop("usage: boin_comb_reference.R <outdir> [states] [trials] [oc]")
outdir <- args[1]
parts <- if (length(args) > 1) args[-1] else c("states", "trials", "oc")
dir.create(outdir, showWarnings = FALSE, recursive = TRUE)
ver <- sprintf("BOIN R package %s", packageDescription("BOIN", lib.loc = lib)$Version)
iso_ver <- packageDescription("Iso", lib.loc = lib)$Version
rver <- sprintf("R %s.%s", R.version$major, R.version$minor)

rowmajor <- function(m) as.vector(t(m))
cell <- function(m) if (length(m) == 0 || all(m == 99) || any(is.na(m))) "none" else paste(m[1], m[2], sep = ".")
g17 <- function(x) sprintf("%.17g", x)

## ---------------------------------------------------------------- the runs R1-R3 (trials and oc)
runs <- list(
  R1 = list(p = rbind(c(0.01, 0.03, 0.10, 0.20, 0.30), c(0.03, 0.05, 0.15, 0.30, 0.60),
                      c(0.08, 0.10, 0.30, 0.60, 0.75)),
            target = 0.3, ncohort = 20, n.earlystop = 12, extrasafe = FALSE, boundMTD = FALSE),
  R2 = list(p = rbind(c(0.05, 0.10, 0.15, 0.30), c(0.10, 0.15, 0.30, 0.45), c(0.15, 0.30, 0.45, 0.60)),
            target = 0.3, ncohort = 12, n.earlystop = 100, extrasafe = FALSE, boundMTD = TRUE),
  R3 = list(p = rbind(c(0.25, 0.35, 0.45, 0.55), c(0.35, 0.45, 0.55, 0.65), c(0.45, 0.55, 0.65, 0.75)),
            target = 0.25, ncohort = 12, n.earlystop = 9, extrasafe = TRUE, boundMTD = FALSE))
run_oc <- function(r, ntrial, fun = get.oc.comb)
  fun(target = r$target, p.true = r$p, ncohort = r$ncohort, cohortsize = 3, n.earlystop = r$n.earlystop,
      startdose = c(1, 1), extrasafe = r$extrasafe, boundMTD = r$boundMTD, ntrial = ntrial, seed = 6)
runs_header <- c(
  "# Runs: R1 p.true = the package's help example (3 x 5: 0.01 0.03 0.10 0.20 0.30 / 0.03 0.05 0.15 0.30 0.60 /",
  "#   0.08 0.10 0.30 0.60 0.75), target 0.3, ncohort 20, n.earlystop 12; R2 3 x 4 (0.05 0.10 0.15 0.30 /",
  "#   0.10 0.15 0.30 0.45 / 0.15 0.30 0.45 0.60), target 0.3, ncohort 12, boundMTD = TRUE; R3 3 x 4",
  "#   (0.25 0.35 0.45 0.55 / 0.35 0.45 0.55 0.65 / 0.45 0.55 0.65 0.75), target 0.25, ncohort 12,",
  "#   n.earlystop 9, extrasafe = TRUE.")

## ---------------------------------------------------------------- states
if ("states" %in% parts) {
  infile <- Sys.getenv("COMB_STATES_IN", "tests/published/data/r_boin_comb_states.csv.gz")
  st <- read.csv(infile, comment.char = "#", colClasses = "character")
  ## next.comb with runif() returning a fixed value (the tie draw)
  next_fixed <- function(u) {
    e <- new.env(parent = BOIN_NS)
    e$runif <- function(n, ...) rep(u, n)
    f <- BOIN::next.comb
    environment(f) <- e
    f
  }
  next_u <- list(next_fixed(0.001), next_fixed(0.999))
  ## the selection function defined inside get.oc.comb
  body_oc <- as.list(body(get.oc.comb))
  def <- Filter(function(x) is.call(x) && as.character(x[[1]]) %in% c("<-", "=") &&
                  identical(x[[2]], as.name("select.mtd.comb.boin")), body_oc)
  stopifnot(length(def) == 1)
  e_sel <- new.env(parent = BOIN_NS)
  eval(def[[1]], e_sel)
  select_boin <- e_sel$select.mtd.comb.boin

  num <- function(s) as.numeric(strsplit(s, " ")[[1]])
  out <- st[, c("J", "K", "target", "p_saf", "p_tox", "cutoff_eli", "extrasafe", "offset", "n_earlystop",
                "bound_mtd", "npts", "ntox", "current")]
  res <- matrix("", nrow(st), 6)
  for (i in seq_len(nrow(st))) {
    s <- st[i, ]
    J <- as.integer(s$J); K <- as.integer(s$K)
    target <- as.numeric(s$target); p.saf <- as.numeric(s$p_saf); p.tox <- as.numeric(s$p_tox)
    cutoff <- as.numeric(s$cutoff_eli); extrasafe <- as.logical(s$extrasafe); offset <- as.numeric(s$offset)
    nes <- as.numeric(s$n_earlystop); bmtd <- as.logical(s$bound_mtd)
    n <- matrix(num(s$npts), J, K, byrow = TRUE); y <- matrix(num(s$ntox), J, K, byrow = TRUE)
    cur <- as.integer(strsplit(s$current, ".", fixed = TRUE)[[1]])
    nxt <- character(2); msg <- ""
    for (k in 1:2) {
      txt <- capture.output(r <- next_u[[k]](target, n, y, cur, n.earlystop = nes, p.saf = p.saf, p.tox = p.tox,
                                             cutoff.eli = cutoff, extrasafe = extrasafe, offset = offset))
      nxt[k] <- if (any(is.na(r$next_dc))) "stop" else paste(r$next_dc[1], r$next_dc[2], sep = ".")
      txt <- paste(txt, collapse = " ")
      msg <- if (grepl("has reached", txt)) "earlystop" else if (grepl("overly toxic", txt)) "toxic" else ""
    }
    sm <- tryCatch({
      capture.output(m <- select.mtd.comb(target, n, y, cutoff.eli = cutoff, extrasafe = extrasafe,
                                          offset = offset, boundMTD = bmtd, p.tox = p.tox)$MTD)
      cell(m)
    }, error = function(err) "error")
    capture.output(m2 <- select_boin(target, n, y, cutoff.eli = cutoff, extrasafe = extrasafe, offset = offset,
                                     boundMTD = bmtd, p.tox = p.tox, mtd.contour = FALSE)$MTD)
    bi <- Iso::biviso((y + 0.05) / (n + 0.1), n + 0.1)
    res[i, ] <- c(nxt, msg, sm, cell(m2), paste(g17(rowmajor(bi)), collapse = " "))
  }
  out$next_u0 <- res[, 1]; out$next_u1 <- res[, 2]; out$stop_message <- res[, 3]
  out$select_mtd_comb <- res[, 4]; out$get_oc_comb_select <- res[, 5]; out$biviso <- res[, 6]
  con <- gzfile(file.path(outdir, "r_boin_comb_states.csv.gz"), "w")
  writeLines(c(
    sprintf("# %s (Iso %s, %s): decisions and selections on %d random trial states.", ver, iso_ver, rver, nrow(st)),
    "# States: random J x K grids (2 <= J <= 4, J <= K <= 5), counts from random walks over the grid with random",
    "# cohorts (1-3 patients) and true rates; kept only if the current cell is outside every other cell's",
    "# eliminated quadrant and no other cell has more than n.earlystop patients (states a package trial reaches).",
    "# next_u0 / next_u1: next.comb(target, npts, ntox, dose.curr = current, n.earlystop, p.saf, p.tox, cutoff.eli,",
    "#   extrasafe, offset)$next_dc with runif() returning 0.001 / 0.999 (the tie draw); \"stop\" = NA, and",
    "#   stop_message is the reason next.comb prints (\"earlystop\": n.earlystop reached; \"toxic\": lowest dose).",
    "# select_mtd_comb: select.mtd.comb(target, npts, ntox, cutoff.eli, extrasafe, offset, boundMTD = bound_mtd,",
    "#   p.tox)$MTD (\"error\": the package stops with \"object 'phat.out.noCI' not found\", which happens when",
    "#   cell 1.1 is eliminated).",
    "# get_oc_comb_select: the selection function defined inside get.oc.comb (select.mtd.comb.boin) with the",
    "#   same arguments and mtd.contour = FALSE (\"none\": MTD = 99).",
    "# biviso: Iso::biviso((ntox + 0.05) / (npts + 0.1), npts + 0.1) (the package's unrounded isotonic estimates).",
    "# Matrices are row-major (row = drug A level); cells are \"j.k\" (1-based)."), con)
  write.csv(out, con, row.names = FALSE, quote = FALSE)
  close(con)
}

## ---------------------------------------------------------------- trials: get.oc.comb with R's draws recorded
if ("trials" %in% parts) {
  ntrial <- 300
  rec <- new.env()
  e <- new.env(parent = BOIN_NS)
  e$runif <- function(n, ...) {
    u <- stats::runif(n, ...)
    k <- sprintf("%.0f", u * 2^32)
    stopifnot(all(as.numeric(k) / 2^32 == u))
    rec$draws[[rec$trial]] <- c(rec$draws[[rec$trial]], if (n == 1) paste0("t", k) else k)
    u
  }
  e$.hook_trial <- function(trial) { rec$trial <- trial; rec$draws[[trial]] <- character(0) }
  e$.hook_end <- function(N, Y, dselect) { rec$N <- N; rec$Y <- Y; rec$dselect <- dselect }
  src <- deparse(get.oc.comb, width.cutoff = 500L)
  insert_after <- function(src, pattern, line) {
    i <- grep(pattern, src, fixed = TRUE)[1]
    stopifnot(!is.na(i))
    append(src, line, after = i)
  }
  src <- insert_after(src, "for (trial in 1:ntrial) {", ".hook_trial(trial)")
  i_end <- grep("selpercent = matrix(rep(0, ndose)", src, fixed = TRUE)[1]
  stopifnot(!is.na(i_end), i_end > grep(".hook_trial(trial)", src, fixed = TRUE)[1])
  src <- append(src, ".hook_end(N, Y, dselect)", after = i_end - 1)
  oc_rec <- eval(parse(text = src), envir = e)
  rows <- list()
  for (run in names(runs)) {
    rec$draws <- list()
    invisible(run_oc(runs[[run]], ntrial, fun = oc_rec))
    for (t in seq_len(ntrial))
      rows[[length(rows) + 1]] <- data.frame(
        run = run, trial = t, npts = paste(rowmajor(rec$N[, , t]), collapse = " "),
        ntox = paste(rowmajor(rec$Y[, , t]), collapse = " "), selected = cell(rec$dselect[t, ]),
        uniforms = paste(rec$draws[[t]], collapse = " "))
  }
  con <- gzfile(file.path(outdir, "r_boin_comb_trials.csv.gz"), "w")
  writeLines(c(
    sprintf("# %s (%s): get.oc.comb trials, %d per run, with the random numbers R drew.", ver, rver, ntrial),
    "# get.oc.comb(target, p.true, ncohort, cohortsize = 3, n.earlystop, startdose = c(1, 1), extrasafe, boundMTD,",
    sprintf("#   ntrial = %d, seed = 6), run with runif() wrapped to record its values and two recording hooks inserted", ntrial),
    "#   in the function's text (at the start of each trial; after the last, to read N, Y and dselect).",
    runs_header,
    "# uniforms: R's draws in order, each as the integer k with u = k / 2^32 exactly (R's Mersenne-Twister",
    "#   unif_rand); the 3 uniforms of each cohort (DLT iff u < p), and \"t\"-prefixed the runif(1) drawn when",
    "#   an escalation or de-escalation has a candidate (the tie draw).",
    "# npts / ntox: the trial's final counts (row-major); selected: the selected cell \"j.k\" or \"none\"."), con)
  write.csv(do.call(rbind, rows), con, row.names = FALSE, quote = FALSE)
  close(con)
}

## ---------------------------------------------------------------- oc: operating characteristics
if ("oc" %in% parts) {
  ntrial <- as.integer(Sys.getenv("COMB_NTRIAL", "10000"))
  lines <- c(
    sprintf("# %s (%s): get.oc.comb operating characteristics, %d trials per run, seed 6.", ver, rver, ntrial),
    "# get.oc.comb(target, p.true, ncohort, cohortsize = 3, n.earlystop, startdose = c(1, 1), extrasafe, boundMTD,",
    sprintf("#   ntrial = %d, seed = 6) for the runs R1-R3 of r_boin_comb_trials.csv.gz (same settings).", ntrial),
    "# sel_pct: $selpercent (percent, rounded by the package to 2 decimals); mean_npts / mean_ntox: $npatients,",
    "#   $ntox (rounded to 2 decimals). Cell \"none\": 100 - sum(sel_pct) and the totals $totaln, $totaltox.",
    "run,cell,p_true,sel_pct,mean_npts,mean_ntox")
  for (run in names(runs)) {
    r <- run_oc(runs[[run]], ntrial)
    p <- runs[[run]]$p
    cells <- paste(rep(seq_len(nrow(p)), each = ncol(p)), rep(seq_len(ncol(p)), nrow(p)), sep = ".")
    lines <- c(lines, paste(run, c(cells, "none"), c(rowmajor(r$p.true), NA),
                            c(rowmajor(r$selpercent), round(100 - sum(r$selpercent), 2)),
                            c(rowmajor(r$npatients), r$totaln), c(rowmajor(r$ntox), r$totaltox), sep = ","))
  }
  writeLines(lines, file.path(outdir, "r_boin_comb_oc.csv"))
}
