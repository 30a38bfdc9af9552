// A second reference for junk.mjs, below lib/bare-413.mjs: a node:net server
// with no HTTP parser at all, which writes a fixed 413 answer to the first
// bytes of every connection and closes it. Its CPU per refusal is what
// accepting and closing a TCP connection costs Node itself; the difference to
// the node:http floor is what parsing one request and building its answer costs.
// Prints its port, then serves until killed.
import net from "node:net";

const body = '{"error":"Request body is too large."}';
const answer = Buffer.from(
  `HTTP/1.1 413 Payload Too Large\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`,
);
const server = net.createServer((socket) => {
  socket.on("error", () => {});
  socket.once("data", () => socket.end(answer));
});
server.listen(0, "127.0.0.1", () => console.log(server.address().port));
