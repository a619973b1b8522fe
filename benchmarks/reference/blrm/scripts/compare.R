# Compare MCMC reference values (OncoBayes2, crmPack) with the deterministic own integration.
# Usage: Rscript compare.R  (from scripts/, or set BLRM_REF_BASE)
BASE <- Sys.getenv("BLRM_REF_BASE", "..")
own <- read.csv(file.path(BASE, "out", "own_integration.csv"), stringsAsFactors = FALSE)
own$value <- suppressWarnings(as.numeric(own$value))
own <- subset(own, !is.na(dose))
key <- c("dataset", "prior", "dose", "quantity")
res <- list()
for (src in c("oncobayes2", "crmpack")) {
  f <- file.path(BASE, "out", paste0(src, ".csv"))
  if (!file.exists(f)) next
  m <- read.csv(f, stringsAsFactors = FALSE)
  m <- subset(m, !is.na(dose))
  j <- merge(m[, c(key, "source", "value", "mcse")], own[, c(key, "value")], by = key, suffixes = c("", "_own"))
  j$diff <- j$value - j$value_own
  j$z <- ifelse(!is.na(j$mcse) & j$mcse > 0, j$diff / j$mcse, NA)
  res[[src]] <- j
}
cmp <- do.call(rbind, res)
cmp <- cmp[order(cmp$source, cmp$prior, cmp$dataset, cmp$dose, cmp$quantity), ]
write.csv(cmp, file.path(BASE, "out", "comparison_mcmc_vs_own.csv"), row.names = FALSE)
cat("rows:", nrow(cmp), "\n")
agg <- aggregate(cbind(absdiff = abs(diff), absz = abs(z)) ~ source + quantity, data = cmp,
                 FUN = function(v) max(v, na.rm = TRUE), na.action = na.pass)
print(agg, digits = 3)
cat("\nshare of |z| > 3 per source:\n")
print(tapply(abs(cmp$z) > 3, cmp$source, mean, na.rm = TRUE))
cat("\nworst 15 by |z|:\n")
print(head(cmp[order(-abs(cmp$z)), c("source", "prior", "dataset", "dose", "quantity", "value", "value_own", "mcse", "z")], 15), digits = 4)
# EWOC decisions that disagree
ew <- subset(cmp, quantity == "ewoc_ok" & diff != 0)
cat("\nEWOC disagreements:", nrow(ew), "\n")
if (nrow(ew)) print(ew[, c("source", "prior", "dataset", "dose", "value", "value_own")])
