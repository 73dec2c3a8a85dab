// tus-js-client, the tus project's JavaScript client, run in Node by tests/tus.rs against a
// live mycloud.
//
//   node tus_js_client.cjs start  ENDPOINT TOKEN FILE CHUNK STOP_AT
//        creates the upload and aborts it once STOP_AT bytes are acknowledged; prints its URL
//   node tus_js_client.cjs resume URL      TOKEN FILE CHUNK
//        resumes it (the client asks the server where it stands) and prints the URL when done
//
// The module is found through TUS_JS_CLIENT (the installed package's folder). Exits non-zero
// on any error, with the client's message on stderr.

const fs = require('fs');
const path = require('path');
const tus = require(process.env.TUS_JS_CLIENT);

const [mode, where, token, file, chunk, stopAt] = process.argv.slice(2);
const bytes = fs.readFileSync(file);
const options = {
  headers: { Authorization: `Token ${token}` },
  chunkSize: Number(chunk),
  retryDelays: [],
  metadata: { filename: path.basename(file), comment: 'sent by tus-js-client' },
  onError(error) {
    console.error(`tus-js-client: ${error}`);
    process.exit(1);
  },
};
if (mode === 'start') {
  options.endpoint = where;
  const upload = new tus.Upload(bytes, {
    ...options,
    onChunkComplete(_size, accepted) {
      if (accepted >= Number(stopAt)) {
        upload.abort().then(() => {
          console.log(upload.url, accepted);
          process.exit(0);
        });
      }
    },
    onSuccess() {
      console.log(upload.url, bytes.length);
    },
  });
  upload.start();
} else {
  const upload = new tus.Upload(bytes, {
    ...options,
    uploadUrl: where,
    onSuccess() {
      console.log(upload.url, bytes.length);
    },
  });
  upload.start();
}
