// What unlocks a backup, as the restore wizard and the recovery flow take it: the
// private key file and its password, the passphrase or the legacy key, as its
// header's encryption asks.
import type { EncryptionKind, IdentityInput } from "./bindings";

export type TypedIdentity = { keyFile: string; secret: string };

export function identityInput(encryption: EncryptionKind | undefined, identity: TypedIdentity): IdentityInput {
  switch (encryption) {
    case "certificate":
      return { kind: "file", path: identity.keyFile, password: identity.secret };
    case "passphrase":
      return { kind: "passphrase", passphrase: identity.secret };
    case "key":
      return { kind: "key", key: identity.secret };
    default:
      return { kind: "none" };
  }
}

/** What is still missing before the identity can be tried, if anything. */
export function identityProblem(encryption: EncryptionKind | undefined, identity: TypedIdentity): string | null {
  if (encryption === "certificate" && !identity.keyFile.trim()) return "Choose the private key file.";
  if ((encryption === "passphrase" || encryption === "key") && !identity.secret) return `Type the ${encryption}.`;
  return null;
}
