from carexport.cli import main

main()
