/** What a configured regular expression offers, learnt without running it on any document text. */

export interface CaptureGroups {
  /** Numbered capture groups (named ones included). */
  count: number;
  names: string[];
}

/**
 * The capture groups of `source` compiled with `flags`; throws the engine's SyntaxError when it
 * does not compile. An extra empty alternative makes the pattern match "" at once, and the match
 * lists every group, unset.
 */
export function captureGroups(source: string, flags = ""): CaptureGroups {
  const probe = new RegExp(`${source}|`, flags).exec("") as RegExpExecArray;
  return { count: probe.length - 1, names: Object.keys(probe.groups ?? {}) };
}

/** A group given as digits ("2") means the numbered group: group names cannot start with one. */
export function normaliseGroup(group: number | string | undefined): number | string | undefined {
  return typeof group === "string" && /^\d+$/.test(group) ? Number(group) : group;
}

/** Why `group` cannot be taken from a pattern with `groups`, or null when it can. */
export function groupProblem(group: number | string, groups: CaptureGroups): string | null {
  const wanted = normaliseGroup(group);
  if (typeof wanted === "number") {
    if (wanted <= groups.count) return null;
    const has = groups.count === 1 ? "1 capture group" : `${groups.count} capture groups`;
    return `asks for group ${wanted} but the pattern has ${has}`;
  }
  if (groups.names.includes(String(wanted))) return null;
  const known = groups.names.length > 0 ? groups.names.join(", ") : "none";
  return `names no group of the pattern (its named groups: ${known})`;
}
