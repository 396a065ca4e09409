// How sizes, times and operations read in the window.
import type { OperationView_Serialize as OperationView } from "./bindings";

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

export function size(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return "—";
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${UNITS[unit]}`;
}

/** "2026-03-01 01:00 UTC": the schedule is in UTC, so every time is shown in UTC. */
export function utc(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "—";
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())} UTC`;
}

/** "in 3 h 20 min", "5 min ago": next to absolute times, for a glance. */
export function relative(iso: string | null | undefined, now: Date): string {
  if (!iso) return "";
  const diff = new Date(iso).getTime() - now.getTime();
  const minutes = Math.round(Math.abs(diff) / 60000);
  let text: string;
  if (minutes < 1) text = "less than a minute";
  else if (minutes < 60) text = `${minutes} min`;
  else if (minutes < 48 * 60) text = `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
  else text = `${Math.round(minutes / 1440)} days`;
  return diff >= 0 ? `in ${text}` : `${text} ago`;
}

/** When something happened: "just now", "5 min ago" (a clock a little ahead reads as now). */
export function ago(iso: string | null | undefined, now: Date): string {
  if (!iso) return "";
  return new Date(iso).getTime() > now.getTime() - 60000 ? "just now" : relative(iso, now);
}

export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return "";
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const m = Math.floor(seconds / 60);
  return m < 60 ? `${m} min ${Math.round(seconds % 60)} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** One line for an operation: its phase and progress while running, else its result. */
export function operationLine(op: OperationView): string {
  if (op.status === "running") {
    const parts = [op.phase ?? "starting"];
    if (op.bytes_total > 0) {
      const pct = Math.min(100, Math.floor((100 * op.bytes_done) / op.bytes_total));
      parts.push(`${pct}% of ${size(op.bytes_total)}`);
    }
    if (op.rate) parts.push(`${size(op.rate)}/s`);
    if (op.eta_seconds !== null && op.eta_seconds !== undefined) parts.push(`${duration(op.eta_seconds)} left`);
    return parts.join(" · ");
  }
  if ((op.status === "failed" || op.status === "skipped") && op.message) return `${op.status}: ${op.message}`;
  return op.status;
}
