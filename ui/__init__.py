"""Browser chat UI (Gradio) and JSON API: ``ui.app.serve(settings, host, port)`` runs both."""
