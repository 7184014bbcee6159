"""HTTP: thin routes that read the request, call one use case of `app` and shape the answer."""
