# Raked-design reference for analysis.survey / analysis.stats (issue 13).
# Run here: Rscript make_raked_ref.R  (reads ../survey/survey_sample.csv, writes raked_reference.json)
# The sample's weights are raked to the margins below (shares x sum of weights), tolerance tight so
# that the weights equal analysis.weighting.rake's; then design-based estimates as survey 4.1.1 gives.
suppressMessages({library(survey); library(ordinal); library(jsonlite)})
d <- read.csv("../survey/survey_sample.csv")
d$stratum <- factor(d$stratum, levels=c("nord_ovest", "nord_est", "centro", "sud_isole"))
d$service <- factor(d$service, levels=c("in_house", "outsourcing"))
d$role <- factor(d$role, levels=c("operator", "team_leader", "manager", "director"))
d$answer <- factor(d$answer, levels=c("yes", "no", "dk"))
d$likert_f <- factor(d$likert, levels=1:5)
d$likert_o <- factor(d$likert, levels=1:5, ordered=TRUE)
share_service <- c(in_house=0.55, outsourcing=0.45)
share_role <- c(operator=0.60, team_leader=0.22, manager=0.12, director=0.06)
tot <- sum(d$w)
pop_service <- data.frame(service=factor(names(share_service), levels=levels(d$service)), Freq=share_service * tot)
pop_role <- data.frame(role=factor(names(share_role), levels=levels(d$role)), Freq=share_role * tot)
base <- list(cluster=svydesign(ids=~psu, strata=~stratum, weights=~w, nest=TRUE, data=d),
             weights_only=svydesign(ids=~1, weights=~w, data=d))
out <- list(margins=list(service=as.list(share_service), role=as.list(share_role)))
for (k in names(base)) {
  des <- rake(base[[k]], list(~service, ~role), list(pop_service, pop_role),
              control=list(maxit=200, epsilon=1e-12))
  r <- list(degf=degf(des), weights=unname(weights(des)))
  m <- svymean(~likert_f, des); r$mean_likert <- list(estimate=unname(coef(m)), se=unname(SE(m)))
  m <- svymean(~score, des); r$mean_score <- list(estimate=unname(coef(m)), se=unname(SE(m)))
  x <- svyciprop(~I(answer == "yes"), des, method="logit")
  r$ciprop_yes_logit <- list(estimate=as.numeric(x), se=as.numeric(SE(x)), ci=unname(attr(x, "ci")))
  for (lv in levels(d$service)) {
    sub <- subset(des, service == lv)
    m <- svymean(~likert_f, sub)
    r[[paste0("mean_likert_service_", lv)]] <- list(estimate=unname(coef(m)), se=unname(SE(m)), degf=degf(sub))
  }
  x <- svychisq(~likert_f + service, des)
  r$chisq_likert_service_F <- list(statistic=unname(x$statistic), ndf=unname(x$parameter[1]), ddf=unname(x$parameter[2]), p=x$p.value)
  x <- svychisq(~answer + role, des)
  r$chisq_answer_role_F <- list(statistic=unname(x$statistic), ndf=unname(x$parameter[1]), ddf=unname(x$parameter[2]), p=x$p.value)
  m <- svyolr(likert_o ~ service + role, design=des); s <- summary(m)$coefficients
  dw <- d; dw$rw <- weights(des)
  cw <- clm(likert_o ~ service + role, data=dw, weights=rw)   # same pseudo-likelihood, Newton
  r$svyolr_likert <- list(names=rownames(s), estimate=unname(s[, 1]), se=unname(s[, 2]),
                          clm_weighted_estimate=unname(c(cw$beta, cw$alpha)))
  g <- svyglm(likert ~ as.numeric(role), des)
  r$slope_likert_on_role <- list(estimate=unname(coef(g)[2]), se=unname(SE(g)[2]))
  out[[k]] <- r
}
# the same without raking (weights only): the slope, for the design-based trend test
g <- svyglm(likert ~ as.numeric(role), base$cluster)
out$cluster_unraked_slope <- list(estimate=unname(coef(g)[2]), se=unname(SE(g)[2]))
out$R_version <- R.version.string
out$survey_version <- as.character(packageVersion("survey"))
writeLines(toJSON(out, digits=I(15), auto_unbox=TRUE, pretty=TRUE), "raked_reference.json")
