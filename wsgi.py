from convention import create_app

app = create_app()
