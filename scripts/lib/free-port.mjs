import net from "node:net";

// The plain-Node scripts' copy of lib/server/free-port.ts (they run without tsx).

/** A TCP port nobody listens on right now (the kernel's pick), on `host`. */
export function freePort(host = "127.0.0.1") {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", reject);
    probe.listen(0, host, () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}
