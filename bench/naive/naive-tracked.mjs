// The naive peer plus, one at a time, what a server adds to know its
// connections (graceful shutdown, idle timeouts and limits all need it), so
// co-runs against the plain naive peer can price each part. It is not in
// `npm run bench`; bench/perf-notes.md uses it.
//   TRACKED   comma-separated parts (default "set,end,close"):
//     set      a Set of live sockets (added at accept, deleted on 'close')
//     end      an 'end' listener
//     close    a 'close' listener
//     drain    a 'drain' listener that never fires (what one more listener costs)
//     nodelay  TCP_NODELAY and half-open sockets, as timeserver uses them
// Usage: [TRACKED=set,end,close,nodelay] node bench/naive/naive-tracked.mjs [port] [host]
import net from "node:net";

const port = Number(process.argv[2] ?? 45000);
const host = process.argv[3] ?? "127.0.0.1";
const parts = new Set((process.env.TRACKED ?? "set,end,close").split(","));
const two = (n) => String(n).padStart(2, "0");
const live = new Set();

function ignore() {}
function onClose() {
  live.delete(this);
}

const nodelay = parts.has("nodelay");
net
  .createServer({ allowHalfOpen: nodelay, noDelay: nodelay }, (socket) => {
    let buffered = "";
    if (parts.has("set")) live.add(socket);
    socket.on("data", (data) => {
      buffered += data.toString("latin1");
      const lines = buffered.split("\r\n");
      buffered = lines.pop();
      for (const line of lines) {
        if (line === "QUIT") return socket.end();
        if (line !== "TIME") socket.write("Invalid command\r\n");
        else {
          const now = new Date();
          socket.write(
            `JAM ${two(now.getHours())}:${two(now.getMinutes())}:${two(now.getSeconds())}\r\n`,
          );
        }
      }
    });
    socket.on("error", ignore);
    if (parts.has("end")) socket.on("end", ignore);
    if (parts.has("close")) socket.on("close", onClose);
    if (parts.has("drain")) socket.on("drain", ignore);
  })
  .listen(port, host);
