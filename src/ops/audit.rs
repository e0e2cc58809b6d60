//! `audit`: every policy judged against the remote gates as they run, the Software Catalog,
//! what deployed (DORA), the evaluation history and the monitors; and, with
//! `--publish-scorecard`, the verdicts written to Datadog Scorecards.

use std::collections::BTreeMap;

use super::progress::{Event, Progress};
use crate::error::Error;
use gatesctl_client::{Client, GateQuery, HistoryQuery, Unreadable};
use gatesctl_core::coverage::Coverage;
use gatesctl_core::model::time::Window;
use gatesctl_core::model::{GateKey, RemoteState};
use gatesctl_core::policy::scorecard::{self, RuleStep};
use gatesctl_core::policy::{self, DryRunFacts, DryRunKey, Facts, GateFacts, PolicyVerdict, Requirement};
use gatesctl_files::DesiredState;

/// What an audit reads besides the files.
pub(crate) struct AuditRequest<'a> {
    pub(crate) desired: &'a DesiredState,
    pub(crate) window: Window,
    pub(crate) parallelism: usize,
    /// Search the monitors of monitor rules (whether each watches something).
    pub(crate) monitor_check: bool,
    /// Write the verdicts to Datadog Scorecards.
    pub(crate) publish: bool,
}

/// The verdicts, and what they rest on.
pub(crate) struct Audit {
    pub(crate) verdicts: Vec<PolicyVerdict>,
    pub(crate) window: Window,
    /// Remote gates judged.
    pub(crate) gates: usize,
    /// Catalog services read; none when the catalog was not read.
    pub(crate) catalog: Option<usize>,
    /// Deployments of the window; none when DORA was not read.
    pub(crate) deployments: Option<usize>,
    /// What could not be read in whole, said on stderr.
    pub(crate) warnings: Vec<String>,
    pub(crate) unreadable: Vec<Unreadable>,
}

impl Audit {
    /// Requirements of `error` policies broken.
    pub(crate) fn errors(&self) -> usize {
        super::policy::errors(&self.verdicts)
    }
}

/// What the policies ask to be read.
struct Needs {
    catalog: bool,
    coverage: bool,
    places: bool,
    dry_run: bool,
    monitors: bool,
}

impl Needs {
    fn of(desired: &DesiredState) -> Needs {
        let any = |f: &dyn Fn(&gatesctl_core::policy::Policy) -> bool| desired.policies.iter().any(f);
        Needs {
            catalog: super::policy::needs_catalog(desired),
            coverage: any(&|p| p.min_coverage_percent.is_some()),
            places: any(&|p| p.require.contains(&Requirement::Gate)),
            dry_run: any(&|p| p.max_dry_run_days.is_some()),
            monitors: any(&|p| p.require.contains(&Requirement::MonitorRule)),
        }
    }
}

pub(crate) async fn run(
    client: &Client,
    request: &AuditRequest<'_>,
    progress: &dyn Progress,
) -> Result<(Audit, Option<Published>), Error> {
    let client = &client.limited_to(request.parallelism);
    let audit = judge(client, request, progress).await?;
    let published = match request.publish {
        true => Some(publish(client, &audit.verdicts, progress).await?),
        false => None,
    };
    Ok((audit, published))
}

async fn judge(client: &Client, request: &AuditRequest<'_>, progress: &dyn Progress) -> Result<Audit, Error> {
    let desired = request.desired;
    let needs = Needs::of(desired);
    let (mut warnings, mut unreadable) = (Vec::new(), Vec::new());
    // Side by side, each family of endpoints under its own rate limit: the gates and their
    // rules, the catalog, the deployments, the monitors.
    let (every, on_fetch) = (GateQuery::default(), |f| progress.event(Event::Gates(f)));
    let remote = gatesctl_client::fetch(client, request.parallelism, &every, |_| true, &on_fetch);
    let catalog = async {
        if !(needs.catalog || needs.places) {
            return Ok(None);
        }
        super::policy::read_catalog(client, "audit", progress).await.map(Some)
    };
    let measured = async {
        if !(needs.coverage || needs.places) {
            return Ok(None);
        }
        super::coverage::measure(client, desired, request.window, request.parallelism, progress).await.map(Some)
    };
    let check = async {
        if !(needs.monitors && request.monitor_check) {
            return None;
        }
        Some(super::monitors::check(client, desired, request.parallelism, progress).await)
    };
    let (remote, catalog, measured, check) = tokio::join!(remote, catalog, measured, check);
    let remote = remote?;
    let catalog = match catalog {
        Ok(c) => c,
        // Only a scope naming its tags needs it; without one, the services it lists are left
        // out of `gate`, and said so.
        Err(Error::Refused(why)) if !needs.catalog => {
            warnings.push(format!("{why}; services only the Software Catalog lists are not checked for a gate"));
            None
        }
        Err(e) => return Err(e),
    };
    if let Some(c) = &catalog {
        if !c.unreadable.is_empty() {
            warnings.push(super::policy::unread_note(c.unreadable.len()));
        }
    }
    let measured = match measured {
        Ok(m) => m,
        Err(Error::Refused(why)) if !needs.coverage => {
            warnings.push(format!("{why}; services that deployed without any gate are not checked for one"));
            None
        }
        Err(e) => return Err(e),
    };
    let coverage: Option<Coverage> = measured.map(|m| {
        warnings.extend(m.warnings);
        unreadable.extend(m.unreadable);
        m.coverage
    });
    if let Some(check) = &check {
        warnings.extend(check.unchecked.clone());
    }
    let dry_run = if needs.dry_run {
        let (facts, bad) = dry_run_facts(client, desired, &remote, request, check.as_ref(), progress).await?;
        unreadable.extend(bad);
        Some(facts)
    } else {
        None
    };

    let gates = GateFacts::live(&remote, desired);
    let places = policy::known_places(&remote, desired);
    let facts = Facts {
        catalog: catalog.as_ref().map(|c| &c.tags),
        coverage: coverage.as_ref(),
        dry_run: dry_run.as_ref(),
        watching_nothing: check.as_ref().map(|c| &c.watching_nothing),
        places: &places,
        now_ms: request.window.to_ms - 1,
    };
    let verdicts = policy::judge_all(&desired.policies, &gates, &facts);
    Ok(Audit {
        verdicts,
        window: request.window,
        gates: gates.len(),
        catalog: catalog.as_ref().map(|c| c.tags.len()),
        deployments: coverage.as_ref().map(|c| c.totals().deployments),
        warnings,
        unreadable,
    })
}

/// Since when each remote gate and rule in dry run has been so, with `report`'s verdict beside
/// it: the history of the places with one, read both lists.
async fn dry_run_facts(
    client: &Client,
    desired: &DesiredState,
    remote: &RemoteState,
    request: &AuditRequest<'_>,
    check: Option<&gatesctl_core::monitor_check::MonitorCheck>,
    progress: &dyn Progress,
) -> Result<(BTreeMap<DryRunKey, DryRunFacts>, Vec<Unreadable>), Error> {
    let in_dry_run = |k: &GateKey| {
        remote.gates.get(k).is_some_and(|g| g.dry_run)
            || remote.rules.get(k).is_some_and(|rules| rules.iter().any(|r| r.rule.dry_run))
    };
    let keys: Vec<&GateKey> = remote.gates.keys().filter(|k| in_dry_run(k)).collect();
    if keys.is_empty() {
        return Ok((BTreeMap::new(), Vec::new()));
    }
    let places: Vec<(&str, &str)> = keys.iter().map(|k| (k.service.as_str(), k.env.as_str())).collect();
    let queries = HistoryQuery::slices(&places, request.window);
    let (history, bad) =
        client.history(&queries, true, request.parallelism, &|n| progress.event(Event::Evaluations(n))).await?;
    let since = policy::dry_run_since(remote, &history);
    // What `report` says of the declared ones, judged on the same history.
    let declared: Vec<&GateKey> = keys.into_iter().filter(|k| desired.gates.contains_key(*k)).collect();
    let settings = gatesctl_core::report::ReportSettings { window: request.window, flags: Default::default() };
    let findings = gatesctl_core::report::Findings {
        watching_nothing: check.map(|c| &c.watching_nothing),
        failing_now: check.map(|c| &c.failing_now),
        unchecked: None,
        failures: Err(gatesctl_core::report::FailuresUnread::NotAsked),
    };
    let report = gatesctl_core::report::build(desired, &declared, &history, &settings, &findings);
    Ok((policy::dry_run_facts(&since, Some(&report)), bad))
}

/// What publishing did.
#[derive(Debug, Default)]
pub(crate) struct Published {
    pub(crate) created: Vec<String>,
    pub(crate) updated: Vec<String>,
    pub(crate) kept: Vec<String>,
    pub(crate) outcomes: usize,
    /// Outcomes the API says changed.
    pub(crate) changed: u64,
}

fn refused_write(e: gatesctl_client::ApiError) -> Error {
    match super::permission::missing(&e, "apm_service_catalog_write") {
        Some(why) => Error::Refused(format!("publishing to Scorecards writes rules and outcomes, and {why}")),
        None => Error::Api(e),
    }
}

/// Writes each policy as a rule of the scorecard (found by name: created, updated, or kept),
/// then every service's outcome. Run again with nothing changed, it creates nothing and posts
/// the same outcomes.
async fn publish(client: &Client, verdicts: &[PolicyVerdict], progress: &dyn Progress) -> Result<Published, Error> {
    let mut existing = Vec::new();
    for v in verdicts {
        existing.extend(client.scorecard_rules(Some(&v.policy)).await.map_err(refused_write)?);
    }
    let mut published = Published::default();
    let mut ids: BTreeMap<String, String> = BTreeMap::new();
    for (policy, step) in scorecard::rule_steps(verdicts, &existing) {
        let id = match step {
            RuleStep::Keep { id } => {
                published.kept.push(policy.clone());
                id
            }
            RuleStep::Update { id, fields } => {
                client.update_scorecard_rule(&id, &fields).await.map_err(refused_write)?;
                published.updated.push(policy.clone());
                id
            }
            RuleStep::Create(fields) => match client.create_scorecard_rule(&fields).await {
                Ok(rule) => {
                    published.created.push(policy.clone());
                    rule.id
                }
                // Created meanwhile (another run, or a create whose answer was lost): found
                // by name, and updated, never made twice.
                Err(e) if e.status() == Some(409) => {
                    let found = client.scorecard_rules(Some(&fields.name)).await.map_err(refused_write)?;
                    let Some(rule) = found
                        .into_iter()
                        .find(|r| r.fields.name == fields.name && r.fields.scorecard_name == fields.scorecard_name)
                    else {
                        return Err(refused_write(e));
                    };
                    client.update_scorecard_rule(&rule.id, &fields).await.map_err(refused_write)?;
                    published.updated.push(policy.clone());
                    rule.id
                }
                Err(e) => return Err(refused_write(e)),
            },
        };
        ids.insert(policy, id);
    }
    let outcomes = scorecard::outcomes(verdicts, &ids);
    published.outcomes = outcomes.len();
    let total = outcomes.len();
    let posted = |posted| progress.event(Event::Published { posted, total });
    published.changed = client.post_outcomes(&outcomes, &posted).await.map_err(refused_write)?;
    Ok(published)
}
