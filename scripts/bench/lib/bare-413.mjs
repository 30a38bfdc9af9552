// A reference for junk.mjs: the least a Node HTTP server can do with an
// oversize POST — answer 413 from the headers alone. Its CPU per refusal,
// under the same one-connection-per-request flood, is the floor that any
// inbox written on node:http pays for accepting a TCP connection and parsing
// one request. Prints its port, then serves until killed.
import http from "node:http";

const server = http.createServer((req, res) => {
  req.resume();
  const body = '{"error":"Request body is too large."}';
  res.writeHead(413, { "content-type": "application/json", "content-length": String(body.length) });
  res.end(body);
});
server.listen(0, "127.0.0.1", () => console.log(server.address().port));
