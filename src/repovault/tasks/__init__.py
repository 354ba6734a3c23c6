"""Tasks: the database rows that say what runs where, and the machinery that runs them."""
