"""The competitions app: the domain (models), business actions (services), reads by audience
(reads/), pages (views/), and the worker's side (worker/)."""
