"""`cdk` entry point (cdk.json "app"): builds the app from CLI context and synthesizes it."""

from infra.app_factory import create_app

create_app().synth()
