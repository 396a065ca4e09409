import { describe, expect, it } from "vitest";
import { duration, operationLine, relative, size, utc } from "./format";

describe("format", () => {
  it("sizes", () => {
    expect(size(0)).toBe("0 B");
    expect(size(1023)).toBe("1023 B");
    expect(size(1536)).toBe("1.5 KiB");
    expect(size(578 * 1024 * 1024)).toBe("578.0 MiB");
    expect(size(null)).toBe("—");
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
  });

  it("operation lines", () => {
    const running = { status: "running", phase: "writing", bytes_done: 512, bytes_total: 1024, rate: 2048, eta_seconds: 3, message: null };
    expect(operationLine(running)).toBe("writing · 50% of 1.0 KiB · 2.0 KiB/s · 3 s left");
    expect(operationLine({ ...running, status: "failed", message: "disk full" })).toBe("failed: disk full");
    expect(operationLine({ ...running, status: "succeeded" })).toBe("succeeded");
  });
});
