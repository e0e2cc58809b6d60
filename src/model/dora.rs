//! Deployments and failures as Datadog records them (DORA metrics): what `coverage` joins with
//! the gate evaluations, and what `report` weighs each gate's verdicts against.

/// One deployment of a service to an env.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Deployment {
    pub(crate) id: String,
    pub(crate) service: String,
    /// Empty when none was recorded.
    pub(crate) env: String,
    /// Empty when none was recorded.
    pub(crate) version: String,
    pub(crate) started_ms: i64,
}

/// One failure (an incident a deployment caused), of one or several services.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Failure {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) services: Vec<String>,
    /// Empty when none was recorded.
    pub(crate) env: String,
    /// Empty when none was recorded: then it follows the evaluation that started last before it.
    pub(crate) version: String,
    pub(crate) started_ms: i64,
}
