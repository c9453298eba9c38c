"""The shared workspace: who is acting (roles and permissions), and the queued work of a team."""
