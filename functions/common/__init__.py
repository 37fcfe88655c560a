"""Code shared by every Switchboard function: data model, table layout, AWS clients, observability."""
