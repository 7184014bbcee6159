"""The console's web app: server-rendered pages over the read models, commands sent to the
owning services with the signed-in user's token."""
