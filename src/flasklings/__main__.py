from flasklings.cli import main

main()
