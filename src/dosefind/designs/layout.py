"""Index layout of the compiled-design arrays shared by designs/ (which fills them) and engine/ (which
reads them). A compiled design is six arrays: ``ip`` (int64 parameters), ``fp`` (float64 parameters),
``tables`` (int8 [n_tables, n_cap+1, n_cap+1] lookup tables indexed by patients and DLTs at a dose),
``grid`` (float64 quadrature grid, CRM only), ``mods`` (int64 [n_mods, 4]) and ``modf`` (float64
[n_mods, 4]).
"""

# ---- ip: integer parameters -------------------------------------------------------------------------
IP_KIND = 0
IP_N_DOSES = 1
IP_COHORT_SIZE = 2
IP_MAX_N = 3
IP_START_DOSE = 4  # 0-based
IP_N_CAP = 5  # tables are indexed 0..n_cap
# two-drug grids: a dose is a cell, index c = j * n_cols + k (j: level of drug A, k: of drug B, 0-based);
# 0 rows and columns for single-agent designs
IP_GRID_ROWS = 6
IP_GRID_COLS = 7
IP_EXCLUDED_MASK = 8  # bit c set: cell c is excluded from the grid (never admissible)
IP_USES_TIE = 9  # 1: the design's decisions read u_tie (the trial loop draws it from STREAM_DESIGN)
# design-specific block starts here
IP_TPT_DEESCALATE = 10
IP_TPT_EXPAND_TOP = 11  # 1: 0/3 at the highest dose treats 3 more there; 0: stop, it is the MTD
# A+B (designs/a_plus_b, engine/a_plus_b.py): Lin & Shih's A, B, C, D, E and the two rule options
IP_APB_A = 10
IP_APB_B = 11
IP_APB_C = 12
IP_APB_D = 13
IP_APB_E = 14
IP_APB_DEESCALATE = 15
IP_APB_EXPAND_TOP = 16
IP_BOIN_N_EARLYSTOP = 10
IP_BOIN_EXTRASAFE = 11
IP_BOIN_BOUND_MTD = 12
IP_CRM_DOSE_CHOICE = 10  # 0 plug-in at posterior mean of the parameter, 1 posterior mean of each p_d
IP_CRM_NO_SKIP_ESC = 11
IP_CRM_SKIP_REFERENCE = 12  # 0 last dose given, 1 highest dose tried
IP_CRM_COHERENCE = 13  # 0 off, 1 no escalation after a DLT in the last cohort, 2 after a last-cohort
# DLT rate >= target (dfcrm)
IP_CRM_SAFETY = 14  # 0 off, 1 on
IP_CRM_N_NODES = 15
IP_CRM_SELECT_TRIED = 16  # final selection restricted to doses tried
IP_CRM_SAFETY_MIN_N = 17
IP_CRM_MODEL = 18  # 0 empiric (power), 1 logistic with fixed intercept
# PO-CRM (designs/pocrm.py; grid rows after the quadrature nodes: see POCRM_ROW_* below)
IP_POCRM_N_ORDERINGS = 10
IP_POCRM_N_NODES = 11  # quadrature nodes K (0 with likelihood estimation)
IP_POCRM_ESTIMATION = 12  # 0 Bayes (quadrature), 1 likelihood (pocrm package)
IP_POCRM_ORDERING_CHOICE = 13  # 0 most probable ordering, 1 drawn with its posterior probability
IP_POCRM_STOP_N = 14  # 0 off, else the pocrm package's `stop`
IP_POCRM_WORK = 15  # work array length the kernels need (the slot the engine sizes `work` from)
IP_POCRM_STAGE1_LEN = 16
IP_POCRM_N_INCLUDED = 17  # R, included cells (skeleton length)
# table-driven family (designs/table): the reason code of each of the four actions (the family's TABLE_*
# codes, or a design's own declared codes); the action table is tables[0]
IP_TABLE_REASON_ESCALATE = 10
IP_TABLE_REASON_STAY = 11
IP_TABLE_REASON_DEESCALATE = 12
IP_TABLE_REASON_ELIMINATE = 13
# the family's final selection (engine/table.py::select_table): weights of the isotonic fit (0: n, 1: the
# inverse posterior variance) and the tie rule among doses equally close to the target (TABLE_TIES_*);
# the estimate is the posterior mean (y + a) / (n + a + b) with a, b = FP_TABLE_SELECT_A, FP_TABLE_SELECT_B
IP_TABLE_SELECT_WEIGHTS = 14
IP_TABLE_SELECT_TIES = 15
# BOIN for combinations (designs/boin_comb.py) uses IP_BOIN_N_EARLYSTOP, IP_BOIN_EXTRASAFE,
# IP_BOIN_BOUND_MTD, FP_BOIN_LAMBDA_D and the BOIN table (index 0), and these:
IP_BOIN_COMB_RULES = 13  # 0 the BOIN package's get.oc.comb, 1 its next.comb + select.mtd.comb
IP_BOIN_COMB_WORK = 15  # work array length the kernels need (the slot the engine sizes `work` from)
# designs that decide with pending patients (calendar time: engine/tite.py)
IP_USES_PENDING = 19  # 1: simulated by the event-driven loop, at every arrival, with pending patients
IP_TITE_SCHEME = 20  # TITE-CRM weights: 0 linear, 1 adaptive
IP_TITE_VERSION = (
    21  # TITE-BOIN estimate: 0 effective sample size (Lin & Yuan 2020), 1 imputation (Yuan 2018)
)
IP_TITE_SUSPEND = 22  # TITE-BOIN suspension: 0 whenever too many pending, 1 unless the decision is determined
IP_BACKFILL_CAP = 13  # BOIN with backfill: the cap per dose (0: no backfill)
IP_BACKFILL_ASSIGN = 14  # 0 highest, 1 lowest, 2 random open dose
IP_TITE_X0 = (
    23  # TITE-CRM two-stage start: 1 + index of the table whose row 0 holds x0 (0-based levels); 0 none
)
IP_R6_RULES = 10  # rolling six grid: 0 Frankel et al. 2020 (Table 2), 1 labja/RollingSix
# BLRM (designs/blrm, engine/blrm.py); grid rows 0, 1: the u nodes and their trapezoid weights; rows 2, 3:
# Gauss-Legendre nodes on [-1, 1] and weights of the v panels
IP_BLRM_N_U = 10  # u nodes (theta2 direction)
IP_BLRM_N_PANELS = 11  # v panels (theta1 direction)
IP_BLRM_N_GL = 12  # Gauss-Legendre nodes per panel
IP_BLRM_NO_SKIP = 13  # 1: at most one untried dose above the highest tried
IP_BLRM_INC_REF = 14  # escalation cap relative to 0 the last dose given, 1 the highest dose tried
IP_BLRM_WORK = 15  # work array length the kernels need (the slot the engine sizes `work` from)
IP_BLRM_MTD_N = 16  # stop when the recommended dose has this many patients (0: off) and ...
IP_BLRM_MTD_TOTAL = 17  # ... P(target) >= FP_BLRM_MTD_PROB or this many patients in total (0: off)
IP_BLRM_N_COMP = 18  # prior mixture components (1: one bivariate normal)
# ---- phase I/II designs (issue 15, item 4): responses are part of the trial state ---------------------
IP_USES_EFF = (
    24  # 1: the design's decisions read responses (the trial loop draws them; scenarios need true_eff)
)
# BOIN12 (designs/boin12, engine/boin12.py); tables[0] holds bit flags B12_*; grid[n, k] the desirability
# P(utility > benchmark | n patients, summed utility k) (k = sum of the patients' whole-number utilities)
IP_B12_N_STAR = 10  # between the boundaries with >= this many patients: choose between j - 1 and j only
IP_B12_EXPLORE_N = 11  # exploration rule: this many patients at j, next dose untried: escalate (0: off)
IP_B12_RULES = 12  # 0 the paper and web app (permanent eliminations), 1 escalation's get_boin12
IP_B12_U_EFF_NOTOX = 13  # whole-number utilities: response without DLT, ...
IP_B12_U_NONE = 14  # ... neither response nor DLT, ...
IP_B12_WORK = 15  # work array length the kernels need (the slot the engine sizes `work` from)
IP_B12_U_BOTH = 16  # ... response and DLT, ...
IP_B12_U_TOX_NOEFF = 17  # ... DLT without response
# U-BOIN (designs/uboin, engine/uboin.py); tables[0] BOIN's flags (BOIN_*) for the toxicity rules,
# tables[1] 1 where (n, responses) is futile (P(p_E < target_eff) > cutoff_eff)
IP_UB_N_STAGE1 = 10  # stage 1 (BOIN) until this many patients; then stage 2 (randomisation)
IP_UB_FUTILITY = 11  # 1: the futility rule eliminates doses; 0: off
IP_UB_U_EFF_NOTOX = 12  # whole-number utilities: response without DLT, ...
IP_UB_U_NONE = 13  # ... neither, ...
IP_UB_U_BOTH = 14  # ... response and DLT, ...
IP_UB_WORK = 15  # work array length the kernels need (the slot the engine sizes `work` from)
IP_UB_U_TOX_NOEFF = 16  # ... DLT without response
# two-drug BLRM (designs/blrm_comb, engine/blrm_comb.py; issue 14 item 2); its model and quadrature
# constants are rows of `grid` (engine/blrm_comb.py: ROW_*)
IP_BLRMC_NODES = 10  # unused (0)
IP_BLRMC_N_PANELS = 11  # Gauss-Legendre panels along each line
IP_BLRMC_N_GL = 12  # Gauss-Legendre nodes per panel
IP_BLRMC_NO_SKIP = 13  # 1: no untried level of either drug skipped
IP_BLRMC_NO_DIAGONAL = 14  # 1: no escalation of both drugs at once
IP_BLRMC_WORK = 15  # work array length (the slot the engine sizes `work` from)
IP_BLRMC_MTD_N = 16  # stop when the recommended cell has this many patients (0: off) and ...
IP_BLRMC_MTD_TOTAL = 17  # ... P(target) >= FP_BLRMC_MTD_PROB or this many patients in total (0: off)
IP_BLRMC_N_SETS = 18  # levels of the outer rule (prefixes of one point sequence; 0 the accurate rule)
# EffTox (designs/efftox, engine/efftox.py); grid rows: the fixed importance-sampling points (standard
# multivariate t, 6 coordinates, then the log density of the standard t at the point up to a constant)
IP_EFT_N_POINTS = 10  # importance-sampling points (rows of grid)
IP_EFT_NO_SKIP = 11  # 1: acceptable doses are within one level of the doses tried (trialr's in-range rule)
IP_EFT_WORK = 15  # work array length the kernels need (the slot the engine sizes `work` from)
IP_SIZE = 32

# ---- fp: float parameters ---------------------------------------------------------------------------
FP_TARGET = 0
FP_BOIN_LAMBDA_D = 1
FP_BOIN_LAMBDA_E = 2  # TITE-BOIN (BOIN's kernels read only lambda_d)
FP_TITE_MAX_PENDING = 3  # TITE-BOIN: suspend when pending > this share of the current dose's patients
FP_TABLE_SELECT_A = 1
FP_TABLE_SELECT_B = 2
FP_CRM_SAFETY_CONFIDENCE = 1
FP_CRM_SAFETY_THRESHOLD = 2
FP_CRM_INTERCEPT = 3
FP_CRM_PRIOR_SD = 4
FP_CRM_LP_MAX = 6  # largest |log prior| at the quadrature nodes (engine/crm_certify.py's error bound)
FP_POCRM_PRIOR_SD = 1
FP_POCRM_A_MAX = 2  # likelihood estimation: upper end of the power's search interval (pocrm.sim: 100)
FP_TITE_TGRP = 5  # TITE-CRM two-stage start: days before moving to a new level of x0 (dfcrm's tgrp)
FP_CRM_BSTAR = 8  # FP_CRM_BSTAR + d: parameter value at which p_d(b) equals the target
FP_CRM_BSAFE = 40  # FP_CRM_BSAFE + d: parameter value at which p_d(b) equals the safety threshold
FP_CRM_COEF = 72  # FP_CRM_COEF + d: log(skeleton_d) (empiric) or x_d = logit(skeleton_d) - a0 (logistic)
FP_BLRM_LOGIT_LOW = 14  # logit of the target interval's lower end (underdosing below)
FP_BLRM_LOGIT_HIGH = 15  # logit of its upper end (overdosing at and above)
FP_BLRM_EWOC = 16  # a dose is admissible iff P(overdosing) <= this
FP_BLRM_MAX_INC = 17  # maximum relative increment of the dose (negative: no cap)
FP_BLRM_MTD_PROB = 18  # stopping rule: P(target) at the recommended dose
FP_BLRM_V_RANGE = 19  # v panels cover [-range, range] conditional standard deviations
FP_BLRM_TARGET_FLOOR = 20  # crmPack's NextBestNCRM: best P(target) not above this: the highest eligible dose
FP_BLRM_X = 40  # + d: log(dose_d / reference dose)
FP_BLRM_DOSE = 72  # + d: dose_d
FP_BLRM_COMP = 104  # + 7 k: prior component k: [m1, m2, P11, P12, P22, log normaliser, weight]
BLRM_COMP_SIZE = 7
BLRM_MAX_COMP = 8
# two-drug BLRM (designs/blrm_comb)
FP_BLRMC_LOGIT_LOW = 14  # logit of the target interval's lower end
FP_BLRMC_LOGIT_HIGH = 15  # logit of its upper end (overdosing at and above)
FP_BLRMC_EWOC = 16  # a cell is admissible iff P(overdosing) <= this
FP_BLRMC_MTD_PROB = 17  # stopping rule: P(target) at the recommended cell
FP_BLRMC_V_RANGE = 18  # the panels along each line cover [-range, range] conditional sds
FP_BLRMC_SET_SIZE = 24  # + s: points of level s (s < 4), a prefix of the grid's point sequence
FP_BLRMC_SCALE = 28  # the outer rule's scale relative to the Laplace covariance
FP_BLRMC_BASE_SIZE = 29  # the prefix below the cheapest level (its error estimate's reference)
FP_BLRMC_SAFETY = 30  # a decision on level s > 0 needs every margin above this times the level's estimate
FP_BLRMC_EST_FLOOR = 31  # ... and the estimate is taken at least this large
FP_GL_NODES = 104  # + i: Gauss-Legendre nodes on [-1, 1] (tail probabilities)
FP_GL_WEIGHTS = 152  # + i: their weights
N_GL = 48
FP_B12_PRIOR_A = 1  # Beta(a, b) prior of the utility's quasi-binomial posterior
FP_B12_PRIOR_B = 2
# EffTox (designs/efftox): standardised doses, prior, hurdles, utility contour
FP_EFT_LOGIT_TOX_LIMIT = 1  # logit of the toxicity upper limit (pi_T bar)
FP_EFT_LOGIT_EFF_LIMIT = 2  # logit of the efficacy lower limit (pi_E bar)
FP_EFT_P_TOX = 3  # acceptable iff P(pi_T < limit) > p_tox ...
FP_EFT_P_EFF = 4  # ... and P(pi_E > limit) > p_eff
FP_EFT_EFF0 = 5  # utility contour: efficacy required with no toxicity
FP_EFT_TOX1 = 6  # toxicity allowed with certain efficacy
FP_EFT_P = 7  # the L^p exponent through the three points
FP_EFT_PRIOR_MEAN = 8  # + i, i < 6: prior means of (mu_T, beta_T, mu_E, beta_E1, beta_E2, psi)
FP_EFT_PRIOR_SD = 14  # + i: their prior standard deviations
FP_EFT_T_SCALE = 20  # importance sampling: the t proposal's scale on the Laplace covariance's factor
FP_EFT_X = 40  # + d: standardised dose x_d = log d - mean log d
FP_UB_PRIOR_A = 1  # Beta(a, b) prior of U-BOIN's quasi-binomial utility posterior
FP_UB_PRIOR_B = 2
FP_CRM_MID = 200  # + j, j < D - 1: the b at which p_j(b) + p_{j+1}(b) = 2 target (plug-in boundaries)
FP_SIZE = 232
MAX_DOSES = 32

# ---- tables -----------------------------------------------------------------------------------------
# BOIN table (index 0): bit flags per (n, y)
BOIN_ESC = 1  # y <= floor(n lambda_e)
BOIN_DEESC = 2  # y > n lambda_d, or y at the elimination boundary
BOIN_ELIM = 4  # P(p > target | y, n) > cutoff_eli and n >= 3
BOIN_EXTRASAFE_STOP = 8  # P(p > target | y, n) > cutoff_eli - offset and n >= 3 (lowest dose only)
# BOIN12 (tables[0]): bit flags per (n, DLTs) and, bit B12_FUTILE, per (n, responses)
B12_ESC = 1  # DLTs / n <= lambda_e
B12_DEESC = 2  # DLTs / n >= lambda_d
B12_TOXIC = 4  # P(p_T > target | DLTs, n) > cutoff_tox (>= under escalation's rules)
B12_FUTILE = 8  # indexed by (n, responses): P(p_E < target_eff | responses, n) > cutoff_eff
# table-driven family (tables[0]): the action for n patients and y DLTs at the current dose
TABLE_STAY = 0  # S
TABLE_ESCALATE = 1  # E
TABLE_DEESCALATE = 2  # D
TABLE_ELIMINATE = 3  # DU: de-escalate, and eliminate this dose and every dose above it
# the family's selection weights and tie rules (ip[IP_TABLE_SELECT_WEIGHTS], ip[IP_TABLE_SELECT_TIES])
TABLE_WEIGHTS_N = 0
TABLE_WEIGHTS_INVERSE_VARIANCE = 1
TABLE_TIES_INCREMENT = 0  # the i-th estimate plus i x 1e-10, first closest (BOIN and Keyboard packages)
TABLE_TIES_MEAN = (
    1  # equally close: the highest if their mean is below the target, else the lowest (TPI, mTPI-2)
)
TABLE_TIES_BELOW = 2  # equally close: the highest below the target, else the lowest (mTPI)
# BOIN for combinations: grid[n, y] = P(lambda_e < p < lambda_d | Beta(y + 1/2, n - y + 1/2)), y <= n

# ---- CRM grid columns -------------------------------------------------------------------------------
# grid[k, 0] = log prior density at node k, grid[k, 1] = parameter b_k (equally spaced, step h),
# grid[k, 2] = trapezoid weight (h, or h/2 at the ends), grid[k, 3 + d] = log p_d(b_k),
# grid[k, 3 + D + d] = log(1 - p_d(b_k)), grid[k, 3 + 2D + d] = p_d(b_k)
GRID_LOGPRIOR = 0
GRID_B = 1
GRID_W = 2
GRID_FIRST = 3
# PO-CRM grid (node-major, so the kernels sum over contiguous rows), with K = ip[IP_POCRM_N_NODES], R
# included cells and M orderings: rows 0, 1, 2 = log prior density, b and trapezoid weight at node k
# (column k); row POCRM_ROW_LOGP + r = log s_r ** exp(b_k), POCRM_ROW_LOGP + R + r = log(1 - .),
# POCRM_ROW_LOGP + 2R + r = s_r ** exp(b_k); then from row 3 + 3R: M rows of ranks (column c = position of
# cell c in ordering m, -1 for an excluded cell), and the rows below (offsets from row 3 + 3R + M).
POCRM_ROW_LOGP = 3
POCRM_ROW_PRIOR = 0  # column m: log prior probability of ordering m
POCRM_ROW_STAGE1 = 1  # the stage-1 cells
POCRM_ROW_LOG_SKELETON = 2  # column r: log s_r

# ---- CRM posterior summary (one row of the posterior cache) -----------------------------------------
# [mean b, var b, log evidence, then per dose: plug-in p_d(E b), E p_d, P(p_d > target), P(p_d > safety)]
POST_MEAN_B = 0
POST_VAR_B = 1
POST_LOGZ = 2
POST_FIRST = 3  # + d: plug-in; + D + d: posterior mean; + 2D + d: P(p_d > target); + 3D + d: P(p_d > safety)

# ---- modifiers --------------------------------------------------------------------------------------
# mods[m] = (kind, iarg0, iarg1, table index); modf[m] = (farg0, farg1, farg2, farg3)
MOD_KIND = 0
MOD_I0 = 1
MOD_I1 = 2
MOD_TABLE = 3
N_AT_RECOMMENDED = -1  # stop_when_n_at_dose: the dose proposed next
N_AT_ANY = -2  # stop_when_n_at_dose: any dose
