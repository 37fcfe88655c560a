"""Call records: the decision and outcomes of each call (`records`), their table (`repository`) and
what reports read back (`read_model`)."""
