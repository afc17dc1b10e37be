"""The DevCycle route table: vendor paths and methods to handlers.

Paths and methods are the vendor's (reference §4). Features exist in v2 (create, list, get,
PATCH, status) and in the deprecated v1 (list, create, get, PATCH, status and the only DELETE).
Feature change requests are v2 only; `.../change-requests/latest` is listed before
`.../change-requests/{id}`, which would otherwise take `latest` for an id.

Beside the Management API, the same server answers what server SDKs call: the config CDN's
`/config/v2/server/{sdkKey}.json` and the events API's `/v1/events/batch`, both authenticated
by an SDK key instead of an OAuth token, so an application's SDK can point its
`config_cdn_uri` and `events_api_uri` at the emulator.
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from . import (
    audiences,
    change_requests,
    configurations,
    custom_properties,
    environments,
    feature_status,
    features,
    metrics,
    projects,
    staleness,
    variables,
    variations,
)
from .auth import TokenRegistry, token_endpoint
from .config_cdn import CONFIG_PATH, ConfigCdn
from .http import Handler, api_endpoint
from .sdk_events import EVENTS_PATH, events_endpoint
from .store import DevCycleStore

P = "/v1/projects/{project}"
F2 = "/v2/projects/{project}/features/{feature}"
CR = f"{F2}/change-requests"
TABLE: list[tuple[str, str, Handler]] = [
    ("GET", "/v1/projects", projects.list_projects),
    ("POST", "/v1/projects", projects.create_project),
    ("GET", "/v1/projects/{key}", projects.get_project),
    ("PATCH", "/v1/projects/{key}", projects.update_project),
    ("DELETE", "/v1/projects/{key}", projects.delete_project),
    ("PATCH", "/v1/projects/{key}/settings/protected", projects.update_protected_settings),
    ("GET", "/v1/projects/{key}/staleness", staleness.list_staleness),
    ("GET", f"{P}/environments", environments.list_environments),
    ("POST", f"{P}/environments", environments.create_environment),
    ("GET", f"{P}/environments/{{key}}", environments.get_environment),
    ("PATCH", f"{P}/environments/{{key}}", environments.update_environment),
    ("DELETE", f"{P}/environments/{{key}}", environments.delete_environment),
    ("POST", f"{P}/environments/{{environment}}/sdk-keys", environments.generate_sdk_keys),
    (
        "DELETE",
        f"{P}/environments/{{environment}}/sdk-keys/{{key}}",
        environments.invalidate_sdk_key,
    ),
    ("GET", "/v2/projects/{project}/features", features.list_features),
    ("POST", "/v2/projects/{project}/features", features.create_feature),
    ("GET", "/v2/projects/{project}/features/{feature}", features.get_feature),
    ("PATCH", "/v2/projects/{project}/features/{feature}", features.update_feature),
    ("PATCH", f"{F2}/status", feature_status.update_feature_status),
    ("GET", "/v2/projects/{project}/change-requests", change_requests.list_project_change_requests),
    ("GET", CR, change_requests.list_feature_change_requests),
    ("POST", CR, change_requests.create_change_request),
    ("GET", f"{CR}/latest", change_requests.latest_change_request),
    ("GET", f"{CR}/{{id}}", change_requests.get_change_request),
    ("PATCH", f"{CR}/{{id}}/submit", change_requests.submit_change_request),
    ("PATCH", f"{CR}/{{id}}/review", change_requests.review_change_request),
    ("PATCH", f"{CR}/{{id}}/apply", change_requests.apply_change_request),
    ("PATCH", f"{CR}/{{id}}/cancel", change_requests.cancel_change_request),
    ("GET", f"{P}/features", features.list_features),
    ("POST", f"{P}/features", features.create_feature),
    ("GET", f"{P}/features/{{feature}}", features.get_feature),
    ("PATCH", f"{P}/features/{{feature}}", features.update_feature),
    ("DELETE", f"{P}/features/{{feature}}", features.delete_feature),
    ("PATCH", f"{P}/features/{{feature}}/status", feature_status.update_feature_status),
    ("GET", f"{P}/features/{{feature}}/variations", variations.list_variations),
    ("POST", f"{P}/features/{{feature}}/variations", variations.create_variation),
    ("GET", f"{P}/features/{{feature}}/variations/{{key}}", variations.get_variation),
    ("PATCH", f"{P}/features/{{feature}}/variations/{{key}}", variations.update_variation),
    ("GET", f"{P}/features/{{feature}}/configurations", configurations.list_configurations),
    ("PATCH", f"{P}/features/{{feature}}/configurations", configurations.update_configuration),
    ("GET", f"{P}/variables", variables.list_variables),
    ("POST", f"{P}/variables", variables.create_variable),
    ("GET", f"{P}/variables/{{key}}", variables.get_variable),
    ("PATCH", f"{P}/variables/{{key}}", variables.update_variable),
    ("DELETE", f"{P}/variables/{{key}}", variables.delete_variable),
    ("PATCH", f"{P}/variables/{{key}}/status", variables.update_variable_status),
    ("GET", f"{P}/audiences", audiences.list_audiences),
    ("POST", f"{P}/audiences", audiences.create_audience),
    ("GET", f"{P}/audiences/{{key}}", audiences.get_audience),
    ("PATCH", f"{P}/audiences/{{key}}", audiences.update_audience),
    ("DELETE", f"{P}/audiences/{{key}}", audiences.delete_audience),
    ("GET", f"{P}/audiences/{{key}}/usage", audiences.audience_usage),
    ("GET", f"{P}/customProperties", custom_properties.list_custom_properties),
    ("POST", f"{P}/customProperties", custom_properties.create_custom_property),
    ("GET", f"{P}/customProperties/{{key}}", custom_properties.get_custom_property),
    ("PATCH", f"{P}/customProperties/{{key}}", custom_properties.update_custom_property),
    ("DELETE", f"{P}/customProperties/{{key}}", custom_properties.delete_custom_property),
    ("GET", f"{P}/metrics", metrics.list_metrics),
    ("POST", f"{P}/metrics", metrics.create_metric),
    ("GET", f"{P}/metrics/{{key}}", metrics.get_metric),
    ("PATCH", f"{P}/metrics/{{key}}", metrics.update_metric),
    ("DELETE", f"{P}/metrics/{{key}}", metrics.delete_metric),
    ("GET", f"{P}/metric-associations", metrics.list_associations),
    ("POST", f"{P}/metric-associations", metrics.create_association),
    ("DELETE", f"{P}/metric-associations", metrics.delete_association),
]


def routes(store: DevCycleStore, tokens: TokenRegistry) -> list[BaseRoute]:
    """Every DevCycle route, the OAuth token endpoint and the SDK-facing routes included."""
    table: list[BaseRoute] = [
        Route("/oauth/token", token_endpoint(tokens), methods=["POST"]),
        Route(CONFIG_PATH, ConfigCdn(store).endpoint, methods=["GET"]),
        Route(EVENTS_PATH, events_endpoint(store), methods=["POST"]),
    ]
    for method, path, handler in TABLE:
        table.append(Route(path, api_endpoint(store, tokens, handler), methods=[method]))
    return table
