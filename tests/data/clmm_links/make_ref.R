# More clmm references for fit_ordinal_mixed: other links, adaptive quadrature with another link,
# nested random intercepts. Data: the first 100 respondents of ../clmm/battery_long.csv, with
# team = one of 10 teams (respondents 1-10 -> T01, ...). Run here: Rscript make_ref.R (a few minutes).
suppressMessages({library(ordinal); library(jsonlite)})
items <- c("empathy", "active_listening", "communication", "problem_solving", "patience", "stress_management",
           "service_orientation", "emotional_intelligence", "flexibility", "teamwork", "negotiation", "critical_thinking")
d <- read.csv("../clmm/battery_long.csv")
d <- d[as.integer(sub("R", "", d$respondent_id)) <= 100, ]
d$team <- sprintf("T%02d", (as.integer(sub("R", "", d$respondent_id)) - 1) %/% 10 + 1)
d$item <- factor(d$item, levels=items); d$service <- factor(d$service, levels=c("in_house", "outsourcing"))
d$role <- factor(d$role, levels=c("operator", "team_leader", "manager", "director"))
d$respondent_id <- factor(d$respondent_id); d$team <- factor(d$team)
d$rating <- factor(d$rating, levels=1:5, ordered=TRUE)
tab <- function(m) {
  nf <- m$dims$nfepar; se <- sqrt(diag(vcov(m)))
  list(names=names(coef(m)), estimate=unname(coef(m)), se=unname(se[seq_len(nf)]),
       sd=lapply(m$ST, function(s) s[1, 1]), loglik=as.numeric(logLik(m)), max_grad=max(abs(m$gradient)),
       n_agq=m$nAGQ, link=m$link)
}
out <- list(
  cloglog_laplace=tab(clmm(rating ~ item + service + (1|respondent_id), data=d, link="cloglog")),
  loglog_agq5=tab(clmm(rating ~ item + service + (1|respondent_id), data=d, link="loglog", nAGQ=5)),
  nested_logit=tab(clmm(rating ~ item + service + (1|team) + (1|team:respondent_id), data=d)),
  R_version=R.version.string, ordinal_version=as.character(packageVersion("ordinal")))
writeLines(toJSON(out, digits=I(12), auto_unbox=TRUE, pretty=TRUE), "clmm_links_reference.json")
