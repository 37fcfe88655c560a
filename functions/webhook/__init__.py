"""The webhook router: answers ThunderPhone's incoming events per tenant and queues outcome events."""
