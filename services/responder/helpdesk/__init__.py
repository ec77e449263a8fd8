"""Two-way helpdesk sync (Zendesk): tickets mirrored through a queue, agent replies and status coming back."""
