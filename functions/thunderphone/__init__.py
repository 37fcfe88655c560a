"""ThunderPhone's side of the contract, in one place: what its webhooks send (`events`), what an answer
may hold (`agent_config`), its REST objects (`objects`), the API client (`client`), the resources
Switchboard uses (`resources`), the API-key secret (`credentials`) and webhook signatures (`signing`).

Facts come from shared/thunderphone-api.md; where a fact is UNCONFIRMED the models are tolerant.
"""
