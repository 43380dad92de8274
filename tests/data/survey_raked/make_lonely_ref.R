# Lonely-PSU and svytotal reference for analysis.survey (issue 13).
# Run here: Rscript make_lonely_ref.R  (reads ../survey/survey_sample.csv, writes lonely_reference.json)
# Stratum "centro" keeps only PSU CE_01: a stratum with one PSU.
suppressMessages({library(survey); library(jsonlite)})
d <- read.csv("../survey/survey_sample.csv")
d <- d[d$stratum != "centro" | d$psu == "CE_01", ]
d$answer <- factor(d$answer, levels=c("yes", "no", "dk"))
out <- list(n=nrow(d))
for (opt in c("remove", "certainty", "adjust", "average")) {
  options(survey.lonely.psu=opt)
  des <- svydesign(ids=~psu, strata=~stratum, weights=~w, nest=TRUE, data=d)
  m <- svymean(~score, des); t <- svytotal(~score, des, deff=TRUE)
  out[[opt]] <- list(mean_se=unname(SE(m))[1], total=unname(coef(t)), total_se=unname(SE(t))[1],
                     total_deff=unname(deff(t))[1], degf=degf(des))
}
options(survey.lonely.psu="fail")
des <- svydesign(ids=~psu, strata=~stratum, weights=~w, fpc=~fpc, nest=TRUE, data=read.csv("../survey/survey_sample.csv"))
t <- svytotal(~answer, des, deff=TRUE)
out$fpc_total_answer <- list(estimate=unname(coef(t)), se=unname(SE(t)), deff=unname(deff(t)))
out$R_version <- R.version.string
out$survey_version <- as.character(packageVersion("survey"))
writeLines(toJSON(out, digits=I(15), auto_unbox=TRUE, pretty=TRUE), "lonely_reference.json")
