"""OpenRelik worker running spyglass: `app` is the Celery app, `tasks` its tasks."""
