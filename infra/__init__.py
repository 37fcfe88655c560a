"""CDK app for Switchboard: `create_app` in app_factory builds it for `cdk` and for the tests."""
