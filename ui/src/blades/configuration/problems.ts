// The engine's message for one field of the draft, if it has one.
import type { FieldProblem_Serialize as FieldProblem, SettingsField } from "../../lib/bindings";

export function problemOf(problems: FieldProblem[], field: SettingsField, item: number | null = null): string | undefined {
  return problems.find((p) => p.field === field && (item === null || p.item === item))?.message;
}
