// Example application code for `flagsync refs` (posthog-js/react hooks).
import { useFeatureFlagEnabled, useFeatureFlagVariantKey } from "posthog-js/react";

export function Checkout() {
  const redesigned = useFeatureFlagEnabled("new-checkout");
  const button = useFeatureFlagVariantKey("checkout-button");
  return <CheckoutPage redesigned={redesigned} buttonColour={button === "treatment" ? "green" : "grey"} />;
}
