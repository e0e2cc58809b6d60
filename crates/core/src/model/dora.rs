//! Deployments and failures as Datadog records them (DORA metrics): what `coverage` joins with
//! the gate evaluations, and what `report` weighs each gate's verdicts against.

/// One deployment of a service to an env.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deployment {
    pub id: String,
    pub service: String,
    /// Empty when none was recorded.
    pub env: String,
    /// Empty when none was recorded.
    pub version: String,
    pub started_ms: i64,
    /// When it finished, when that was recorded.
    pub finished_ms: Option<i64>,
}

/// One failure (an incident a deployment caused), of one or several services.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub id: String,
    pub name: String,
    pub services: Vec<String>,
    /// Empty when none was recorded.
    pub env: String,
    /// Empty when none was recorded: then it follows the evaluation that started last before it.
    pub version: String,
    pub started_ms: i64,
}
