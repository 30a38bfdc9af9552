import net from "node:net";

// Plain JavaScript so that both the TypeScript code (serve, the test helpers)
// and the plain-Node scripts (benchmarks, the container test) can import it.

/**
 * A TCP port nobody listens on right now (the kernel's pick), on `host`.
 * @param {string} [host]
 * @returns {Promise<number>}
 */
export function freePort(host = "127.0.0.1") {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", reject);
    probe.listen(0, host, () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}
