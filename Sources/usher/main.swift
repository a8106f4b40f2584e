import UsherCLI

await Usher.runCommandLine()
