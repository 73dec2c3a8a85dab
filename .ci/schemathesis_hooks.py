# schemathesis hooks for .ci/run: tus PATCH (and creation-with-upload) bodies are raw bytes
# under tus's own media type, which schemathesis cannot build by itself.
import schemathesis

schemathesis.serializer.alias("application/offset+octet-stream", "application/octet-stream")
