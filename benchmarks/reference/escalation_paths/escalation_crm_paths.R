#!/usr/bin/env Rscript
## Exact CRM operating characteristics from the R package escalation (Kristian Brock), computed by
## complete dose-path enumeration: get_dose_paths() fits the design at every node of the tree of cohort
## outcomes and calculate_probabilities() weights the terminal nodes by binomial path probabilities.
## No Monte Carlo error. Package functions only, unmodified.
##
## Versions used for the recorded outputs: R 4.2.2, escalation 0.2.3 (brockk/escalation commit
## add4557aba9c0a124f1f27b4cef7202078b7540c, whose R/ folder is identical to the CRAN release in
## cran/escalation), dfcrm 0.2-2.1, BOIN 2.7.2, binom 1.1-1.1, Iso 0.0-18.1, dplyr 1.0.10, tidyr 1.3.0,
## purrr 1.0.1. escalation's imports of trialr and DiagrammeR are used only by the Stan-based selectors
## and by graph_paths(); none of that code runs here (see README.md).
##
## Usage: R_LIBS=<library with escalation, dfcrm and their imports> \
##          Rscript escalation_crm_paths.R <outdir> [setting ...]
## Writes to <outdir>:
##   escalation_crm_settings.csv  one row per setting: the R call and its conventions
##   escalation_crm_summary.csv   setting, scenario, quantity, dose, value (%.17g); see `quantities` below
##   escalation_crm_nodes.csv     every node of every dose-path tree: path, next dose, continue flag,
##                                dfcrm posterior mean / variance of beta, plug-in ptox, dfcrm's mtd;
##                                plus independent grid values of the posterior mean / variance and the
##                                dose they imply (see grid_posterior below), and for V1-V3 the
##                                stopping statistic (normal approximation, as escalation) and the exact tail
##   escalation_crm_terminal.csv  every terminal node x scenario: path probability, recommendation,
##                                patients and DLTs per dose
##
## Settings (all 5 doses; dfcrm defaults unless stated: model "empiric", method "bayes",
## scale = sqrt(1.34) i.e. prior beta ~ N(0, 1.34), no restriction on skipping doses, no coherence rule,
## first cohort at dose 1 because the dfcrm selector with no data recommends dose 1):
##   V0  vignette "Working with dose-paths", CRM without stopping, 2 cohorts of 3
##   V1  vignette: + stop_when_too_toxic(dose = 1, tox_threshold = 0.35, confidence = 0.9), 4 cohorts of 3
##   V2  V1 + stop_when_n_at_dose(dose = "recommended", n = 9)
##   V3  V1 + stop_when_n_at_dose(dose = "recommended", n = 12)
##       (V0-V3: skeleton 0.05 0.10 0.25 0.40 0.60, target 0.25; scenarios "skel" = skeleton,
##        "high" = 0.45 0.60 0.68 0.75 0.81; the vignette prints V1/skel, V1/high, V2/high, V3/high)
##   E1  plain get_dfcrm, skeleton 0.05 0.12 0.25 0.40 0.55, target 0.25, 5 cohorts of 3
##   E2  as E1, 10 cohorts of 1
##   E3  E1 %>% dont_skip_doses(when_escalating = TRUE)  (caps every recommendation, the final one too,
##       at last dose given + 1; `model_mtd` quantities give dfcrm's own unrestricted choice)
##   E4  as E1 with model = "logistic" (dfcrm intcpt = 3), 4 cohorts of 3
##   E5  as E1, 4 cohorts of 3, first cohort at dose 2 (get_dose_paths(next_dose = 2))
##       (E1-E5 scenarios: T1 0.05 0.10 0.20 0.35 0.50; T2 0.15 0.30 0.45 0.60 0.70;
##        T3 0.02 0.05 0.08 0.12 0.25)

suppressPackageStartupMessages({
  library(escalation)
  library(dfcrm)
  library(dplyr)
  library(tibble)
})
options(digits = 17)

args <- commandArgs(trailingOnly = TRUE)
if (length(args) < 1) stop("usage: escalation_crm_paths.R <outdir> [setting ...]")
outdir <- args[1]
dir.create(outdir, showWarnings = FALSE, recursive = TRUE)

fmt <- function(v) ifelse(is.na(v), "NA", sprintf("%.17g", v))

skel_v <- c(0.05, 0.1, 0.25, 0.4, 0.6)
scen_v <- list(skel = skel_v, high = c(0.45, 0.6, 0.68, 0.75, 0.81))
skel_e <- c(0.05, 0.12, 0.25, 0.40, 0.55)
scen_e <- list(T1 = c(0.05, 0.10, 0.20, 0.35, 0.50),
               T2 = c(0.15, 0.30, 0.45, 0.60, 0.70),
               T3 = c(0.02, 0.05, 0.08, 0.12, 0.25))

settings <- list(
  V0 = list(call = "get_dfcrm(skeleton = c(0.05, 0.1, 0.25, 0.4, 0.6), target = 0.25) %>% get_dose_paths(cohort_sizes = c(3, 3))",
            factory = get_dfcrm(skeleton = skel_v, target = 0.25),
            skeleton = skel_v, target = 0.25, model = "empiric", cohort_sizes = c(3, 3), next_dose = NULL,
            scenarios = scen_v, safety = NULL),
  V1 = list(call = "get_dfcrm(skeleton = c(0.05, 0.1, 0.25, 0.4, 0.6), target = 0.25) %>% stop_when_too_toxic(dose = 1, tox_threshold = 0.35, confidence = 0.9) %>% get_dose_paths(cohort_sizes = rep(3, 4))",
            factory = get_dfcrm(skeleton = skel_v, target = 0.25) %>%
              stop_when_too_toxic(dose = 1, tox_threshold = 0.35, confidence = 0.9),
            skeleton = skel_v, target = 0.25, model = "empiric", cohort_sizes = rep(3, 4), next_dose = NULL,
            scenarios = scen_v, safety = c(threshold = 0.35, confidence = 0.9)),
  V2 = list(call = "get_dfcrm(skeleton = c(0.05, 0.1, 0.25, 0.4, 0.6), target = 0.25) %>% stop_when_too_toxic(dose = 1, tox_threshold = 0.35, confidence = 0.9) %>% stop_when_n_at_dose(dose = 'recommended', n = 9) %>% get_dose_paths(cohort_sizes = rep(3, 4))",
            factory = get_dfcrm(skeleton = skel_v, target = 0.25) %>%
              stop_when_too_toxic(dose = 1, tox_threshold = 0.35, confidence = 0.9) %>%
              stop_when_n_at_dose(dose = "recommended", n = 9),
            skeleton = skel_v, target = 0.25, model = "empiric", cohort_sizes = rep(3, 4), next_dose = NULL,
            scenarios = scen_v, safety = c(threshold = 0.35, confidence = 0.9)),
  V3 = list(call = "get_dfcrm(skeleton = c(0.05, 0.1, 0.25, 0.4, 0.6), target = 0.25) %>% stop_when_too_toxic(dose = 1, tox_threshold = 0.35, confidence = 0.9) %>% stop_when_n_at_dose(dose = 'recommended', n = 12) %>% get_dose_paths(cohort_sizes = rep(3, 4))",
            factory = get_dfcrm(skeleton = skel_v, target = 0.25) %>%
              stop_when_too_toxic(dose = 1, tox_threshold = 0.35, confidence = 0.9) %>%
              stop_when_n_at_dose(dose = "recommended", n = 12),
            skeleton = skel_v, target = 0.25, model = "empiric", cohort_sizes = rep(3, 4), next_dose = NULL,
            scenarios = scen_v, safety = c(threshold = 0.35, confidence = 0.9)),
  E1 = list(call = "get_dfcrm(skeleton = c(0.05, 0.12, 0.25, 0.40, 0.55), target = 0.25) %>% get_dose_paths(cohort_sizes = rep(3, 5))",
            factory = get_dfcrm(skeleton = skel_e, target = 0.25),
            skeleton = skel_e, target = 0.25, model = "empiric", cohort_sizes = rep(3, 5), next_dose = NULL,
            scenarios = scen_e, safety = NULL),
  E2 = list(call = "get_dfcrm(skeleton = c(0.05, 0.12, 0.25, 0.40, 0.55), target = 0.25) %>% get_dose_paths(cohort_sizes = rep(1, 10))",
            factory = get_dfcrm(skeleton = skel_e, target = 0.25),
            skeleton = skel_e, target = 0.25, model = "empiric", cohort_sizes = rep(1, 10), next_dose = NULL,
            scenarios = scen_e, safety = NULL),
  E3 = list(call = "get_dfcrm(skeleton = c(0.05, 0.12, 0.25, 0.40, 0.55), target = 0.25) %>% dont_skip_doses(when_escalating = TRUE) %>% get_dose_paths(cohort_sizes = rep(3, 5))",
            factory = get_dfcrm(skeleton = skel_e, target = 0.25) %>% dont_skip_doses(when_escalating = TRUE),
            skeleton = skel_e, target = 0.25, model = "empiric", cohort_sizes = rep(3, 5), next_dose = NULL,
            scenarios = scen_e, safety = NULL),
  E4 = list(call = "get_dfcrm(skeleton = c(0.05, 0.12, 0.25, 0.40, 0.55), target = 0.25, model = 'logistic') %>% get_dose_paths(cohort_sizes = rep(3, 4))",
            factory = get_dfcrm(skeleton = skel_e, target = 0.25, model = "logistic"),
            skeleton = skel_e, target = 0.25, model = "logistic", cohort_sizes = rep(3, 4), next_dose = NULL,
            scenarios = scen_e, safety = NULL),
  E5 = list(call = "get_dfcrm(skeleton = c(0.05, 0.12, 0.25, 0.40, 0.55), target = 0.25) %>% get_dose_paths(cohort_sizes = rep(3, 4), next_dose = 2)",
            factory = get_dfcrm(skeleton = skel_e, target = 0.25),
            skeleton = skel_e, target = 0.25, model = "empiric", cohort_sizes = rep(3, 4), next_dose = 2,
            scenarios = scen_e, safety = NULL)
)
run <- if (length(args) > 1) args[-1] else names(settings)

## The dfcrm_selector inside a chain of derived selectors (its fit holds dfcrm's crm() result).
inner_dfcrm <- function(fit) {
  while (!inherits(fit, "dfcrm_selector")) fit <- fit$parent
  fit
}

## Exact posterior P(p_1 >= thr | data) for the empiric model, by integrate() on dfcrm's own posterior
## kernel (prior N(0, scale^2) times the likelihood). NOT what escalation uses: escalation's
## stop_when_too_toxic uses prob_tox_exceeds(), a normal approximation N(estimate, post.var) to the
## posterior of beta. Recorded so that decisions under the exact tail can be compared with escalation's.
exact_tail_p1 <- function(inner, thr, scale = sqrt(1.34)) {
  df <- inner$df
  if (nrow(df) == 0) return(NA_real_)
  s <- inner$skeleton
  x <- s[df$dose]; y <- df$tox
  kern <- function(a) sapply(a, function(ai) exp(-ai^2 / 2 / scale^2) *
                               prod((x^exp(ai))^y * (1 - x^exp(ai))^(1 - y)))
  cut <- log(log(thr) / log(s[1]))            # p_1 >= thr  <=>  beta <= cut
  lo <- integrate(kern, -Inf, cut, rel.tol = 1e-12, abs.tol = 0)$value
  hi <- integrate(kern, cut, Inf, rel.tol = 1e-12, abs.tol = 0)$value
  lo / (lo + hi)
}

## Independent check of dfcrm's numbers (NOT used by escalation): posterior mean and variance of beta
## by the trapezoid rule on an equally spaced grid of 48001 points over [-12, 12] (prior sd 1.158, so
## the truncation is far below double precision; the integrand is smooth, so the rule converges
## exponentially), in log space. dfcrm's crm() uses integrate() with its default rel.tol (about 1.2e-4),
## so its estimate can be off by up to a few 1e-5 on some paths (e.g. 1NTT 1NTT 1NNT 1TTT in V1).
## model_mtd_grid is dfcrm's dose rule (plug-in ptox at the posterior mean, closest to target, lowest
## on ties, top dose if all ptox <= target, dose 1 if all >= target) applied to the grid mean.
grid_b <- seq(-12, 12, length.out = 48001)
grid_posterior <- function(inner, model, intcpt = 3, scale = sqrt(1.34)) {
  df <- inner$df
  if (nrow(df) == 0) return(c(NA_real_, NA_real_))
  s <- inner$skeleton; eb <- exp(grid_b)
  ll <- -grid_b^2 / 2 / scale^2
  for (i in seq_len(nrow(df))) {
    if (model == "empiric") {
      lp <- eb * log(s[df$dose[i]])                      # log p
      lq <- log1p(-exp(lp))                              # log (1 - p)
    } else {
      eta <- intcpt + eb * (log(s[df$dose[i]] / (1 - s[df$dose[i]])) - intcpt)
      lp <- -log1p(exp(-eta)); lq <- -log1p(exp(eta))
    }
    ll <- ll + if (df$tox[i] == 1) lp else lq
  }
  w <- exp(ll - max(ll)); w[c(1, length(w))] <- w[c(1, length(w))] / 2
  m <- sum(grid_b * w) / sum(w)
  c(m, sum((grid_b - m)^2 * w) / sum(w))
}
dfcrm_rule <- function(ptox, target) {
  if (all(ptox <= target)) length(ptox) else if (all(ptox >= target)) 1L else order(abs(ptox - target))[1]
}
plugin_ptox <- function(skeleton, b, model, intcpt = 3) {
  if (model == "empiric") skeleton^exp(b) else 1 / (1 + exp(-intcpt - exp(b) * (log(skeleton / (1 - skeleton)) - intcpt)))
}

settings_rows <- list(); summary_rows <- list(); node_rows <- list(); term_rows <- list()

for (sid in run) {
  st <- settings[[sid]]
  D <- length(st$skeleton)
  t0 <- proc.time()[["elapsed"]]
  paths <- if (is.null(st$next_dose)) {
    get_dose_paths(st$factory, cohort_sizes = st$cohort_sizes)
  } else {
    get_dose_paths(st$factory, cohort_sizes = st$cohort_sizes, next_dose = st$next_dose)
  }
  keys <- names(paths)

  ## --- every node -----------------------------------------------------------------------------
  nd <- lapply(seq_along(paths), function(i) {
    node <- paths[[i]]; fit <- node$fit; inner <- inner_dfcrm(fit)
    has_data <- nrow(inner$df) > 0
    ptox <- if (has_data) inner$dfcrm_fit$ptox else rep(NA_real_, D)
    row <- data.frame(
      setting = sid, node = node$.node, parent = node$.parent,
      depth = node$.depth, path = ifelse(keys[i] == "", "(root)", keys[i]),
      n_patients = num_patients(fit),
      next_dose = node$next_dose,
      continue = continue(fit),
      model_mtd = if (has_data) inner$dfcrm_fit$mtd else NA,
      dfcrm_estimate = if (has_data) fmt(inner$dfcrm_fit$estimate) else "NA",
      dfcrm_post_var = if (has_data) fmt(inner$dfcrm_fit$post.var) else "NA",
      stringsAsFactors = FALSE)
    gp <- grid_posterior(inner, st$model)
    row$estimate_grid <- fmt(gp[1]); row$post_var_grid <- fmt(gp[2])
    row$model_mtd_grid <- if (has_data) dfcrm_rule(plugin_ptox(st$skeleton, gp[1], st$model), st$target) else NA
    for (d in 1:D) row[[paste0("ptox_", d)]] <- fmt(ptox[d])
    if (!is.null(st$safety)) {
      row$p1_exceeds_normal_approx <- if (has_data)
        fmt(prob_tox_exceeds(fit, threshold = st$safety[["threshold"]])[1]) else "NA"
      row$p1_exceeds_exact <- fmt(exact_tail_p1(inner, st$safety[["threshold"]]))
    }
    row
  })
  node_rows[[sid]] <- bind_rows(nd)
  n_terminal_struct <- sum(!(seq_along(paths) %in% sapply(paths, function(n) n$.parent)))

  settings_rows[[sid]] <- data.frame(
    setting = sid, r_call = st$call, skeleton = paste(st$skeleton, collapse = " "), target = st$target,
    model = st$model, method = "bayes", prior_sd = "sqrt(1.34)",
    cohort_sizes = paste(st$cohort_sizes, collapse = " "),
    first_dose = ifelse(is.null(st$next_dose), paths[[1]]$next_dose, st$next_dose),
    n_nodes = length(paths),
    scenarios = paste(sprintf("%s=%s", names(st$scenarios),
                              sapply(st$scenarios, paste, collapse = " ")), collapse = "; "),
    stringsAsFactors = FALSE)

  ## --- crystallise under each true curve -------------------------------------------------------
  for (scn in names(st$scenarios)) {
    p <- st$scenarios[[scn]]
    x <- calculate_probabilities(paths, true_prob_tox = p)
    tn <- x$terminal_nodes
    tn_key <- keys[tn$.node]
    rec <- sapply(tn$fit, recommended_dose)
    cont <- sapply(tn$fit, continue)
    mtd <- sapply(tn$fit, function(f) { i <- inner_dfcrm(f); if (nrow(i$df) > 0) i$dfcrm_fit$mtd else NA })
    nmat <- t(sapply(tn$fit, function(f) n_at_dose(f)))
    ymat <- t(sapply(tn$fit, function(f) tox_at_dose(f)))
    tr <- data.frame(setting = sid, scenario = scn, node = tn$.node, path = tn_key,
                     prob = fmt(tn$prob_outcomes), recommended_dose = rec,
                     continue = cont, model_mtd = mtd, stringsAsFactors = FALSE)
    for (d in 1:D) tr[[paste0("n_", d)]] <- nmat[, d]
    for (d in 1:D) tr[[paste0("tox_", d)]] <- ymat[, d]
    term_rows[[paste(sid, scn)]] <- tr

    w <- tn$prob_outcomes
    q <- list()
    add <- function(name, vals, doses) {
      q[[length(q) + 1]] <<- data.frame(setting = sid, scenario = scn, quantity = name,
                                        dose = as.character(doses), value = fmt(vals),
                                        stringsAsFactors = FALSE)
    }
    pr <- prob_recommend(x)
    add("prob_recommend", pr, names(pr))                       # escalation: NoDose, 1..D
    pm <- sapply(1:D, function(d) sum(w[!is.na(mtd) & mtd == d]))
    add("prob_model_mtd", pm, 1:D)                             # dfcrm's unrestricted mtd at terminal nodes
    add("prob_continue", continue(x), "")
    pa <- prob_administer(x)
    add("prob_administer", pa, names(pa))                      # E[share of the path's patients at dose d]
    na <- n_at_dose(x)
    add("expected_n", na, names(na))
    ta <- tox_at_dose(x)
    add("expected_tox", ta, names(ta))
    add("expected_sample_size", num_patients(x), "")
    add("expected_total_tox", num_tox(x), "")
    add("sum_terminal_prob", sum(w), "")
    add("n_nodes", length(x$dose_paths), "")
    add("n_terminal_nodes", nrow(tn), "")
    summary_rows[[paste(sid, scn)]] <- bind_rows(q)

    cat(sprintf("\n== %s / %s  (true p = %s)\n", sid, scn, paste(p, collapse = " ")))
    print(x)
    cat("Full precision:\n")
    cat("  prob_recommend   ", paste(names(pr), fmt(pr), sep = "=", collapse = "  "), "\n")
    cat("  prob_administer  ", paste(names(pa), fmt(pa), sep = "=", collapse = "  "), "\n")
    cat("  expected_n       ", paste(names(na), fmt(na), sep = "=", collapse = "  "), "\n")
    cat("  expected_tox     ", paste(names(ta), fmt(ta), sep = "=", collapse = "  "), "\n")
    cat("  continue ", fmt(continue(x)), " E[N] ", fmt(num_patients(x)), " E[DLT] ", fmt(num_tox(x)), "\n")
  }
  cat(sprintf("\n[%s: %d nodes, %.1f s]\n", sid, length(paths), proc.time()[["elapsed"]] - t0))
}

write.csv(bind_rows(settings_rows), file.path(outdir, "escalation_crm_settings.csv"), row.names = FALSE)
write.csv(bind_rows(summary_rows), file.path(outdir, "escalation_crm_summary.csv"), row.names = FALSE)
write.csv(bind_rows(node_rows), file.path(outdir, "escalation_crm_nodes.csv"), row.names = FALSE)
write.csv(bind_rows(term_rows), file.path(outdir, "escalation_crm_terminal.csv"), row.names = FALSE)

cat("\nR", R.version$major, ".", R.version$minor, "; escalation", as.character(packageVersion("escalation")),
    "; dfcrm", as.character(packageVersion("dfcrm")), "\n", sep = " ")
