"""How code names a DevCycle flag: SDKs read *variables* by key (`variable(user, key,
default)`, `variableValue`, React's `useVariableValue(key, default)`, Swift's
`variable(key:defaultValue:)`), never features; the report maps a variable key to the feature
that declares it.

Server SDKs take the user first (`client.variable(user, "key", false)` in Node, Python, Go,
Java, Ruby, C#, PHP), client SDKs do not (`client.variable("key", false)` in JS, Android).
"""

from __future__ import annotations

from reconciler.code_patterns import ALL_LANGUAGES, Pattern, calls, compile_pattern

VARIABLE_CALLS = [
    "variable",
    "variableValue",
    "variable_value",
    "Variable",
    "VariableValue",
    "VariableAsync",
    "VariableValueAsync",
    "useVariable",
    "useVariableValue",
]
_USER_FIRST = rb"(?:[A-Za-z_$@][\w.$@>-]*\s*,\s*)?(?:key:\s*)?"


def patterns() -> list[Pattern]:
    return [
        compile_pattern(
            "devcycle sdk variable call",
            calls(VARIABLE_CALLS, _USER_FIRST),
            ALL_LANGUAGES,
            b"ariable",
        )
    ]
