from llmcli.cli.app import main

main()
