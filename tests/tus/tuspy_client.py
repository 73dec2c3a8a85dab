"""tuspy, the tus project's Python client, driven by tests/tus.rs against a live mycloud.

  tuspy_client.py start  ENDPOINT TOKEN FILE CHUNK STOP_AT   creates the upload, sends chunks
                                                             until STOP_AT bytes, prints its URL
  tuspy_client.py resume URL      TOKEN FILE CHUNK           asks the server where the upload
                                                             stands (HEAD) and sends the rest

Every chunk carries Upload-Checksum (tuspy's sha1). Exits non-zero on any error, with the
client's message on stderr: the test reads that as a failure, never as a pass.
"""

import os
import sys

from tusclient import client


def main():
    mode, where, token, path, chunk = sys.argv[1:6]
    tus = client.TusClient(where if mode == "start" else where.rsplit("/api/uploads/", 1)[0]
                           + "/api/uploads", headers={"Authorization": f"Token {token}"})
    common = dict(file_path=path, chunk_size=int(chunk), upload_checksum=True)
    if mode == "start":
        uploader = tus.uploader(metadata={"filename": os.path.basename(path),
                                          "comment": "sent by tuspy"}, **common)
        uploader.upload(stop_at=int(sys.argv[6]))
    else:
        uploader = tus.uploader(url=where, **common)
        uploader.upload()
    print(uploader.url, uploader.offset, flush=True)


if __name__ == "__main__":
    main()
