"""Client feedback: reading the survey tools' exports, finding the client and the answers."""
