## titeboin_common.R: what titeboin_reference.R and titeboin_oc.R share (sourced by them).
## Loads TITEgBOIN from the R library folder $TITEBOIN_RLIB (required), sets the output folder
## OUT from $DOSEFIND_REF_OUT (default: the current directory; created if missing), records
## titeboin_version / r_version, and defines the CSV writer used for every output: '# key: value'
## header lines (read back with pandas `comment='#'`), then the table, every double written with
## the fewest significant digits (15 to 17) that read back as the identical double.

TITEBOIN_RLIB <- Sys.getenv("TITEBOIN_RLIB", "")
if (!nzchar(TITEBOIN_RLIB))
  stop("TITEBOIN_RLIB is not set: give it the R library folder where TITEgBOIN 0.4.0 is installed ",
       "(R CMD INSTALL -l <dir> <TITEgBOIN source>), e.g. TITEBOIN_RLIB=<dir> Rscript ...", call. = FALSE)
suppressPackageStartupMessages(library(TITEgBOIN, lib.loc = TITEBOIN_RLIB))
titeboin_version <- as.character(packageVersion("TITEgBOIN", lib.loc = TITEBOIN_RLIB))
r_version <- R.version.string
cat("TITEgBOIN", titeboin_version, "|", r_version, "\n")
if (titeboin_version != "0.4.0")
  warning("these references were made with TITEgBOIN 0.4.0; found ", titeboin_version, call. = FALSE)

OUT <- Sys.getenv("DOSEFIND_REF_OUT", ".")
dir.create(OUT, showWarnings = FALSE, recursive = TRUE)

## ---------------------------------------------------------------- helpers
## number -> shortest text (15, 16 or 17 significant digits) that parses back to the same double
num_rt <- function(x) {
  s <- sprintf("%.15g", x)
  for (dig in 16:17) {
    bad <- !is.na(x) & as.numeric(s) != x
    if (!any(bad)) break
    s[bad] <- sprintf(paste0("%.", dig, "g"), x[bad])
  }
  s[is.na(x)] <- "NA"
  s
}
## vector -> one ';'-joined field (a per-dose vector in one CSV cell); NA -> "NA"
join <- function(x) if (length(x) == 1 && is.na(x)) "NA" else paste(num_rt(as.numeric(x)), collapse = ";")

## list of equally named rows (lists of scalars) -> data.frame, one column per name
rows_to_df <- function(rows) {
  nm <- names(rows[[1]])
  as.data.frame(setNames(lapply(nm, function(k) unlist(lapply(rows, `[[`, k), use.names = FALSE)), nm),
                stringsAsFactors = FALSE)
}
## data.frame -> CSV (optionally .gz) with '# key: value' header lines; numeric columns via num_rt,
## character columns quoted.
write_ref_csv <- function(df, file, header) {
  hdr <- paste0("# ", names(header), ": ", vapply(header, function(v) paste(v, collapse = " "), ""))
  chr <- which(!vapply(df, is.numeric, TRUE))
  df[] <- lapply(df, function(col) if (is.numeric(col)) num_rt(col) else as.character(col))
  con <- if (grepl("\\.gz$", file)) gzfile(file, "w") else file(file, "w")
  on.exit(close(con))
  writeLines(hdr, con)
  write.csv(df, con, row.names = FALSE, quote = if (length(chr)) chr else FALSE)
  invisible(file)
}
## the common first header lines of every output
version_header <- function(script) list(
  package = paste("TITEgBOIN", titeboin_version, "(CRAN; source mirror github.com/cran/TITEgBOIN)"),
  R = r_version,
  regenerate = paste0("TITEBOIN_RLIB=<lib> DOSEFIND_REF_OUT=<out> Rscript benchmarks/reference/", script))
