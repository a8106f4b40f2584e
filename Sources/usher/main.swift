import UsherBPF
print(EmbeddedObject.names)
