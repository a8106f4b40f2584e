import UsherCLI

Usher.runCommandLine()
