"""How code names a PostHog flag: the SDKs' flag calls, in the languages PostHog ships SDKs
for (posthog-js and posthog-react, posthog-node, posthog-python, posthog-go, posthog-java,
posthog-android, posthog-ios, posthog-ruby, posthog-dotnet, posthog-php).

The key is the first argument everywhere except posthog-java's server SDK, where it follows
the distinct id (`isFeatureEnabled(distinctId, key)`), and posthog-go, which passes a
`FeatureFlagPayload{Key: ...}` struct.
"""

from __future__ import annotations

from reconciler.code_patterns import (
    CSHARP,
    GO,
    JAVA,
    JS,
    KEY_LITERAL,
    KOTLIN,
    PHP,
    PYTHON,
    RUBY,
    SWIFT,
    Pattern,
    calls,
    compile_pattern,
)

FLAG_CALLS = [
    # posthog-js, posthog-node, posthog-react-native, posthog-android/ios, posthog-php
    "isFeatureEnabled",
    "getFeatureFlag",
    "getFeatureFlagPayload",
    "getFeatureFlagResult",
    # posthog-js/react hooks
    "useFeatureFlagEnabled",
    "useFeatureFlagVariantKey",
    "useFeatureFlagPayload",
    "useFeatureFlagResult",
    "useActiveFeatureFlag",
    # posthog-python, posthog-ruby
    "feature_enabled",
    "is_feature_enabled",
    "get_feature_flag",
    "get_feature_flag_payload",
    "get_feature_flag_result",
    # posthog-dotnet
    "IsFeatureEnabled",
    "IsFeatureEnabledAsync",
    "GetFeatureFlag",
    "GetFeatureFlagAsync",
    "GetFeatureFlagPayloadAsync",
]
JAVA_CALLS = [
    "isFeatureEnabled",
    "getFeatureFlag",
    "getFeatureFlagPayload",
    "getFeatureFlagVariant",
]
FIRST_ARGUMENT = JS + PYTHON + KOTLIN + RUBY + SWIFT + CSHARP + PHP
_JAVA_FIRST = rb"""(?:"[^"\n]*"|[A-Za-z_][\w.]*(?:\(\))?)\s*,\s*"""


def patterns() -> list[Pattern]:
    return [
        compile_pattern(
            "posthog sdk call",
            calls(FLAG_CALLS, rb"(?:key:\s*|flag:\s*)?"),
            FIRST_ARGUMENT,
            b"eature",
        ),
        compile_pattern(
            "posthog-react <PostHogFeature flag=...>",
            rb"<PostHogFeature\b[^>]*?\bflag=\{?\s*" + KEY_LITERAL,
            JS,
            b"PostHogFeature",
        ),
        compile_pattern(
            "posthog-go FeatureFlagPayload{Key: ...}",
            rb"FeatureFlagPayload(?:NoKey)?\s*\{[^}]*?\bKey:\s*" + KEY_LITERAL,
            GO,
            b"FeatureFlagPayload",
        ),
        compile_pattern(
            "posthog-java (distinctId, key)", calls(JAVA_CALLS, _JAVA_FIRST), JAVA, b"eature"
        ),
        compile_pattern(
            "posthog-java (key)",
            calls(JAVA_CALLS) + rb"""(?!\s*,\s*")""",
            JAVA,
            b"eature",
        ),
    ]
