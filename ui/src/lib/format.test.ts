import { describe, expect, it } from "vitest";
import { ago, duration, operationLine, relative, size, utc } from "./format";
import { operation as op } from "./fixtures";

describe("format", () => {
  it("sizes", () => {
    expect(size(0)).toBe("0 B");
    expect(size(1023)).toBe("1023 B");
    expect(size(1536)).toBe("1.5 KiB");
    expect(size(578 * 1024 * 1024)).toBe("578.0 MiB");
    expect(size(null)).toBe("—");
  });

  it("sizes beyond 4 GiB", () => {
    expect(size(6 * 1024 * 1024 * 1024)).toBe("6.0 GiB");
    expect(size(3 * 1024 ** 4 + 1)).toBe("3.0 TiB");
  });

  it("shows times in UTC whatever the local zone", () => {
    expect(utc("2026-03-29T01:30:00Z")).toBe("2026-03-29 01:30 UTC");
    expect(utc("2026-03-29T03:30:00+02:00")).toBe("2026-03-29 01:30 UTC");
    expect(utc(null)).toBe("—");
    expect(utc("not a time")).toBe("—");
  });

  it("relative times", () => {
    const now = new Date("2026-03-01T00:00:00Z");
    expect(relative("2026-03-01T03:20:00Z", now)).toBe("in 3 h 20 min");
    expect(relative("2026-02-28T23:55:00Z", now)).toBe("5 min ago");
    expect(relative("2026-03-11T00:00:00Z", now)).toBe("in 10 days");
    expect(duration(75)).toBe("1 min 15 s");
    expect(ago("2026-02-28T23:59:30Z", now)).toBe("just now");
    expect(ago("2026-03-01T00:00:20Z", now)).toBe("just now");
    expect(ago("2026-02-28T23:40:00Z", now)).toBe("20 min ago");
  });

  it("operation lines: phase, share done, rate and time left while running", () => {
    const running = op({ bytes_done: 512, bytes_total: 1024, rate: 2048, eta_seconds: 3 });
    expect(operationLine(running)).toBe("writing · 50% of 1.0 KiB · 2.0 KiB/s · 3 s left");
    expect(operationLine(op({ bytes_done: 5 * 1024 ** 3, bytes_total: 10 * 1024 ** 3, rate: 100 * 1024 ** 2, eta_seconds: 3725 }))).toBe(
      "writing · 50% of 10.0 GiB · 100.0 MiB/s · 1 h 2 min left",
    );
    expect(operationLine(op({ phase: null }))).toBe("starting");
    expect(operationLine({ ...running, status: "failed", message: "disk full" })).toBe("failed: disk full");
    expect(operationLine({ ...running, status: "succeeded" })).toBe("succeeded");
  });
});
