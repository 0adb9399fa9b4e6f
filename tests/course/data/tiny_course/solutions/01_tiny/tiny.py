from flask import Flask

app = Flask(__name__)


@app.get("/")
def index():
    return "hi"


@app.get("/bye")
def bye():
    print("bye was called")
    return "bye"
