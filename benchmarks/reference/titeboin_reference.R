## titeboin_reference.R
## Reference decisions of TITEgBOIN::next_TITE_QuasiBOIN (TITE-BOIN, Lin & Yuan 2020 effective
## sample size version; gdesign = FALSE) for checking a Python re-implementation.
## Only the package's exported function is called; nothing is patched.
##
## Writes into $DOSEFIND_REF_OUT/:
##   r_titeboin_table.csv.gz  decision table: targets 0.25 and 0.30, current dose 2 of 3, every
##                            n = 1..12, y = 0..n DLTs, m = 0..(n-y) pending patients and 41 values
##                            of STFT (sum of pending follow-up / maxt) in [0, m)
##   r_titeboin_states.csv    400 random multi-dose states (seed 20240601), all arguments and outputs
##
## Usage (from the repository root):
##   TITEBOIN_RLIB=<lib> DOSEFIND_REF_OUT=tests/published/data Rscript benchmarks/reference/titeboin_reference.R

## the TITEgBOIN library, OUT, the CSV writers and titeboin_version: titeboin_common.R beside this file
.here <- dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)[1]))
source(file.path(.here, "titeboin_common.R"))

maxt <- 28; maxpen <- 0.5; cutoff.eli <- 0.95; Neli <- 3; offset <- 0.05
ngrid <- 41; nmax <- 12

## returned list of next_TITE_QuasiBOIN(print_d = FALSE):
##   d (next dose, 1-based), pending (1 = suspend accrual), n.pend (pending at the current dose),
##   earlystop (1 = stop, no MTD), stop (1 = n.earlystop reached with a stay decision),
##   elimineed (1 = the current dose is eliminated), elimi (0/1 per dose)
out_cols <- function(o) list(next_d = o$d, pending = o$pending, earlystop = o$earlystop,
                             stop = o$stop, elimineed = o$elimineed, elimi = join(o$elimi))

## ========================================================== (a) decision table
t0 <- proc.time()[["elapsed"]]
rows <- list()
for (target in c(0.25, 0.30)) {
  for (n in 1:nmax) for (y in 0:n) for (m in 0:(n - y)) {
    stft <- if (m == 0) 0 else m * (0:(ngrid - 1)) / ngrid
    for (s in stft) {
      o <- next_TITE_QuasiBOIN(target = target, n = c(3, n, 0), npend = c(0, m, 0), y = c(0, y, 0),
                               ft = c(0, s * maxt, 0), d = 2, maxt = maxt,
                               p.saf = 0.6 * target, p.tox = 1.4 * target, elimination = NA,
                               cutoff.eli = cutoff.eli, extrasafe = FALSE, offset = offset,
                               n.earlystop = 100, maxpen = maxpen, Neli = Neli, print_d = FALSE,
                               gdesign = FALSE)
      rows[[length(rows) + 1]] <- c(list(target = target, n = n, y = y, m = m, stft = s, ft = s * maxt),
                                    out_cols(o))
    }
  }
}
tab <- rows_to_df(rows)
write_ref_csv(tab, file.path(OUT, "r_titeboin_table.csv.gz"), c(version_header("titeboin_reference.R"), list(
  call = paste("next_TITE_QuasiBOIN(target, n = c(3, n, 0), npend = c(0, m, 0), y = c(0, y, 0),",
               "ft = c(0, stft * maxt, 0), d = 2, maxt = 28, p.saf = 0.6 * target, p.tox = 1.4 * target,",
               "elimination = NA, cutoff.eli = 0.95, extrasafe = FALSE, offset = 0.05, n.earlystop = 100,",
               "maxpen = 0.5, Neli = 3, print_d = FALSE, gdesign = FALSE)"),
  grid = paste("target in {0.25, 0.30}; n = 1..12; y = 0..n; m = 0..(n - y);",
               "stft = m * k / 41 for k = 0..40 (stft = 0 when m = 0); ft = stft * 28 (days)"),
  state = "dose 1: 3 patients, 0 DLTs, none pending; dose 2 (current): n, y, m, ft; dose 3: untried",
  columns = paste("next_d = returned d (1-based); pending = 1 if accrual is suspended (next_d is then the",
                  "current dose); earlystop, stop, elimineed as returned; elimi = returned elimination",
                  "vector, ';'-joined per dose"))))
cat("table rows:", nrow(tab), " elapsed", round(proc.time()[["elapsed"]] - t0, 1), "s\n")
print(table(target = tab$target, move = ifelse(tab$pending == 1, "suspend", tab$next_d - 2)))

## ========================================================== (b) random multi-dose states
## Generation recipe (same RNG sequence as the project's research script): set.seed(20240601); per state
## target ~ {0.25, 0.30}; ndose ~ 4..6; d ~ 1..ndose; per dose j: n below d ~ {3,3,6,6,9,12,4,5,7},
## n at d ~ 1..12, n above d ~ {0,0,0,3}; pending m at d ~ 0..n, elsewhere ~ 0..min(2, n);
## y ~ 0..(n - m) with binomial(n - m, U(0.05, 0.6)) weights; each pending follow-up
## round(U(0, 28), 2) capped at 27.99 days; ft = per-dose sum; prior elimination (doses above d)
## with probability 0.1 when d < ndose; n.earlystop 100 (p = 0.8) or 12.
SEED <- 20240601
set.seed(SEED)
nstate <- 400
states <- vector("list", nstate)
for (k in 1:nstate) {
  target <- sample(c(0.25, 0.30), 1)
  ndose <- sample(4:6, 1)
  d <- sample(1:ndose, 1)
  n <- y <- npend <- rep(0L, ndose); u <- vector("list", ndose)
  for (j in 1:ndose) {
    if (j < d) n[j] <- sample(c(3L, 3L, 6L, 6L, 9L, 12L, 4L, 5L, 7L), 1)
    else if (j == d) n[j] <- sample(1:12, 1)
    else n[j] <- sample(c(0L, 0L, 0L, 3L), 1)
    if (n[j] > 0) {
      npend[j] <- if (j == d) sample(0:n[j], 1) else sample(0:min(2, n[j]), 1)
      y[j] <- sample(0:(n[j] - npend[j]), 1,
                     prob = dbinom(0:(n[j] - npend[j]), n[j] - npend[j], runif(1, 0.05, 0.6)))
    }
    u[[j]] <- if (npend[j] > 0) round(runif(npend[j], 0, maxt), 2) else numeric(0)
    u[[j]] <- pmin(u[[j]], maxt - 0.01)
  }
  ft <- sapply(u, sum)
  elim_in <- if (runif(1) < 0.1 && ndose > d) { e <- rep(0, ndose); e[(d + 1):ndose] <- 1; e } else NA
  n.earlystop <- sample(c(100, 12), 1, prob = c(0.8, 0.2))
  o <- next_TITE_QuasiBOIN(target = target, n = n, npend = npend, y = y, ft = ft, d = d, maxt = maxt,
                           p.saf = 0.6 * target, p.tox = 1.4 * target, elimination = elim_in,
                           cutoff.eli = cutoff.eli, extrasafe = FALSE, offset = offset,
                           n.earlystop = n.earlystop, maxpen = maxpen, Neli = Neli, print_d = FALSE,
                           gdesign = FALSE)
  states[[k]] <- c(list(id = k, target = target, ndose = ndose, d = d, n = join(n), y = join(y),
                        npend = join(npend), ft = join(ft), elimination_in = join(elim_in),
                        n.earlystop = n.earlystop), out_cols(o))
}
st <- rows_to_df(states)
write_ref_csv(st, file.path(OUT, "r_titeboin_states.csv"), c(version_header("titeboin_reference.R"), list(
  call = paste("next_TITE_QuasiBOIN(target, n, npend, y, ft, d, maxt = 28, p.saf = 0.6 * target,",
               "p.tox = 1.4 * target, elimination = elimination_in, cutoff.eli = 0.95, extrasafe = FALSE,",
               "offset = 0.05, n.earlystop, maxpen = 0.5, Neli = 3, print_d = FALSE, gdesign = FALSE)"),
  seed = paste0(SEED, " (set.seed once, then the 400 states in order; RNGkind ", paste(RNGkind(), collapse = "/"), ")"),
  generation = paste("target ~ {0.25, 0.30}; ndose ~ 4..6; d ~ 1..ndose; n below d ~ {3,3,6,6,9,12,4,5,7},",
                     "at d ~ 1..12, above d ~ {0,0,0,3}; npend at d ~ 0..n, elsewhere ~ 0..min(2, n);",
                     "y ~ 0..(n - npend) (DLTs among completed patients); pending follow-up round(U(0, 28), 2)",
                     "capped at 27.99 days; elimination_in = doses above d eliminated with probability 0.1;",
                     "n.earlystop 100 (p 0.8) or 12"),
  columns = paste("n, y, npend, ft (sum of the pending patients' follow-up, days) and elimi are ';'-joined",
                  "per-dose vectors; elimination_in is NA (none) or the vector passed in; next_d = returned d",
                  "(1-based); pending = 1 if accrual is suspended; earlystop, stop, elimineed as returned"))))
cat("states:", nrow(st), "\n")
print(table(move = ifelse(st$pending == 1, "suspend", st$next_d - st$d), earlystop = st$earlystop))
