// Example application code for `flagsync refs`: DevCycle's SDKs read variables by key, and
// flagsync maps each variable to the feature that declares it.
import { useVariableValue } from "@devcycle/react-client-sdk";

export function Checkout() {
  const version = useVariableValue("checkout-version", "v1"); // feature new-checkout
  const discount = useVariableValue("pricing-discount", 0); // feature pricing-page-test
  const banner = useVariableValue("maintenance-message", ""); // feature maintenance-banner
  return version === "v2" ? <NewCheckout discount={discount} banner={banner} /> : <OldCheckout />;
}
