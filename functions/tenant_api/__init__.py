"""The tenant admin API (`/tenant/v1`): tenant admins edit their own drafts, publish and roll back."""
