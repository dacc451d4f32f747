"""Help-center views: customer pages (pages, search, media) and the agents' editor (articles,
structure, notices)."""
