"""flasklings: learn production Flask 3.1 by building one service in ten graded lessons."""
