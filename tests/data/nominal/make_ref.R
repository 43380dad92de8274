# Reference for nominal_test() on models whose threshold-specific refits are not all regular:
# - `role`: nobody in role "manager" answered 1, so the refit with nominal = ~ role has a threshold-specific
#   effect that diverges (clm: convergence code 1, "Hessian is numerically singular"); nominal_test still reports
#   the likelihood-ratio statistic at the supremum with the full df;
# - `service:region`: in the refit with nominal = ~ service:region the interaction's cell dummies span the
#   location columns service, region and service:region, which clm drops as aliased (drop.coef2): fewer df.
# Run in this folder: Rscript make_ref.R  (writes nominal_survey.csv and nominal_reference.json; R 4.2, ordinal)
suppressMessages({library(ordinal); library(jsonlite)})
set.seed(20261201)
n <- 700
role <- factor(sample(c("operator", "team_leader", "manager", "director"), n, TRUE, c(.45, .25, .2, .1)),
               levels=c("operator", "team_leader", "manager", "director"))
service <- factor(sample(c("in_house", "outsourcing"), n, TRUE), levels=c("in_house", "outsourcing"))
region <- factor(sample(c("north", "centre", "south"), n, TRUE), levels=c("north", "centre", "south"))
x <- round(rnorm(n), 3)
eta <- c(0, .3, .6, .9)[as.integer(role)] + .4 * (service == "outsourcing") + c(0, .2, -.3)[as.integer(region)] +
  .5 * x + .5 * (service == "outsourcing") * (region == "south")
y <- 1 + findInterval(eta + rlogis(n), c(-2.2, -0.8, 0.8, 2.2))
y[y == 1 & role == "manager"] <- 2           # an empty cell: no manager answered 1
d <- data.frame(role, service, region, x, y)
write.csv(d, "nominal_survey.csv", row.names=FALSE)
d$y <- factor(d$y, levels=1:5, ordered=TRUE)
tab <- function(nt) list(term=rownames(nt)[-1], df=unname(nt$Df[-1]), loglik=unname(nt$logLik[-1]),
                         lrt=unname(nt$LRT[-1]), p=unname(nt[["Pr(>Chi)"]][-1]), loglik_none=nt$logLik[1])
m1 <- clm(y ~ role + service + x, data=d)
m2 <- clm(y ~ service * region + x, data=d)
r1 <- clm(y ~ service + x, nominal=~role, data=d)
r2 <- clm(y ~ service * region + x, nominal=~service:region, data=d)
out <- list(
  model_role = c(list(call="nominal_test(clm(y ~ role + service + x, data=d))"), tab(nominal_test(m1))),
  model_interaction = c(list(call="nominal_test(clm(y ~ service * region + x, data=d))"), tab(nominal_test(m2))),
  refit_role = list(call="clm(y ~ service + x, nominal=~role, data=d)", convergence=r1$convergence$code,
                    message=r1$convergence$messages, edf=r1$edf, loglik=as.numeric(logLik(r1))),
  refit_interaction = list(call="clm(y ~ service * region + x, nominal=~service:region, data=d)",
                           edf=r2$edf, loglik=as.numeric(logLik(r2)),
                           aliased_beta=names(which(r2$aliased$beta)), aliased_alpha=names(which(r2$aliased$alpha))),
  counts_role_by_y=unclass(table(d$role, d$y)),
  R_version=R.version.string, ordinal_version=as.character(packageVersion("ordinal")))
writeLines(toJSON(out, digits=I(12), auto_unbox=TRUE, pretty=TRUE), "nominal_reference.json")
print(nominal_test(m1)); print(nominal_test(m2)); print(r1$convergence); print(r2$aliased)
