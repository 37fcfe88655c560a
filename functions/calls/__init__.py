"""Call records: the decision and outcomes of each call (`records`), their table (`repository`), what reports
read back (`read_model`), and the session report built from them (`report`, with `stats`)."""
