"""The app\x27s logic and presentation without Gradio: service, reports, text in two languages."""
