# Shared definitions of dose grid, data sets and priors for the BLRM reference runs.
# Sourced by oncobayes2_run.R, crmpack_run.R and (mirrored in) own_integration.py.
#
# Model: logit p(d) = log(alpha) + beta * log(d / dref),
#        (log alpha, log beta) ~ BVN(mean = m, sd = s, correlation = r).
# crmPack notation: alpha0 = log(alpha), alpha1 = beta, (alpha0, log alpha1) ~ BVN.

# Provisional dose grid: dose levels of the Neuenschwander, Branson & Gsponer
# (2008) example trial (mg); data of OncoBayes2's hist_SA lie on it.
DOSES <- c(1, 2.5, 5, 10, 15, 20, 25, 30, 40, 50, 75, 100, 150, 200, 250)

# Data sets: per dose, n = patients, r = DLTs (listed in ascending dose order,
# which is also the order of the cohorts given to crmPack).
DATASETS <- list(
  # OncoBayes2::hist_SA (NBG 2008 example data as shipped in OncoBayes2, data/hist_SA.rda)
  hist_SA = data.frame(dose = c(1, 2.5, 5, 10, 25), n = c(3, 4, 5, 4, 2), r = c(0, 0, 0, 0, 2)),
  # no data at all: prior only
  nodata = data.frame(dose = numeric(0), n = numeric(0), r = numeric(0)),
  # four safe cohorts of 3 at the low doses
  low_safe = data.frame(dose = c(1, 2.5, 5, 10), n = c(3, 3, 3, 3), r = c(0, 0, 0, 0)),
  # mixed outcome with DLTs at mid doses
  mixed = data.frame(dose = c(1, 2.5, 5, 10, 20, 40), n = c(3, 3, 4, 6, 3, 6), r = c(0, 0, 0, 1, 0, 2)),
  # many DLTs at high doses
  high_tox = data.frame(dose = c(1, 5, 10, 25, 50, 100, 200), n = c(3, 3, 3, 3, 6, 4, 3), r = c(0, 0, 0, 0, 1, 3, 3)),
  # 2/3 DLTs at the starting dose
  early_tox = data.frame(dose = c(1), n = c(3), r = c(2)),
  # generated once in R 4.2.2 with:
  #  set.seed(20240607); idx <- sort(sample(1:12, 5)); n <- sample(2:6, 5, replace = TRUE)
  #  p <- plogis(-1.5 + 1.2 * log(DOSES[idx] / 50)); r <- rbinom(5, n, p)
  random_s20240607 = data.frame(dose = c(5, 10, 20, 30, 75), n = c(6, 3, 2, 3, 4), r = c(0, 0, 0, 0, 1))
)

# Priors on (log alpha, log beta): means m1, m2; sds s1, s2; correlation r; reference dose dref.
PRIORS <- list(
  # OncoBayes2 documented single-agent example (man/example-single-agent.Rd): dref = 50,
  # log alpha ~ N(logit(0.5), 2^2), log beta ~ N(log(1), 1^2), independent.
  ob2_example = c(m1 = 0, m2 = 0, s1 = 2, s2 = 1, r = 0, dref = 50),
  # OncoBayes2 "simplified prior" means/sds for reference_p_dlt = 0.2 (R/blrm_trial.R,
  # .blrm_trial_compute_simple_prior) with tau fixed at 0: N(logit(0.2), 2^2), N(0, 0.7^2).
  ob2_simplified_p02 = c(m1 = qlogis(0.2), m2 = 0, s1 = 2, s2 = 0.7, r = 0, dref = 50),
  # crmPack default LogisticLogNormal prior (.DefaultLogisticLogNormal, R/Model-class.R):
  # mean c(-0.85, 1), cov matrix(c(1, -0.5, -0.5, 1), 2), ref_dose 50.
  # Correlated: not expressible in OncoBayes2 0.8-9 (independent normal mu prior only).
  crmpack_default = c(m1 = -0.85, m2 = 1, s1 = 1, s2 = 1, r = -0.5, dref = 50)
)

# Interval boundaries
OB2_INTERVALS <- c(0, 0.16, 0.33, 1) # underdose / target / overdose (OncoBayes2 default)
EWOC_MAX_OVER <- 0.25
NCRM_TARGET <- c(0.2, 0.35) # crmPack documented NextBestNCRM example
NCRM_OVERDOSE <- c(0.35, 1)

prior_cov <- function(pr) {
  matrix(c(pr[["s1"]]^2, pr[["r"]] * pr[["s1"]] * pr[["s2"]],
           pr[["r"]] * pr[["s1"]] * pr[["s2"]], pr[["s2"]]^2), nrow = 2)
}
