## titecrm_common.R: what titecrm_reference.R, titesim_oc.R and titesim_traces.R share (sourced by them).
## Loads dfcrm from $DFCRM_LIB, creates the output folder $OUT_DIR (OUT), and defines writers that keep
## every double exact (%.17g): num17, to_json / write_json, write_csv17; and dfcrm_version.

suppressPackageStartupMessages(library(dfcrm, lib.loc = Sys.getenv("DFCRM_LIB", .libPaths()[1])))
OUT <- Sys.getenv("OUT_DIR", "titecrm-reference")
dir.create(OUT, showWarnings = FALSE, recursive = TRUE)

## ---------------------------------------------------------------- helpers
## number -> text that parses back to the identical double
num17 <- function(x) {
  s <- sprintf("%.17g", x)
  s[is.na(x)] <- "null"                 # NA and NaN -> null
  s[is.infinite(x) & x > 0] <- "\"Inf\""
  s[is.infinite(x) & x < 0] <- "\"-Inf\""
  s
}
## minimal JSON writer: named list -> object, unnamed list -> array,
## atomic length-1 -> scalar unless wrapped in I() (AsIs) -> always array
to_json <- function(x, indent = 0) {
  pad <- strrep(" ", indent + 2); pad0 <- strrep(" ", indent)
  if (is.null(x)) return("null")
  if (is.list(x)) {
    if (length(x) == 0) return(if (is.null(names(x))) "[]" else "{}")
    inner <- vapply(x, to_json, "", indent = indent + 2)
    if (!is.null(names(x))) {
      inner <- paste0("\"", names(x), "\": ", inner)
      return(paste0("{\n", pad, paste(inner, collapse = paste0(",\n", pad)), "\n", pad0, "}"))
    }
    return(paste0("[\n", pad, paste(inner, collapse = paste0(",\n", pad)), "\n", pad0, "]"))
  }
  asis <- inherits(x, "AsIs")
  if (is.character(x)) v <- paste0("\"", gsub("\"", "\\\\\"", x), "\"")
  else if (is.logical(x)) v <- ifelse(is.na(x), "null", ifelse(x, "true", "false"))
  else v <- num17(as.numeric(x))
  if (length(x) == 1 && !asis) return(v)
  paste0("[", paste(v, collapse = ", "), "]")
}
write_json <- function(x, file) writeLines(to_json(x), file)
## CSV with '#' header comment lines; numbers as %.17g
write_csv17 <- function(df, file, comments) {
  con <- file(file, "w")
  writeLines(paste("#", comments), con)
  writeLines(paste(names(df), collapse = ","), con)
  cols <- lapply(df, function(col) if (is.numeric(col)) sprintf("%.17g", col) else as.character(col))
  writeLines(do.call(paste, c(cols, sep = ",")), con)
  close(con)
}

dfcrm_version <- as.character(packageVersion("dfcrm", lib.loc = Sys.getenv("DFCRM_LIB", .libPaths()[1])))
