"""Billing: what each tenant used in a month, the operator's plan that caps it, and the statements to invoice from."""
