// Agent keyboard shortcuts; see templates/tickets/agent/base.html.
