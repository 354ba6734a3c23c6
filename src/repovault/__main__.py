from repovault.cli import app

app()
