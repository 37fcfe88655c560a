"""The outcome recorder: drains the outcome queue the webhook fills and stores each event in the calls table."""
