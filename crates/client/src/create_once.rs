//! Creates that never land twice. Creates are not idempotent: whenever no decoded answer says
//! what happened (a lost answer, a cut body, a 5xx), what was being created is looked for
//! before trying again or giving up; a rule is looked for before its first create too, so two
//! applies at once seldom both create it, and one created next to a twin is taken back.

use super::error::ApiError;
use super::transport::{backoff, Client};
use gatesctl_core::model::GateQuery;
use gatesctl_core::model::{GateKey, RemoteRule, Rule};

/// Attempts at a create whose answer was lost or refused for a passing reason.
const CREATE_ATTEMPTS: u32 = 5;

fn already_exists(e: &ApiError) -> bool {
    e.status() == Some(400) && e.detail().contains("already exists")
}

/// How a rule came to be on its gate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Created {
    /// This run created it.
    New(String),
    /// It was there already (another run's, or an earlier attempt's): adopted, made as asked.
    Adopted(String),
}

impl Client {
    /// Creates a gate, never twice: the gate is looked up by its key (the list filtered to it)
    /// whenever no answer says what happened, and a retry refused because the gate exists adopts
    /// it (its `dry_run` set as asked).
    pub async fn create_gate_once(&self, key: &GateKey, dry_run: bool) -> Result<String, ApiError> {
        let landed = || async {
            let found = self.list_gates(&GateQuery::key(key)).await?.into_iter().find(|g| &g.key == key);
            if let Some(gate) = &found {
                if gate.dry_run != dry_run {
                    self.update_gate(&gate.id, dry_run).await?;
                }
            }
            Ok::<_, ApiError>(found.map(|g| g.id))
        };
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.create_gate(key, dry_run).await {
                Ok(gate) => return Ok(gate.id),
                Err(e) if e.outcome_unknown() => {
                    tokio::time::sleep(backoff(attempt)).await;
                    if let Some(id) = landed().await? {
                        return Ok(id);
                    }
                    if attempt >= CREATE_ATTEMPTS {
                        return Err(e);
                    }
                }
                // Only a retry may find its own earlier attempt; a first create refused is a real conflict.
                Err(e) if already_exists(&e) && attempt > 1 => return landed().await?.ok_or(e),
                Err(e) => return Err(e),
            }
        }
    }

    /// A rule of the gate named and typed as `rule` (other than those in `not`, such as the rule
    /// a replacement replaces), made as asked when it differs.
    async fn adopt(&self, gate_id: &str, rule: &Rule, not: &[&str]) -> Result<Option<String>, ApiError> {
        let existing = self.list_rules(gate_id).await?;
        let found = existing.into_iter().find(|r| {
            r.rule.name == rule.name && r.rule.rule_type() == rule.rule_type() && !not.contains(&r.id.as_str())
        });
        let Some(found) = found else { return Ok(None) };
        if found.rule != *rule {
            self.update_rule(gate_id, &found.id, rule).await?;
        }
        Ok(Some(found.id))
    }

    /// Creates a rule, never twice: the gate's rules are read right before the create (another
    /// run may have made it a moment ago) and whenever no decoded answer says what happened; a
    /// rule of that name and type found there is adopted instead.
    pub async fn create_rule_once(&self, gate_id: &str, rule: &Rule, not: &[&str]) -> Result<Created, ApiError> {
        if let Some(id) = self.adopt(gate_id, rule, not).await? {
            return Ok(Created::Adopted(id));
        }
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.create_rule(gate_id, rule).await {
                Ok(created) => return Ok(Created::New(created.id)),
                Err(e) if e.outcome_unknown() => {
                    tokio::time::sleep(backoff(attempt)).await;
                    if let Some(id) = self.adopt(gate_id, rule, not).await? {
                        return Ok(Created::New(id));
                    }
                    if attempt >= CREATE_ATTEMPTS {
                        return Err(e);
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// After creating rule `ours`: when another rule of the same name has appeared beside it
    /// (another apply at the same moment), one of the twins is taken back. Every run sees the
    /// same twins and keeps the same one (the smallest id), so exactly one stays; returns the
    /// id of the rule taken back when it was ours.
    pub async fn settle_twins(
        &self,
        gate_id: &str,
        rule: &Rule,
        ours: &str,
        not: &[&str],
    ) -> Result<Option<String>, ApiError> {
        let rules: Vec<RemoteRule> = self.list_rules(gate_id).await?;
        let twins: Vec<&RemoteRule> = rules
            .iter()
            .filter(|r| {
                r.rule.name == rule.name && r.rule.rule_type() == rule.rule_type() && !not.contains(&r.id.as_str())
            })
            .collect();
        if twins.len() < 2 {
            return Ok(None);
        }
        let keeper = twins.iter().map(|r| r.id.as_str()).min().unwrap_or(ours);
        if keeper == ours {
            return Ok(None);
        }
        match self.delete_rule(gate_id, ours).await {
            Ok(()) => Ok(Some(ours.to_string())),
            Err(e) if e.status() == Some(404) => Ok(None),
            Err(e) => Err(e),
        }
    }
}
