"""Example server code for `flagsync refs` (DevCycle's Python server SDK)."""

from devcycle_python_sdk import DevCycleLocalClient, DevCycleUser


def billing_options(client: DevCycleLocalClient, user: DevCycleUser) -> dict[str, bool]:
    annual = client.variable_value(user, "annual-billing-enabled", False)
    # Not declared in any manifest: `flagsync refs` lists it under "declared in no manifest".
    invoices = client.variable_value(user, "pdf-invoices", False)
    return {"annual": annual, "pdf_invoices": invoices}
