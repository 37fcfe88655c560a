"""One Powertools router per resource; the tenant always comes from the caller's token (principal.py)."""
