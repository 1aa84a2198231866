// The naive peer plus the least a server must add to know its connections
// (graceful shutdown, idle timeouts and limits all need it): 'end' and
// 'close' listeners and a set of live sockets, and with TRACKED_NODELAY=1
// also TCP_NODELAY and half-open sockets as timeserver uses them. It is not
// in `npm run bench`; bench/perf-notes.md uses it to show what part of
// timeserver's churn cost is that bookkeeping rather than its own code.
// Usage: [TRACKED_NODELAY=1] node bench/naive/naive-tracked.mjs [port] [host]
import net from "node:net";

const port = Number(process.argv[2] ?? 45000);
const host = process.argv[3] ?? "127.0.0.1";
const nodelay = process.env.TRACKED_NODELAY === "1";
const two = (n) => String(n).padStart(2, "0");
const live = new Set();

function onEnd() {}
function onClose() {
  live.delete(this);
}

net
  .createServer({ allowHalfOpen: nodelay, noDelay: nodelay }, (socket) => {
    let buffered = "";
    live.add(socket);
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
    socket.on("error", () => {});
    socket.on("end", onEnd);
    socket.on("close", onClose);
  })
  .listen(port, host);
