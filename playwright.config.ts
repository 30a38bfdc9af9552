import { defineConfig } from "@playwright/test";

// Debian's chromium: Playwright cannot download its own browsers here.
export default defineConfig({
  testDir: "tests/e2e",
  outputDir: "tests/.output/e2e",
  timeout: 90_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  reporter: [["list"], ["html", { outputFolder: "tests/.output/e2e-report", open: "never" }]],
  use: {
    launchOptions: {
      executablePath: process.env.MOIETY_CHROMIUM ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
    screenshot: "only-on-failure",
    trace: "retain-on-failure",
  },
});
