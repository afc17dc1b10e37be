# A conftest / OPA policy over flagsync's plan JSON (schemas/plan-v1.schema.json).
#
#   flagsync plan --out plan.json
#   conftest test plan.json --policy examples/policy/
#
# `deny` fails the check, `warn` only reports. The same rules can be written in the
# workspace's own `policy:` section (CEL), which `flagsync apply` enforces.
package main

import rego.v1

# Deleting a flag removes it from every environment: do it in a pull request of its own.
deny contains msg if {
	some change in input.changes
	change.action == "delete"
	change.environment == null
	msg := sprintf("%s '%s' would be deleted: delete flags in a pull request of their own", [change.resource, change.key])
}

# Production changes go to reviewers as change requests, never straight to the flag.
deny contains msg if {
	some change in input.changes
	change.environment == "production"
	change.via == "direct"
	msg := sprintf("'%s' [production] would be written directly: production needs a change request", [change.key])
}

# Only plans in the format these rules were written for.
deny contains msg if {
	input.format_version != 1
	msg := sprintf("plan format %v: these rules read format 1", [input.format_version])
}

# Large pull requests are hard to review.
warn contains msg if {
	count(input.steps) > 20
	msg := sprintf("%d API steps in one plan: consider smaller pull requests", [count(input.steps)])
}
