"""The tenant console: a small static web page (HTML, ES modules, CSS; no build step) that tenant admins use to edit,
preview, publish and watch their voice agents through the tenant API alone (docs/console.md)."""
