"""Business actions: each public function is one thing a user or a worker does."""
