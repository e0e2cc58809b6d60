"""The sandbox as Datadog's official Python client (datadog-api-client) reads it.

Run by tests/it/sandbox.rs (an ignored test that .ci/run runs after installing the client from
PyPI): every call gatesctl makes, and those the sandbox serves besides, through the client's own
models; an answer the client cannot type (it falls back to an "unparsed" object) fails.

Usage: python3 official_client.py SANDBOX_URL
"""

import datetime
import sys
import uuid
import warnings

from datadog_api_client import ApiClient, Configuration
from datadog_api_client.exceptions import ApiException
from datadog_api_client.model_utils import OpenApiModel, UnparsedObject
from datadog_api_client.v2.api.deployment_gates_api import DeploymentGatesApi
from datadog_api_client.v2.api.dora_metrics_api import DORAMetricsApi
from datadog_api_client.v2.model.create_deployment_gate_params import CreateDeploymentGateParams
from datadog_api_client.v2.model.create_deployment_gate_params_data import CreateDeploymentGateParamsData
from datadog_api_client.v2.model.create_deployment_gate_params_data_attributes import (
    CreateDeploymentGateParamsDataAttributes,
)
from datadog_api_client.v2.model.deployment_gate_data_type import DeploymentGateDataType
from datadog_api_client.v2.model.deployment_gates_evaluation_request import DeploymentGatesEvaluationRequest
from datadog_api_client.v2.model.deployment_gates_evaluation_request_attributes import (
    DeploymentGatesEvaluationRequestAttributes,
)
from datadog_api_client.v2.model.deployment_gates_evaluation_request_data import DeploymentGatesEvaluationRequestData
from datadog_api_client.v2.model.deployment_gates_evaluation_request_data_type import (
    DeploymentGatesEvaluationRequestDataType,
)
from datadog_api_client.v2.model.dora_deployment_request import DORADeploymentRequest
from datadog_api_client.v2.model.dora_deployment_request_attributes import DORADeploymentRequestAttributes
from datadog_api_client.v2.model.dora_deployment_request_data import DORADeploymentRequestData
from datadog_api_client.v2.model.dora_failure_request import DORAFailureRequest
from datadog_api_client.v2.model.dora_failure_request_attributes import DORAFailureRequestAttributes
from datadog_api_client.v2.model.dora_failure_request_data import DORAFailureRequestData
from datadog_api_client.v2.model.dora_list_deployments_request import DORAListDeploymentsRequest
from datadog_api_client.v2.model.dora_list_deployments_request_attributes import (
    DORAListDeploymentsRequestAttributes,
)
from datadog_api_client.v2.model.dora_list_deployments_request_data import DORAListDeploymentsRequestData
from datadog_api_client.v2.model.dora_list_failures_request import DORAListFailuresRequest
from datadog_api_client.v2.model.dora_list_failures_request_attributes import DORAListFailuresRequestAttributes
from datadog_api_client.v2.model.dora_list_failures_request_data import DORAListFailuresRequestData

# The deployment gates endpoints are in preview: the client warns at every call.
warnings.filterwarnings("ignore", message="Using unstable operation")

PROBLEMS = []
CHECKED = []


def unparsed(value, path):
    """The paths under `value` the client could not type."""
    if isinstance(value, UnparsedObject):
        return [path]
    out = []
    if isinstance(value, OpenApiModel):
        for key, inner in value._data_store.items():
            out += unparsed(inner, f"{path}.{key}")
    elif isinstance(value, (list, tuple)):
        for i, inner in enumerate(value):
            out += unparsed(inner, f"{path}[{i}]")
    elif isinstance(value, dict):
        for key, inner in value.items():
            out += unparsed(inner, f"{path}.{key}")
    return out


def check(name, answer):
    """Records what the client could not type in `answer`, and returns it."""
    CHECKED.append(name)
    for path in unparsed(answer, name):
        PROBLEMS.append(f"{path}: not typed")
    return answer


def expect(name, condition, detail):
    if not condition:
        PROBLEMS.append(f"{name}: {detail}")


def main(url):
    config = Configuration(host=url)
    config.api_key["apiKeyAuth"] = "sandbox-api-key"
    config.api_key["appKeyAuth"] = "sandbox-app-key"
    # The deployment gates endpoints are in preview: the client asks for them to be enabled.
    for operation in list(config.unstable_operations.values):
        config.unstable_operations.values[operation] = True
    now = datetime.datetime.now(datetime.timezone.utc)
    with ApiClient(config) as client:
        gates_api = DeploymentGatesApi(client)
        dora = DORAMetricsApi(client)

        # Gates and rules, as plan, apply, drift and import read them.
        listed = check("list_deployment_gates", gates_api.list_deployment_gates(page_size=1000))
        expect("list_deployment_gates", len(listed.data) >= 10, f"the example organisation: {len(listed.data)} gates")
        for gate in listed.data[:4]:
            check("get_deployment_gate", gates_api.get_deployment_gate(id=str(gate.id)))
            rules = check("get_deployment_gate_rules", gates_api.get_deployment_gate_rules(gate_id=str(gate.id)))
            for rule in rules.data.attributes.rules[:2]:
                check("get_deployment_rule", gates_api.get_deployment_rule(gate_id=str(gate.id), id=str(rule.id)))
        created = check(
            "create_deployment_gate",
            gates_api.create_deployment_gate(
                body=CreateDeploymentGateParams(
                    data=CreateDeploymentGateParamsData(
                        attributes=CreateDeploymentGateParamsDataAttributes(service="pyclient", env="prod"),
                        type=DeploymentGateDataType.DEPLOYMENT_GATE,
                    )
                )
            ),
        )
        gates_api.delete_deployment_gate(id=str(created.data.id))

        # Evaluations: a gate's and an inline one, polled to their end.
        trigger = gates_api.trigger_deployment_gates_evaluation(
            body=DeploymentGatesEvaluationRequest(
                data=DeploymentGatesEvaluationRequestData(
                    attributes=DeploymentGatesEvaluationRequestAttributes(
                        service="checkout", env="production", version="v1.2.3"
                    ),
                    type=DeploymentGatesEvaluationRequestDataType.DEPLOYMENT_GATES_EVALUATION_REQUEST,
                )
            )
        )
        check("trigger_deployment_gates_evaluation", trigger)
        evaluation = uuid.UUID(str(trigger.data.attributes.evaluation_id))
        status = None
        for _ in range(10):
            try:
                result = check(
                    "get_deployment_gates_evaluation_result",
                    gates_api.get_deployment_gates_evaluation_result(id=evaluation),
                )
            except ApiException as e:
                expect("get_deployment_gates_evaluation_result", e.status == 404, f"answered {e.status}")
                continue
            status = str(result.data.attributes.gate_status)
            if status != "in_progress":
                break
        expect("get_deployment_gates_evaluation_result", status in ("pass", "fail"), f"ended {status}")

        # The history, as report reads it.
        window = dict(filter_from=now - datetime.timedelta(days=14), filter_to=now + datetime.timedelta(minutes=1))
        history = check(
            "list_deployment_gate_evaluations",
            gates_api.list_deployment_gate_evaluations(page_size=100, **window),
        )
        # Those of the example history (the one just triggered is still being polled).
        settled = [e for e in history.data if e.attributes.started_at < now - datetime.timedelta(minutes=2)]
        expect("the example history", len(settled) > 40, f"{len(settled)} evaluations")
        for item in settled[:5]:
            result = check(
                "get_deployment_gates_evaluation_result (history)",
                gates_api.get_deployment_gates_evaluation_result(id=uuid.UUID(str(item.attributes.evaluation_id))),
            )
            expect(
                "a history evaluation's result",
                str(result.data.attributes.gate_status) == str(item.attributes.status),
                f"{result.data.attributes.gate_status} where the history says {item.attributes.status}",
            )
        check(
            "list_deployment_rule_evaluations",
            gates_api.list_deployment_rule_evaluations(page_size=100, **window),
        )

        # DORA: the lists coverage and report read, and the calls CD tools send (API key alone).
        deployments = check(
            "list_dora_deployments",
            dora.list_dora_deployments(
                body=DORAListDeploymentsRequest(
                    data=DORAListDeploymentsRequestData(
                        attributes=DORAListDeploymentsRequestAttributes(
                            _from=now - datetime.timedelta(days=14), to=now, limit=1000, sort="started_at"
                        )
                    )
                )
            ),
        )
        expect("list_dora_deployments", len(deployments.data) > 50, f"{len(deployments.data)} deployments")
        for item in deployments.data[:3]:
            expect(
                "a listed deployment's started_at",
                isinstance(item.attributes.started_at, datetime.datetime),
                repr(item.attributes.started_at),
            )
            check("get_dora_deployment", dora.get_dora_deployment(deployment_id=str(item.id)))
        failures = check(
            "list_dora_failures",
            dora.list_dora_failures(
                body=DORAListFailuresRequest(
                    data=DORAListFailuresRequestData(
                        attributes=DORAListFailuresRequestAttributes(_from=now - datetime.timedelta(days=14), to=now)
                    )
                )
            ),
        )
        for item in failures.data[:3]:
            check("get_dora_failure", dora.get_dora_failure(failure_id=str(item.id)))
        started = int(now.timestamp()) * 1_000_000_000
        recorded = dora.create_dora_deployment(
            body=DORADeploymentRequest(
                data=DORADeploymentRequestData(
                    attributes=DORADeploymentRequestAttributes(
                        service="pyclient", env="prod", started_at=started, finished_at=started + 60_000_000_000
                    )
                )
            )
        )
        check("create_dora_deployment", recorded)
        check(
            "create_dora_failure",
            dora.create_dora_failure(
                body=DORAFailureRequest(
                    data=DORAFailureRequestData(
                        attributes=DORAFailureRequestAttributes(
                            started_at=started, name="pyclient", services=["pyclient"], env="prod"
                        )
                    )
                )
            ),
        )

        extra(client, now)

    for problem in PROBLEMS:
        print(f"problem: {problem}")
    print(f"{len(CHECKED)} answers read through the official client, {len(PROBLEMS)} problems")
    return 1 if PROBLEMS else 0


def extra(client, now):
    """The Software Catalog and Scorecards, as audit reads and publishes them."""
    from datadog_api_client.v2.api.scorecards_api import ScorecardsApi
    from datadog_api_client.v2.api.software_catalog_api import SoftwareCatalogApi
    from datadog_api_client.v2.model.create_rule_request import CreateRuleRequest
    from datadog_api_client.v2.model.create_rule_request_data import CreateRuleRequestData
    from datadog_api_client.v2.model.outcomes_batch_attributes import OutcomesBatchAttributes
    from datadog_api_client.v2.model.outcomes_batch_request import OutcomesBatchRequest
    from datadog_api_client.v2.model.outcomes_batch_request_data import OutcomesBatchRequestData
    from datadog_api_client.v2.model.outcomes_batch_request_item import OutcomesBatchRequestItem
    from datadog_api_client.v2.model.outcomes_batch_type import OutcomesBatchType
    from datadog_api_client.v2.model.rule_attributes_request import RuleAttributesRequest
    from datadog_api_client.v2.model.rule_type import RuleType
    from datadog_api_client.v2.model.state import State
    from datadog_api_client.v2.model.update_rule_request import UpdateRuleRequest
    from datadog_api_client.v2.model.update_rule_request_data import UpdateRuleRequestData

    catalog = SoftwareCatalogApi(client)
    first = check("list_catalog_entity", catalog.list_catalog_entity(filter_kind="service", page_limit=4))
    expect("list_catalog_entity", len(first.data) == 4, f"{len(first.data)} entities on a page of 4")
    expect("list_catalog_entity links.next", bool(first.links.next), "no next page named")
    rest = check("list_catalog_entity (offset)", catalog.list_catalog_entity(filter_kind="service", page_offset=4))
    names = [e.attributes.name for e in first.data + rest.data]
    expect("the example catalog", len(set(names)) >= 9 and "ledger" in names, f"{names}")
    expect("a service's tags", any("tier:1" in (e.attributes.tags or []) for e in first.data), "no tier tag")

    scorecards = ScorecardsApi(client)
    attributes = RuleAttributesRequest(
        name="pyclient rule", scorecard_name="pyclient", description="checked by the official client", enabled=True
    )
    created = check(
        "create_scorecard_rule",
        scorecards.create_scorecard_rule(
            body=CreateRuleRequest(data=CreateRuleRequestData(attributes=attributes, type=RuleType.RULE))
        ),
    )
    rule_id = str(created.data.id)
    try:
        scorecards.create_scorecard_rule(
            body=CreateRuleRequest(data=CreateRuleRequestData(attributes=attributes, type=RuleType.RULE))
        )
        expect("create_scorecard_rule (again)", False, "a second rule of one name in one scorecard was accepted")
    except ApiException as e:
        expect("create_scorecard_rule (again)", e.status == 409, f"answered {e.status}")
    attributes.description = "updated by the official client"
    check(
        "update_scorecard_rule",
        scorecards.update_scorecard_rule(
            rule_id=rule_id, body=UpdateRuleRequest(data=UpdateRuleRequestData(attributes=attributes, type=RuleType.RULE))
        ),
    )
    listed = check("list_scorecard_rules", scorecards.list_scorecard_rules(filter_rule_name="pyclient rule"))
    expect("list_scorecard_rules", [str(r.id) for r in listed.data] == [rule_id], f"{len(listed.data)} rules")
    for state in (State.FAIL, State.PASS):
        batch = check(
            "create_scorecard_outcomes_batch",
            scorecards.create_scorecard_outcomes_batch(
                body=OutcomesBatchRequest(
                    data=OutcomesBatchRequestData(
                        attributes=OutcomesBatchAttributes(
                            results=[
                                OutcomesBatchRequestItem(
                                    rule_id=rule_id, service_name="checkout", state=state, remarks="<b>by</b> pyclient"
                                )
                            ]
                        ),
                        type=OutcomesBatchType.BATCHED_OUTCOME,
                    )
                )
            ),
        )
        expect("create_scorecard_outcomes_batch", batch.meta.total_received == 1, f"{batch.meta}")
    outcomes = check("list_scorecard_outcomes", scorecards.list_scorecard_outcomes(filter_rule_name="pyclient rule"))
    states = [str(o.attributes.state) for o in outcomes.data]
    expect("list_scorecard_outcomes", states == ["pass"], f"a later outcome replaces the earlier: {states}")
    scorecards.delete_scorecard_rule(rule_id=rule_id)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
