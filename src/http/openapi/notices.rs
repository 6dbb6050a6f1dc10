//! The OpenAPI description of the post-notice routes: lapsed penalty
//! notices and the decision each needs.

use serde_json::{Map, Value, json};

use super::problem_response;

/// Adds the lapsed list and the decision route to `paths`.
pub(super) fn add(paths: &mut Map<String, Value>) {
    paths.insert("/v1/notices/lapsed".into(), json!({"get": {
        "summary": "Penalty notices lapsed unpaid, oldest first",
        "description": "Every issued penalty notice whose last day to pay has passed with no payment, withdrawal or prosecution recorded, oldest first, with the last day an information may be laid (six months from the last day of the offence period, MCA 1980 s127; the start point is to confirm locally) and the days left. Each needs a decision: prosecute or withdraw. A school's key sees its schools' notices only.",
        "operationId": "listLapsedNotices",
        "parameters": [{"name": "as_of", "in": "query", "required": false, "description": "The day to list them on (default today).", "schema": {"type": "string", "format": "date"}}],
        "responses": {
            "200": {"description": "The lapsed notices.", "content": {"application/json": {"schema": {"type": "object", "required": ["as_of", "notices"], "properties": {"as_of": {"type": "string", "format": "date"}, "limit_from": {"type": "string"}, "notices": {"type": "array", "items": {"$ref": "#/components/schemas/LapsedNotice"}}}}}}},
            "400": problem_response("`as_of` is not a date.")
        }
    }}));
    paths.insert("/v1/documents/{id}/decision".into(), json!({"post": {
        "summary": "Decide to prosecute or withdraw a lapsed notice",
        "description": "Records the authority's decision on a lapsed penalty notice as an event on its timeline: the decision, the reasons, who decided and when. Refused before the last day to pay has passed (`decision.not-lapsed`) and when a decision already stands (`decision.already-decided`; correct it first).",
        "operationId": "decideLapsedNotice",
        "parameters": [{"name": "id", "in": "path", "required": true, "description": "The notice's number.", "schema": {"type": "string"}}],
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["decision", "reasons", "decided_by", "on"], "additionalProperties": false, "properties": {
            "decision": {"type": "string", "enum": ["prosecute", "withdraw"]},
            "reasons": {"type": "string", "minLength": 1, "maxLength": 1000},
            "decided_by": {"type": "string", "minLength": 1, "maxLength": 200},
            "on": {"type": "string", "format": "date"}
        }}}}},
        "responses": {
            "201": {"description": "Recorded; the timeline.", "content": {"application/json": {"schema": {"type": "object", "required": ["timeline"]}}}},
            "400": problem_response("The body is not JSON."),
            "404": problem_response("No issued document has this reference."),
            "413": problem_response("The body is larger than the limit."),
            "415": problem_response("The body is not sent as JSON."),
            "422": problem_response("Not a decision, or one the law does not allow (`errors` names the field and the rule: `event.kind`, `event.date`, `event.sequence`, `decision.not-lapsed`, `decision.already-decided`)."),
            "503": problem_response("The register cannot be written now."),
            "507": problem_response("The register's disk is full: nothing was recorded.")
        }
    }}));
}
