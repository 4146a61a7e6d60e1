// API objects hold JSON names ("ApiVersion", "status"); docker's templates read Go field names
// ("APIVersion", "Status"). Hidden aliases let templates use either while `{{json .}}`
// still prints only the JSON names.

export function withGoAliases<T extends object>(obj: T, aliases: Readonly<Record<string, string>>): T {
  for (const [goName, jsonName] of Object.entries(aliases)) {
    if (Object.hasOwn(obj, goName)) continue;
    Object.defineProperty(obj, goName, {
      enumerable: false,
      get: () => (obj as Record<string, unknown>)[jsonName],
    });
  }
  return obj;
}
