// How the Vault blade reads objects and versions.
import type { Details, ObjectKind, VersionInfo_Serialize as VersionInfo } from "../../lib/bindings";
import { utc } from "../../lib/format";

export const KINDS: { kind: ObjectKind; title: string; one: string }[] = [
  { kind: "secret", title: "Secrets", one: "secret" },
  { kind: "key", title: "Keys", one: "key" },
  { kind: "certificate", title: "Certificates", one: "certificate" },
];

/** Enabled, disabled, not yet valid or expired, as a version reads now. */
export function versionState(v: VersionInfo, now: Date): { text: string; tone: "ok" | "warn" | "bad" | "muted" } {
  const a = v.attributes;
  if (!a.enabled) return { text: "disabled", tone: "muted" };
  if (a.not_before && new Date(a.not_before) > now) return { text: `not valid before ${utc(a.not_before)}`, tone: "warn" };
  if (a.expires && new Date(a.expires) <= now) return { text: `expired ${utc(a.expires)}`, tone: "bad" };
  return { text: a.expires ? `enabled, expires ${utc(a.expires)}` : "enabled", tone: "ok" };
}

export function describeDetails(d: Details): string {
  switch (d.type) {
    case "secret":
      return `${d.bytes} bytes`;
    case "key":
      return `${d.algorithm}-${d.bits}`;
    case "certificate":
      return `${d.subject}, RSA-${d.bits}, thumbprint ${d.thumbprint}`;
  }
}

/** Vault names: 1-127 letters, digits and dashes (the engine checks the same). */
export const NAME_PATTERN = "[A-Za-z0-9-]{1,127}";
