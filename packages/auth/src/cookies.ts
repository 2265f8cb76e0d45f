/** The session cookie's Set-Cookie strings, and reading a token from a request's headers. */

export const SESSION_COOKIE = "crp_session";

export interface CookieOptions {
  /** Adds `Secure`; true behind https. */
  secure: boolean;
}

const attributes = ({ secure }: CookieOptions) =>
  ["Path=/", "HttpOnly", "SameSite=Lax", ...(secure ? ["Secure"] : [])].join("; ");

export function sessionCookie(token: string, options: CookieOptions & { maxAge: number }): string {
  const maxAge = Math.floor(options.maxAge);
  return `${SESSION_COOKIE}=${token}; ${attributes(options)}; Max-Age=${maxAge}`;
}

export function clearSessionCookie(options: CookieOptions): string {
  const epoch = "Thu, 01 Jan 1970 00:00:00 GMT";
  return `${SESSION_COOKIE}=; ${attributes(options)}; Max-Age=0; Expires=${epoch}`;
}

type HeaderSource = Headers | Record<string, string | undefined>;

function header(headers: HeaderSource, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const found = Object.keys(headers).find((key) => key.toLowerCase() === name);
  return found === undefined ? undefined : headers[found];
}

/** The session token from `Authorization: Bearer …`, else from the session cookie, else null. */
export function readBearerOrCookie(headers: HeaderSource): string | null {
  const authorization = header(headers, "authorization")?.trim();
  const bearer = authorization?.match(/^Bearer\s+(\S+)$/i)?.[1];
  if (bearer) return bearer;

  for (const pair of header(headers, "cookie")?.split(";") ?? []) {
    const [name, ...rest] = pair.split("=");
    if (name?.trim() === SESSION_COOKIE) {
      const value = rest.join("=").trim();
      return value === "" ? null : value;
    }
  }
  return null;
}
