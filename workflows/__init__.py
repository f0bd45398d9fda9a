"""The case domain: models, engine, services, deadlines, audit and access rules."""
