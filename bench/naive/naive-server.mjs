// The naive peer: the time server a Node user writes in twenty lines, with no
// caching and no tuning, so the benchmark can show what timeserver's care buys.
// Usage: node bench/naive/naive-server.mjs [port] [host]
import net from "node:net";

const port = Number(process.argv[2] ?? 45000);
const host = process.argv[3] ?? "127.0.0.1";
const two = (n) => String(n).padStart(2, "0");

const server = net
  .createServer((socket) => {
    let buffered = "";
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
  })
  .listen(port, host, () => console.log(`naive server on ${host}:${server.address().port}`));
