from flask import Flask

app = Flask(__name__)


@app.get("/")
def index():
    return "TODO (Task 1)"


# TODO (Task 2): a /bye route
